package batch

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cslscreen/screener/screening"
)

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// fakeScreener matches any name with "kaspersky" in it, refuses blank
// names, panics on "panic", and can be held mid-chunk by hold.
type fakeScreener struct {
	version string
	gone    atomic.Bool
	calls   atomic.Int64
	// hold, when set, is called before each row is screened.
	hold func(r *Row)
}

func (f *fakeScreener) CurrentVersion() (string, error) { return f.version, nil }

func (f *fakeScreener) Version(_ context.Context, id string, _ screening.SuppressFunc) (ScreenFunc, error) {
	if f.gone.Load() {
		return nil, fmt.Errorf("%w: %s", screening.ErrVersionGone, id)
	}
	return f.screen, nil
}

func (f *fakeScreener) screen(r *Row) Outcome {
	f.calls.Add(1)
	if f.hold != nil {
		f.hold(r)
	}
	n := strings.ToLower(strings.TrimSpace(r.Name))
	switch {
	case n == "":
		return Outcome{Status: StatusError, Error: "name: is required and must not be blank"}
	case n == "panic":
		panic("boom")
	case strings.Contains(n, "kaspersky"):
		return Outcome{Status: StatusMatch, BestScore: 0.95, MatchCount: 1,
			Matches: []TopMatch{{ID: "k1", List: "EL", Name: "AO Kaspersky Lab", MatchedName: "Kaspersky Lab", Score: 0.95}}}
	}
	return Outcome{Status: StatusClear}
}

// countingObserver records what a manager reports.
type countingObserver struct {
	mu       sync.Mutex
	queued   int
	stored   Counts
	chunks   int
	finished []State
}

func (o *countingObserver) Queued(*Job)                 { o.mu.Lock(); o.queued++; o.mu.Unlock() }
func (o *countingObserver) Screened(*Outcome)           {}
func (o *countingObserver) Record(*Job, []Result) error { return nil }
func (o *countingObserver) Stored(_ *Job, _ []Result, c Counts) {
	o.mu.Lock()
	o.chunks++
	o.stored.Rows += c.Rows
	o.stored.Matches += c.Matches
	o.stored.Errors += c.Errors
	o.mu.Unlock()
}
func (o *countingObserver) Finished(j *Job) {
	o.mu.Lock()
	o.finished = append(o.finished, j.Status)
	o.mu.Unlock()
}

// run starts m's workers for the rest of the test and returns a func that
// stops them the way a shutdown does.
func run(t *testing.T, m *Manager) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done; m.Close() }) }
	t.Cleanup(stop)
	return stop
}

// waitFor polls job id until cond holds.
func waitFor(t *testing.T, m *Manager, id string, cond func(*Job) bool) *Job {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		j, err := m.Get(context.Background(), id, "")
		if err == nil && cond(j) {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s: condition not met in time (last: %+v, %v)", id, j, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func finished(j *Job) bool { return j.Status.Finished() }

// makeCSV builds n rows: every 7th a Kaspersky name, every 50th blank
// name, lines numbered from 2.
func makeCSV(n int) string {
	var b strings.Builder
	b.WriteString("reference,name,segment\n")
	for i := 0; i < n; i++ {
		name := "Customer " + strconv.Itoa(i)
		switch {
		case i%7 == 3:
			name = "Kaspersky Lab " + strconv.Itoa(i)
		case i%50 == 49:
			name = ""
		}
		fmt.Fprintf(&b, "R%d,%s,s%d\n", i, name, i%3)
	}
	return b.String()
}

func submitCSV(t *testing.T, m *Manager, body string, wait bool) *Job {
	t.Helper()
	r, f, err := Open(strings.NewReader(body), Media{ContentType: "text/csv"}, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	j, err := m.Submit(context.Background(), Upload{Body: r, Format: f, Wait: wait})
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	return j
}

// resultRecords reads a job's CSV results.
func resultRecords(t *testing.T, m *Manager, j *Job, partial bool) [][]string {
	t.Helper()
	var b bytes.Buffer
	if _, err := m.WriteResults(context.Background(), j, NewResultWriter(&b, CSV, j), partial); err != nil {
		t.Fatalf("WriteResults: %v", err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs[1:]
}

// checkExactlyOnce verifies that results hold rows R0..R(n-1), each once,
// in input order, with the outcome makeCSV implies.
func checkExactlyOnce(t *testing.T, recs [][]string, n int) {
	t.Helper()
	if len(recs) != n {
		t.Fatalf("%d result rows, want %d", len(recs), n)
	}
	for i, r := range recs {
		if r[0] != strconv.Itoa(i+2) || r[1] != "R"+strconv.Itoa(i) {
			t.Fatalf("result %d is line %s ref %s, want line %d ref R%d", i, r[0], r[1], i+2, i)
		}
		want := StatusClear
		switch {
		case i%7 == 3:
			want = StatusMatch
		case i%50 == 49:
			want = StatusError
		}
		if r[5] != want {
			t.Fatalf("line %s: status %s, want %s", r[0], r[5], want)
		}
	}
}

func expectedCounts(n int) (matches, errors int64) {
	for i := 0; i < n; i++ {
		switch {
		case i%7 == 3:
			matches++
		case i%50 == 49:
			errors++
		}
	}
	return
}

// eventually polls cond until it holds, failing the test after a while.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not in time: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// completeSpy counts the chunks workers complete (stored or not), so a
// test can wait until a held worker has finished with its chunk.
type completeSpy struct {
	Store
	completes atomic.Int64
}

func (s *completeSpy) Complete(ctx context.Context, t *Task, blob []byte, c Counts, at time.Time) (bool, *Job, error) {
	defer s.completes.Add(1)
	return s.Store.Complete(ctx, t, blob, c, at)
}

func readDir(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names, err
}
