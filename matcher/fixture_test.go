package matcher

import (
	"bufio"
	"encoding/json"
	"os"
	"sync"
	"testing"

	"github.com/cslscreen/screener/internal/fixtures"
	"github.com/cslscreen/screener/lists"
)

// The shared fixtures (the full CSL and the tuning set) are read once per
// test binary; tests that need them skip when ../shared is absent.

var (
	fullOnce    sync.Once
	fullRecords []Record
	fullIndex   *Index
	fullErr     error
)

// recordsFromEntries converts parsed list entries the way the service does.
func recordsFromEntries(es []lists.Entry) []Record {
	out := make([]Record, len(es))
	for i := range es {
		e := &es[i]
		out[i] = Record{ID: e.ID, Source: e.Source, Type: e.Type, Names: e.Names(), Countries: e.Countries()}
	}
	return out
}

// fullList returns the full CSL fixture's records and their Index.
func fullList(tb testing.TB) ([]Record, *Index) {
	tb.Helper()
	path := fixtures.FullCSL(tb)
	fullOnce.Do(func() {
		f, err := os.Open(path)
		if err != nil {
			fullErr = err
			return
		}
		defer f.Close()
		p, err := lists.Parse(f, lists.ParseOptions{})
		if err != nil {
			fullErr = err
			return
		}
		fullRecords = recordsFromEntries(p.Entries)
		fullIndex = Build(fullRecords)
	})
	if fullErr != nil {
		tb.Fatalf("loading %s: %v", path, fullErr)
	}
	return fullRecords, fullIndex
}

// tuningCase is one line of the tuning set.
type tuningCase struct {
	ID    string `json:"id"`
	Class string `json:"class"`
	Query struct {
		Name string `json:"name"`
	} `json:"query"`
	Expect []string `json:"expect"`
}

func tuningSet(tb testing.TB) []tuningCase {
	tb.Helper()
	path := fixtures.TuningSet(tb)
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []tuningCase
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var c tuningCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			tb.Fatalf("%s: %v", path, err)
		}
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}
