package batch

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cslscreen/screener/internal/fixtures"
	"github.com/cslscreen/screener/lists"
	"github.com/cslscreen/screener/matcher"
	"github.com/cslscreen/screener/screening"
)

// benchCatalog loads the full CSL fixture and the tuning set's names.
func benchCatalog(b *testing.B) (*screening.Catalog, []string) {
	b.Helper()
	l, err := (&lists.FileSource{Path: fixtures.FullCSL(b)}).Fetch(context.Background(), nil)
	if err != nil {
		b.Fatal(err)
	}
	cat := &screening.Catalog{}
	cat.Load(l)
	f, err := os.Open(fixtures.TuningSet(b))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var names []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var d struct{ Query struct{ Name string } }
		if json.Unmarshal(sc.Bytes(), &d) == nil {
			names = append(names, d.Query.Name)
		}
	}
	return cat, names
}

// BenchmarkScreenRow is one batch row judged on one core: validation and
// matching against the full list, as a single request does it.
func BenchmarkScreenRow(b *testing.B) {
	cat, names := benchCatalog(b)
	s := catalogRows{catalog: cat, threshold: matcher.DefaultThreshold}
	fn, err := s.Version(context.Background(), cat.Current().List.Version.ID, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fn(&Row{Name: names[i%len(names)]})
	}
}

// BenchmarkScreenRowSuppressed is BenchmarkScreenRow for a key with
// false positive decisions: every row pays the wider candidate search and
// a lookup per match (here one that never suppresses, the common case).
func BenchmarkScreenRowSuppressed(b *testing.B) {
	cat, names := benchCatalog(b)
	s := catalogRows{catalog: cat, threshold: matcher.DefaultThreshold}
	sup := func(ref, name string, e *lists.Entry) string { return "" }
	fn, err := s.Version(context.Background(), cat.Current().List.Version.ID, sup)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fn(&Row{Reference: "R", Name: names[i%len(names)]})
	}
}

// BenchmarkBatchJob is a whole in-process job of 20,000 rows of the
// tuning set's names on every core: upload, chunks, workers, results.
func BenchmarkBatchJob(b *testing.B) {
	cat, names := benchCatalog(b)
	st, err := NewFileStore(b.TempDir(), 24*time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	bm := New(Options{Store: st, Catalog: cat, Logger: quietLog})
	ctx, cancel := context.WithCancel(context.Background())
	go bm.Run(ctx)
	defer func() { cancel(); bm.Close() }()
	const rows = 20000
	var in strings.Builder
	in.WriteString("reference,name\n")
	for i := 0; i < rows; i++ {
		fmt.Fprintf(&in, "R%d,%q\n", i, names[i%len(names)])
	}
	body := in.String()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		r, f, _ := Open(strings.NewReader(body), Media{ContentType: "text/csv"}, 1<<30)
		j, err := bm.Submit(ctx, Upload{Body: r, Format: f})
		if err != nil {
			b.Fatal(err)
		}
		for !j.Status.Finished() {
			time.Sleep(5 * time.Millisecond)
			j, _ = bm.Get(ctx, j.ID, "")
		}
	}
	b.ReportMetric(float64(rows*b.N)/time.Since(start).Seconds(), "rows/s")
}
