package audit_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cslscreen/screener/audit"
	"github.com/cslscreen/screener/audit/audittest"
)

// TestQueueWritersOverlap: with two writers, a second batch is written
// while the first is still waiting on the backend.
func TestQueueWritersOverlap(t *testing.T) {
	b := &flaky{Ring: audit.NewRing(100, 0), gate: make(chan struct{}), entered: make(chan struct{}, 2)}
	q := audit.NewQueue(b, audit.QueueConfig{Mode: audit.QueueAsync, Linger: -1, Writers: 2})
	ctx := context.Background()
	if err := q.Write(ctx, audittest.Rec(1)); err != nil {
		t.Fatal(err)
	}
	<-b.entered // the first batch is held at the gate
	if err := q.Write(ctx, audittest.Rec(2)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-b.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the second batch was not written while the first was in flight")
	}
	if d := q.Stats().Depth; d != 2 {
		t.Errorf("depth %d with two batches in flight, want 2", d)
	}
	close(b.gate)
	if err := q.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, b); n != 2 {
		t.Errorf("%d records kept, want 2", n)
	}
}

// TestQueueWritersKeepEveryRecordOnce: several writers, acknowledged
// writes from many goroutines, and a backend that is down for a while:
// every record is kept exactly once, and Close returns.
func TestQueueWritersKeepEveryRecordOnce(t *testing.T) {
	for _, writers := range []int{1, 3} {
		t.Run(fmt.Sprint(writers), func(t *testing.T) {
			b := &flaky{Ring: audit.NewRing(10000, 0)}
			b.down.Store(true)
			q := audit.NewQueue(b, audit.QueueConfig{Mode: audit.QueueAck, BatchSize: 7, Writers: writers,
				RetryMin: time.Millisecond, RetryMax: 5 * time.Millisecond})
			ctx := context.Background()
			var wg sync.WaitGroup
			errs := make(chan error, 400)
			for g := range 20 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range 20 {
						errs <- q.Write(ctx, audittest.Rec(g*100+i))
					}
				}()
			}
			waitFor(t, "failed writes while the backend is down", func() bool { return q.Stats().Failures >= 3 })
			b.down.Store(false)
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			if err := q.Close(ctx); err != nil {
				t.Fatal(err)
			}
			st := q.Stats()
			if n := count(t, b); n != 400 || st.Written != 400 || st.Depth != 0 || st.Dropped != 0 {
				t.Errorf("kept %d, stats %+v; want 400 kept and written, none queued or dropped", n, st)
			}
		})
	}
}

// TestQueueWritersCloseWhenIdle: Close of an idle queue with several
// writers returns (each writer asleep must see it).
func TestQueueWritersCloseWhenIdle(t *testing.T) {
	q := audit.NewQueue(audit.NewRing(10, 0), audit.QueueConfig{Writers: 4})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := q.Close(ctx); err != nil {
		t.Fatal(err)
	}
}
