package batch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

func newFileManager(t *testing.T, s rowScreener, o Options) (*Manager, *FileStore) {
	t.Helper()
	ttl := 24 * time.Hour
	if o.SweepEvery > 0 {
		ttl = 50 * time.Millisecond
	}
	st, err := NewFileStore(t.TempDir(), ttl)
	if err != nil {
		t.Fatal(err)
	}
	o.Store, o.rows = st, s
	if o.Logger == nil {
		o.Logger = quietLog
	}
	return New(o), st
}

func TestFileJobEveryRowOnceInOrder(t *testing.T) {
	obs := &countingObserver{}
	m, _ := newFileManager(t, &fakeScreener{version: "v1"}, Options{ChunkRows: 97, Workers: 4, Observer: obs})
	run(t, m)
	const n = 5000
	j := submitCSV(t, m, makeCSV(n), false)
	if j.Status != Queued || j.Rows != n || j.Chunks != (n+96)/97 || j.ListVersion != "v1" {
		t.Fatalf("submitted %+v", j)
	}
	j = waitFor(t, m, j.ID, finished)
	matches, errs := expectedCounts(n)
	if j.Status != Done || j.RowsDone != n || j.RowsWithMatches != matches || j.RowsWithErrors != errs ||
		j.StartedAt == nil || j.FinishedAt == nil || j.ExpiresAt == nil {
		t.Fatalf("done %+v", j)
	}
	checkExactlyOnce(t, resultRecords(t, m, j, false), n)
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if obs.queued != 1 || obs.stored.Rows != n || obs.chunks != j.Chunks || len(obs.finished) != 1 || obs.finished[0] != Done {
		t.Errorf("observer %+v", obs)
	}
	if m.Active() != 0 {
		t.Errorf("active %d after done", m.Active())
	}
}

func TestFileWait(t *testing.T) {
	f := &fakeScreener{version: "v1"}
	m, _ := newFileManager(t, f, Options{ChunkRows: 10, WaitMaxRows: 25})
	// Not running workers: a waited job must not need them.
	j := submitCSV(t, m, makeCSV(25), true)
	if j.Status != Done || j.Rows != 25 || j.Chunks != 3 || j.ChunksDone != 3 {
		t.Fatalf("waited %+v", j)
	}
	checkExactlyOnce(t, resultRecords(t, m, j, false), 25)
	if got, _ := m.Get(context.Background(), j.ID, ""); got == nil || got.Status != Done {
		t.Errorf("stored waited job %+v", got)
	}
	// Over the limit: queued like any other.
	j = submitCSV(t, m, makeCSV(26), true)
	if j.Status != Queued || j.Chunks != 3 {
		t.Fatalf("over the wait limit %+v", j)
	}
	run(t, m)
	checkExactlyOnce(t, resultRecords(t, m, waitFor(t, m, j.ID, finished), false), 26)
}

func TestFileRowLimitStoresNothing(t *testing.T) {
	m, st := newFileManager(t, &fakeScreener{version: "v1"}, Options{ChunkRows: 10, MaxRows: 100})
	r, f, _ := Open(strings.NewReader(makeCSV(101)), Media{}, 1<<30)
	_, err := m.Submit(context.Background(), Upload{Body: r, Format: f})
	var le *LimitError
	if !errors.As(err, &le) || le.What != "rows" || le.Max != 100 {
		t.Fatalf("err %v", err)
	}
	ents, _ := os.ReadDir(st.dir)
	if len(ents) != 0 {
		t.Errorf("refused upload left %d entries", len(ents))
	}
	submitCSV(t, m, makeCSV(100), false) // exactly the limit is fine
}

func TestFileEmptyAndHeaderOnly(t *testing.T) {
	m, _ := newFileManager(t, &fakeScreener{version: "v1"}, Options{})
	j := submitCSV(t, m, "reference,name\n", false)
	if j.Status != Done || j.Rows != 0 {
		t.Fatalf("header only %+v", j)
	}
	if recs := resultRecords(t, m, j, false); len(recs) != 0 {
		t.Errorf("results %v", recs)
	}
}

func TestFileCancel(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	f := &fakeScreener{version: "v1", hold: func(r *Row) { <-release }}
	obs := &countingObserver{}
	m, st := newFileManager(t, f, Options{ChunkRows: 10, Workers: 2, Observer: obs})
	spy := &completeSpy{Store: st}
	m.o.Store = spy
	run(t, m)
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	j := submitCSV(t, m, makeCSV(100), false)
	waitFor(t, m, j.ID, func(j *Job) bool { return f.calls.Load() >= 2 })
	if _, err := m.Results(context.Background(), j.ID, "", false); !errors.As(err, new(*NotReadyError)) {
		t.Errorf("results of a running job: %v", err)
	}
	prev, err := m.Delete(context.Background(), j.ID, "")
	if err != nil || prev.Status != Cancelled {
		t.Fatalf("delete: %+v %v", prev, err)
	}
	once.Do(func() { close(release) })
	got, err := m.Get(context.Background(), j.ID, "")
	if err != nil || got.Status != Cancelled {
		t.Fatalf("after delete %+v %v", got, err)
	}
	if _, err := m.Results(context.Background(), j.ID, "", true); !errors.As(err, new(*NotReadyError)) {
		t.Errorf("results of a cancelled job: %v", err)
	}
	// The two held workers finish their chunks, which are not stored.
	eventually(t, "the held workers complete their chunks", func() bool { return spy.completes.Load() == 2 })
	if _, err := os.Stat(st.dir + "/" + j.ID); !os.IsNotExist(err) {
		t.Errorf("cancelled job's files are still there: %v", err)
	}
	if got, _ := m.Get(context.Background(), j.ID, ""); got.ChunksDone != 0 {
		t.Errorf("a chunk was stored after cancel: %+v", got)
	}
	// Deleting the cancelled job removes it.
	if _, err := m.Delete(context.Background(), j.ID, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Get(context.Background(), j.ID, ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("after second delete: %v", err)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if len(obs.finished) != 1 || obs.finished[0] != Cancelled {
		t.Errorf("finished %v", obs.finished)
	}
}

func TestFileTTL(t *testing.T) {
	m, st := newFileManager(t, &fakeScreener{version: "v1"}, Options{SweepEvery: 10 * time.Millisecond})
	run(t, m)
	j := submitCSV(t, m, makeCSV(10), false)
	waitFor(t, m, j.ID, finished)
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := m.Get(context.Background(), j.ID, "")
		if errors.Is(err, ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job not expired: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for {
		if _, err := os.Stat(st.dir + "/" + j.ID); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("expired job's files are still there")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestFileVersionGoneFailsWithPartialResults(t *testing.T) {
	f := &fakeScreener{version: "v1"}
	var m *Manager
	var jobID string
	f.hold = func(r *Row) {
		if r.Line == 2+20 { // third chunk: the version goes away after two chunks are stored
			f.gone.Store(true)
		}
	}
	m, _ = newFileManager(t, f, Options{ChunkRows: 10, Workers: 1})
	run(t, m)
	j := submitCSV(t, m, makeCSV(50), false)
	jobID = j.ID
	j = waitFor(t, m, jobID, finished)
	if j.Status != Failed || !strings.Contains(j.Error, "no longer available") {
		t.Fatalf("job %+v", j)
	}
	if _, err := m.Results(context.Background(), jobID, "", false); !errors.As(err, new(*NotReadyError)) {
		t.Errorf("results without partial: %v", err)
	}
	j, err := m.Results(context.Background(), jobID, "", true)
	if err != nil {
		t.Fatal(err)
	}
	recs := resultRecords(t, m, j, true)
	if len(recs) != 30 || recs[0][0] != "2" || recs[29][0] != "31" {
		t.Errorf("partial results: %d rows", len(recs))
	}
}

func TestFilePanickingRowIsAnError(t *testing.T) {
	m, _ := newFileManager(t, &fakeScreener{version: "v1"}, Options{WaitMaxRows: 10})
	j := submitCSV(t, m, "name\nAcme\npanic\nKaspersky\n", true)
	recs := resultRecords(t, m, j, false)
	if recs[0][5] != "clear" || recs[1][5] != "error" || !strings.Contains(recs[1][20], "internal error") || recs[2][5] != "match" {
		t.Errorf("results %q", recs)
	}
}

func TestJobsBelongToTheirKey(t *testing.T) {
	m, _ := newFileManager(t, &fakeScreener{version: "v1"}, Options{WaitMaxRows: 10})
	r, f, _ := Open(strings.NewReader("name\nAcme\n"), Media{}, 1<<20)
	j, err := m.Submit(context.Background(), Upload{Body: r, Format: f, KeyID: "alice", Wait: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := m.Get(ctx, j.ID, "bob"); !errors.Is(err, ErrNotFound) {
		t.Errorf("bob sees alice's job: %v", err)
	}
	if _, err := m.Delete(ctx, j.ID, "bob"); !errors.Is(err, ErrNotFound) {
		t.Errorf("bob deletes alice's job: %v", err)
	}
	if _, err := m.Get(ctx, j.ID, "alice"); err != nil {
		t.Errorf("alice: %v", err)
	}
	if _, err := m.Get(ctx, "../../etc/passwd", ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("bad id: %v", err)
	}
}

func TestRoundRobinAcrossJobs(t *testing.T) {
	st, _ := NewFileStore(t.TempDir(), time.Hour)
	defer st.Close()
	ctx := context.Background()
	for _, id := range []string{"aaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbb"} {
		for c := 0; c < 3; c++ {
			st.PutInput(ctx, id, c, encodeRows([]Row{{Line: c + 2, Name: "x"}}))
		}
		st.Submit(ctx, &Job{ID: id, Chunks: 3})
	}
	var order []string
	for i := 0; i < 6; i++ {
		tk, _ := st.Next(ctx, time.Millisecond)
		order = append(order, tk.Job[:1]+string(rune('0'+tk.Chunk)))
	}
	if got := strings.Join(order, " "); got != "a0 b0 a1 b1 a2 b2" {
		t.Errorf("order %s", got)
	}
	if tk, _ := st.Next(ctx, time.Millisecond); tk != nil {
		t.Errorf("extra task %+v", tk)
	}
}

// fatCSV is n rows with notes of about 10 KB each.
func fatCSV(n int) string {
	var b strings.Builder
	b.WriteString("reference,name,notes\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "R%d,Customer %d,%s\n", i, i, strings.Repeat("n", 10_000))
	}
	return b.String()
}

func TestChunksAreBoundedByBytes(t *testing.T) {
	const chunkBytes = 64 << 10 // six rows of fatCSV
	m, st := newFileManager(t, &fakeScreener{version: "v1"}, Options{ChunkBytes: chunkBytes, WaitMaxRows: 100})
	ctx := context.Background()

	j := submitCSV(t, m, fatCSV(50), false)
	if j.Chunks != 9 {
		t.Errorf("50 rows of 10 KB in %d chunks, want 9 of at most 64 KiB", j.Chunks)
	}
	line := 2
	for c := 0; c < j.Chunks; c++ {
		rows, err := decodeRows(mustInput(t, st, j.ID, c))
		if err != nil {
			t.Fatal(err)
		}
		size := 0
		for i := range rows {
			size += rows[i].size()
			if rows[i].Line != line {
				t.Fatalf("chunk %d: line %d, want %d", c, rows[i].Line, line)
			}
			line++
		}
		if size > chunkBytes || len(rows) == 0 {
			t.Errorf("chunk %d: %d rows, %d bytes", c, len(rows), size)
		}
	}

	// Waited: 20 rows (200 KB, under four chunks' worth) are screened in
	// the request into result chunks of the same bound; 30 rows are queued.
	j = submitCSV(t, m, fatCSV(20), true)
	if j.Status != Done || j.Chunks != 4 {
		t.Errorf("waited 20 fat rows: %s in %d chunks, want done in 4", j.Status, j.Chunks)
	}
	for c := 0; c < j.Chunks; c++ {
		blob, _ := st.Result(ctx, j.ID, c)
		res, err := decodeResults(blob)
		if err != nil || len(res) == 0 || len(res) > 6 {
			t.Errorf("result chunk %d: %d rows %v", c, len(res), err)
		}
	}
	checkRows(t, resultRecords(t, m, j, false), 20)
	if j = submitCSV(t, m, fatCSV(30), true); j.Status != Queued {
		t.Errorf("waited 30 fat rows (300 KB): %s, want queued", j.Status)
	}
}

func mustInput(t *testing.T, st *FileStore, id string, c int) []byte {
	t.Helper()
	b, err := st.Input(context.Background(), &Task{Job: id, Chunk: c})
	if err != nil || b == nil {
		t.Fatalf("input chunk %d: %v", c, err)
	}
	return b
}

// checkRows verifies results are lines 2..n+1 with references R0..R(n-1).
func checkRows(t *testing.T, recs [][]string, n int) {
	t.Helper()
	if len(recs) != n {
		t.Fatalf("%d result rows, want %d", len(recs), n)
	}
	for i, r := range recs {
		if r[0] != fmt.Sprint(i+2) || r[1] != fmt.Sprintf("R%d", i) {
			t.Fatalf("result %d: line %s ref %s", i, r[0], r[1])
		}
	}
}

// TestFileOverlongRecordRefusesTheUpload: a quote left open over more than
// MaxRecordBytes refuses the upload once, after chunks were stored, and
// leaves nothing behind.
func TestFileOverlongRecordRefusesTheUpload(t *testing.T) {
	m, st := newFileManager(t, &fakeScreener{version: "v1"}, Options{ChunkRows: 10})
	body := makeCSV(50) + "R50,\"Open quote,s1\n" + strings.Repeat("R,Customer,s0\n", MaxRecordBytes/14+1)
	r, f, _ := Open(strings.NewReader(body), Media{}, 1<<30)
	_, err := m.Submit(context.Background(), Upload{Body: r, Format: f})
	var ie *InputError
	if !errors.As(err, &ie) || ie.Line != 52 {
		t.Fatalf("err %v, want an InputError on line 52", err)
	}
	if ents, _ := readDir(st.dir); len(ents) != 0 {
		t.Errorf("refused upload left %v", ents)
	}
}
