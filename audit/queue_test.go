package audit_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cslscreen/screener/audit"
	"github.com/cslscreen/screener/audit/audittest"
)

// flaky is a ring that fails while down and can hold its writes at a gate.
type flaky struct {
	*audit.Ring
	down    atomic.Bool
	calls   atomic.Int64
	batches chan int      // sizes of the batches written, if not nil
	gate    chan struct{} // if not nil, each write waits for a value
	entered chan struct{} // if not nil, told when a write starts
}

func (f *flaky) WriteBatch(ctx context.Context, rs []audit.Record) error {
	f.calls.Add(1)
	if f.entered != nil {
		f.entered <- struct{}{}
	}
	if f.gate != nil {
		<-f.gate
	}
	if f.down.Load() {
		return errors.New("backend down")
	}
	if f.batches != nil {
		f.batches <- len(rs)
	}
	return f.Ring.WriteBatch(ctx, rs)
}

// waitFor polls cond until it holds or 10s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func count(t *testing.T, l audit.Log) int {
	t.Helper()
	n := 0
	if err := l.Export(context.Background(), time.Time{}, time.Time{}, func(audit.Record) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestQueueKeepsRecordsWhileTheBackendIsDown(t *testing.T) {
	ctx := context.Background()
	b := &flaky{Ring: audit.NewRing(1000, 0)}
	b.down.Store(true)
	q := audit.NewQueue(b, audit.QueueConfig{Capacity: 100, BatchSize: 10, RetryMin: time.Millisecond, RetryMax: 5 * time.Millisecond})
	defer q.Close(ctx)
	var accepted []string
	full := 0
	for i := range 150 {
		r := audittest.Rec(i)
		switch err := q.Write(ctx, r); {
		case err == nil:
			accepted = append(accepted, r.ID)
		case errors.Is(err, audit.ErrQueueFull):
			full++
		default:
			t.Fatal(err)
		}
	}
	if len(accepted) != 100 || full != 50 {
		t.Fatalf("accepted %d, refused as full %d; want 100 and 50", len(accepted), full)
	}
	waitFor(t, "a failed write", func() bool { return q.Stats().Failures >= 2 })
	s := q.Stats()
	if s.Dropped != 50 || s.Depth != 100 || s.LastError != "backend down" || s.Written != 0 {
		t.Fatalf("stats while down: %+v", s)
	}
	b.down.Store(false)
	waitFor(t, "the backlog to be written", func() bool { return q.Stats().Written == 100 })
	if s := q.Stats(); s.Depth != 0 || s.Dropped != 50 {
		t.Fatalf("stats after recovery: %+v", s)
	}
	p, err := b.Query(ctx, audit.Filter{Limit: audit.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(audittest.IDs(p.Records)), fmt.Sprint(accepted); got != want {
		t.Fatalf("backend holds\n%v\nwant\n%v", got, want)
	}
}

func TestQueueAckReturnsOnceCommitted(t *testing.T) {
	ctx := context.Background()
	b := &flaky{Ring: audit.NewRing(1000, 0)}
	q := audit.NewQueue(b, audit.QueueConfig{Mode: audit.QueueAck, RetryMin: time.Millisecond, RetryMax: 5 * time.Millisecond})
	defer q.Close(ctx)
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := range 50 {
		wg.Go(func() {
			r := audittest.Rec(i)
			if err := q.Write(ctx, r); err != nil {
				errs <- err
				return
			}
			if _, err := b.Get(ctx, r.ID); err != nil { // committed before Write returned
				errs <- fmt.Errorf("record %d acknowledged but not in the backend: %w", i, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	// backend down: Write gives up at its deadline, the record stays queued
	b.down.Store(true)
	r := audittest.Rec(100)
	wctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := q.Write(wctx, r); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Write while down: %v, want DeadlineExceeded", err)
	}
	b.down.Store(false)
	waitFor(t, "the queued record", func() bool { _, err := b.Get(ctx, r.ID); return err == nil })
}

// TestQueueAckTimeout: with a context that has no deadline, a QueueAck
// Write whose record is neither committed nor dropped returns once
// AckTimeout has passed, whether its record is in a write that hangs or
// queued behind it; the records are still written once the backend is
// back, and each Write is answered once.
func TestQueueAckTimeout(t *testing.T) {
	ctx := context.Background()
	b := &flaky{Ring: audit.NewRing(1000, 0), gate: make(chan struct{}), entered: make(chan struct{}, 10)}
	q := audit.NewQueue(b, audit.QueueConfig{Mode: audit.QueueAck, Linger: -1, AckTimeout: 50 * time.Millisecond})
	first, second := audittest.Rec(0), audittest.Rec(1)
	errs := make(chan error, 2)
	go func() { errs <- q.Write(ctx, first) }()
	<-b.entered // the first record's write hangs at the gate
	go func() { errs <- q.Write(ctx, second) }()
	for range 2 {
		if err := <-errs; !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "not committed within 50ms") {
			t.Fatalf("Write with a hung backend: %v, want the AckTimeout's DeadlineExceeded", err)
		}
	}
	if d := q.Stats().Depth; d != 2 {
		t.Fatalf("depth %d after the timeouts, want 2: the records stay queued", d)
	}
	close(b.gate)
	waitFor(t, "both records written", func() bool { return count(t, b) == 2 })
	if err := q.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// a record committed in time is answered nil, not also by the reaper
	b2 := &flaky{Ring: audit.NewRing(1000, 0)}
	q2 := audit.NewQueue(b2, audit.QueueConfig{Mode: audit.QueueAck, AckTimeout: 20 * time.Millisecond})
	for i := range 20 {
		if err := q2.Write(ctx, audittest.Rec(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := q2.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestQueueGroupCommit: records that arrive while a write is in progress
// are committed together in the next one.
func TestQueueGroupCommit(t *testing.T) {
	ctx := context.Background()
	b := &flaky{Ring: audit.NewRing(1000, 0), gate: make(chan struct{}), entered: make(chan struct{}, 10), batches: make(chan int, 10)}
	q := audit.NewQueue(b, audit.QueueConfig{Mode: audit.QueueAck, BatchSize: 500, Linger: -1})
	defer q.Close(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { q.Write(ctx, audittest.Rec(0)) })
	<-b.entered // the first write is in progress, held at the gate
	for i := 1; i <= 99; i++ {
		wg.Go(func() { q.Write(ctx, audittest.Rec(i)) })
	}
	waitFor(t, "99 queued records", func() bool { return q.Stats().Depth == 100 })
	b.gate <- struct{}{}
	<-b.entered
	b.gate <- struct{}{}
	wg.Wait()
	if a, c := <-b.batches, <-b.batches; a != 1 || c != 99 {
		t.Fatalf("batches of %d and %d records, want 1 and 99", a, c)
	}
	if s := q.Stats(); s.Batches != 2 || s.Written != 100 {
		t.Fatalf("stats %+v", s)
	}
}

func TestQueueCloseFlushes(t *testing.T) {
	ctx := context.Background()
	b := &flaky{Ring: audit.NewRing(10000, 0)}
	q := audit.NewQueue(b, audit.QueueConfig{BatchSize: 7})
	for i := range 1000 {
		if err := q.Write(ctx, audittest.Rec(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, b); n != 1000 {
		t.Fatalf("backend holds %d records after Close, want 1000", n)
	}
	if err := q.Write(ctx, audittest.Rec(0)); !errors.Is(err, audit.ErrQueueClosed) {
		t.Fatalf("Write after Close: %v, want ErrQueueClosed", err)
	}
	if err := q.Close(ctx); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestQueueCloseDeadlineDropsAndCounts(t *testing.T) {
	ctx := context.Background()
	b := &flaky{Ring: audit.NewRing(100, 0)}
	b.down.Store(true)
	q := audit.NewQueue(b, audit.QueueConfig{Mode: audit.QueueAck, BatchSize: 2, RetryMin: time.Millisecond})
	errs := make(chan error, 5)
	for i := range 5 {
		go func() { errs <- q.Write(ctx, audittest.Rec(i)) }()
	}
	waitFor(t, "5 queued records", func() bool { return q.Stats().Depth == 5 })
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := q.Close(cctx); err == nil {
		t.Fatal("Close with the backend down and a passed deadline: no error")
	}
	for range 5 {
		if err := <-errs; !errors.Is(err, audit.ErrQueueClosed) {
			t.Fatalf("acknowledged writer: %v, want ErrQueueClosed", err)
		}
	}
	if s := q.Stats(); s.Dropped != 5 || s.Depth != 0 {
		t.Fatalf("stats %+v, want 5 dropped", s)
	}
}

func TestQueueFillsInIDAndTime(t *testing.T) {
	ctx := context.Background()
	b := audit.NewRing(10, 0)
	q := audit.NewQueue(b, audit.QueueConfig{Mode: audit.QueueAck})
	defer q.Close(ctx)
	if err := q.Write(ctx, audit.Record{Channel: audit.ChannelAdmin, Event: &audit.Event{Action: audit.EventListRefreshForced}}); err != nil {
		t.Fatal(err)
	}
	p, _ := q.Query(ctx, audit.Filter{})
	if len(p.Records) != 1 || p.Records[0].ID == "" || p.Records[0].Time.IsZero() {
		t.Fatalf("records %+v", p.Records)
	}
	if err := q.Write(ctx, audit.Record{Channel: "nope"}); err == nil {
		t.Fatal("a bad record was accepted")
	}
}

// BenchmarkQueueAck: records through a QueueAck queue in front of a ring,
// from 1 or 64 goroutines, each Write with a context that has no deadline
// or one with its own timeout, as the service's screenings have.
func BenchmarkQueueAck(b *testing.B) {
	for _, writers := range []int{1, 64} {
		for _, timeout := range []bool{false, true} {
			b.Run(fmt.Sprintf("writers=%d/timeout=%v", writers, timeout), func(b *testing.B) {
				ctx := context.Background()
				q := audit.NewQueue(audit.NewRing(100_000, 0), audit.QueueConfig{Mode: audit.QueueAck, Linger: -1, Writers: 2})
				defer q.Close(ctx)
				r := audittest.Rec(0)
				b.SetParallelism(writers)
				b.ReportAllocs()
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						r := r
						r.ID = ""
						wctx, cancel := ctx, context.CancelFunc(func() {})
						if timeout {
							wctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
						}
						if err := q.Write(wctx, r); err != nil {
							b.Error(err)
						}
						cancel()
					}
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
			})
		}
	}
}

// oneByOne is a Log without BatchWriter that fails every third write.
type oneByOne struct {
	*audit.Ring
	n atomic.Int64
}

func (o *oneByOne) Write(ctx context.Context, r audit.Record) error {
	if o.n.Add(1)%3 == 0 {
		return errors.New("every third write fails")
	}
	return o.Ring.Write(ctx, r)
}

// TestQueueRetriesOnlyWhatFailed: with a backend that writes one record
// at a time, a retried batch does not write its kept prefix again.
func TestQueueRetriesOnlyWhatFailed(t *testing.T) {
	ctx := context.Background()
	b := &oneByOne{Ring: audit.NewRing(1000, 0)}
	q := audit.NewQueue(struct{ audit.Log }{b}, audit.QueueConfig{BatchSize: 10, RetryMin: time.Millisecond})
	for i := range 100 {
		if err := q.Write(ctx, audittest.Rec(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, b); n != 100 {
		t.Fatalf("backend holds %d records, want 100 (each once)", n)
	}
	if s := q.Stats(); s.Written != 100 || s.Failures == 0 {
		t.Fatalf("stats %+v", s)
	}
}

// refusing is a ring that keeps every record of a batch but those named
// "poison", which it refuses for good (audit.RejectedError).
type refusing struct {
	*audit.Ring
	calls atomic.Int64
}

func (r *refusing) WriteBatch(ctx context.Context, rs []audit.Record) error {
	r.calls.Add(1)
	var keep []audit.Record
	var bad []string
	for _, rec := range rs {
		if rec.Name() == "poison" {
			bad = append(bad, rec.ID)
		} else {
			keep = append(keep, rec)
		}
	}
	if err := r.Ring.WriteBatch(ctx, keep); err != nil {
		return err
	}
	if bad != nil {
		return &audit.RejectedError{IDs: bad, Err: errors.New("invalid input syntax")}
	}
	return nil
}

// TestQueueRejectedRecords: a record the backend refuses for good is
// answered ErrRejected and counted as dropped, once; the records of its
// batch are kept and answered nil, and the queue goes on.
func TestQueueRejectedRecords(t *testing.T) {
	ctx := context.Background()
	b := &refusing{Ring: audit.NewRing(1000, 0)}
	q := audit.NewQueue(b, audit.QueueConfig{Mode: audit.QueueAck, Linger: 20 * time.Millisecond, RetryMin: time.Millisecond})
	defer q.Close(ctx)
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Go(func() {
			errs[i] = q.Write(ctx, audittest.Rec(i, func(r *audit.Record) {
				if i == 2 {
					r.Query.Name = "poison"
				}
			}))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if i == 2 {
			if !errors.Is(err, audit.ErrRejected) || !strings.Contains(err.Error(), "invalid input syntax") {
				t.Errorf("the refused record's Write: %v, want ErrRejected with the backend's reason", err)
			}
		} else if err != nil {
			t.Errorf("record %d: %v", i, err)
		}
	}
	if n := count(t, b); n != 5 {
		t.Errorf("backend holds %d records, want the 5 it accepted", n)
	}
	s := q.Stats()
	if s.Written != 5 || s.Dropped != 1 || s.Depth != 0 || !strings.Contains(s.LastError, "refused") {
		t.Errorf("stats %+v", s)
	}
	// the queue goes on, and did not retry the refused record
	calls := b.calls.Load()
	if err := q.Write(ctx, audittest.Rec(10)); err != nil {
		t.Fatal(err)
	}
	if got := b.calls.Load(); got != calls+1 {
		t.Errorf("%d backend writes for one more record, want 1", got-calls)
	}
}
