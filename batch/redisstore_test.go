package batch

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/cslscreen/screener/internal/redistest"
	"github.com/redis/go-redis/v9"
)

// replica is one Manager on its own Redis connection, as a service
// replica would have.
type replica struct {
	m    *Manager
	rdb  *redis.Client
	obs  *countingObserver
	scr  *fakeScreener
	stop func()
}

func newReplica(t *testing.T, srv *redistest.Server, scr *fakeScreener, claim, ttl time.Duration, o Options) *replica {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { rdb.Close() })
	st, err := NewRedisStore(context.Background(), rdb, RedisStoreOptions{Prefix: "test", TTL: ttl, ClaimTimeout: claim})
	if err != nil {
		t.Fatal(err)
	}
	obs := &countingObserver{}
	o.Store, o.rows, o.Observer, o.Logger = st, scr, obs, quietLog
	o.PollWait = 50 * time.Millisecond
	return &replica{m: New(o), rdb: rdb, obs: obs, scr: scr}
}

func (r *replica) start(t *testing.T) { r.stop = run(t, r.m) }

func TestRedisReplicasShareAJob(t *testing.T) {
	srv := redistest.Start(t)
	a := newReplica(t, srv, &fakeScreener{version: "v1"}, time.Minute, time.Hour, Options{ChunkRows: 50, Workers: 2})
	b := newReplica(t, srv, &fakeScreener{version: "v1"}, time.Minute, time.Hour, Options{ChunkRows: 50, Workers: 2})
	a.start(t)
	b.start(t)
	const n = 3000
	j := submitTo(t, a, makeCSV(n))
	j = waitFor(t, b.m, j.ID, finished)
	matches, errs := expectedCounts(n)
	if j.Status != Done || j.RowsDone != n || j.RowsWithMatches != matches || j.RowsWithErrors != errs || j.ChunksDone != 60 {
		t.Fatalf("job %+v", j)
	}
	checkExactlyOnce(t, resultRecords(t, b.m, j, false), n)
	if got := a.obs.chunks + b.obs.chunks; got != 60 {
		t.Errorf("chunks stored %d, want 60", got)
	}
	if got := len(a.obs.finished) + len(b.obs.finished); got != 1 {
		t.Errorf("job reported finished %d times", got)
	}
	// The input is gone once done; the queue is empty.
	if n, _ := a.rdb.Exists(context.Background(), "test:{batch:"+j.ID+"}:in").Result(); n != 0 {
		t.Error("input chunks left after the job finished")
	}
	if n, _ := a.rdb.XLen(context.Background(), "test:batch:queue").Result(); n != 0 {
		t.Errorf("%d entries left in the queue", n)
	}
}

// submitCSV with a *Manager from a replica.
func submitTo(t *testing.T, r *replica, body string) *Job { return submitCSV(t, r.m, body, false) }

// TestRedisDeadReplicaChunksAreTakenOver: replica A takes chunks and
// freezes mid-chunk without acknowledging them (as a process that was
// killed, or hangs). Replica B takes them over once they have been idle
// past the claim timeout and finishes the job with every row exactly
// once. When A wakes up and completes its chunks late, nothing changes.
func TestRedisDeadReplicaChunksAreTakenOver(t *testing.T) {
	srv := redistest.Start(t)
	wake := make(chan struct{})
	var wakeOnce sync.Once
	t.Cleanup(func() { wakeOnce.Do(func() { close(wake) }) })
	frozen := &fakeScreener{version: "v1", hold: func(*Row) { <-wake }}
	a := newReplica(t, srv, frozen, 200*time.Millisecond, time.Hour, Options{ChunkRows: 40, Workers: 2})
	b := newReplica(t, srv, &fakeScreener{version: "v1"}, 200*time.Millisecond, time.Hour, Options{ChunkRows: 40, Workers: 2})
	spy := &completeSpy{Store: a.m.o.Store}
	a.m.o.Store = spy
	a.start(t)
	const n = 2000
	j := submitTo(t, a, makeCSV(n))
	// A's two workers each hold a chunk, taken and never acknowledged.
	waitFor(t, a.m, j.ID, func(*Job) bool { return frozen.calls.Load() >= 2 })
	pending, err := a.rdb.XPending(context.Background(), "test:batch:queue", groupName).Result()
	if err != nil || pending.Count != 2 {
		t.Fatalf("pending %+v %v", pending, err)
	}
	b.start(t)
	j = waitFor(t, b.m, j.ID, finished)
	if j.Status != Done || j.RowsDone != n || j.ChunksDone != 50 {
		t.Fatalf("job %+v", j)
	}
	checkExactlyOnce(t, resultRecords(t, b.m, j, false), n)
	if b.obs.chunks != 50 || a.obs.chunks != 0 {
		t.Errorf("chunks stored by A %d, by B %d; want 0 and 50", a.obs.chunks, b.obs.chunks)
	}

	// A wakes up and completes its two chunks late: they are not stored
	// or counted again.
	wakeOnce.Do(func() { close(wake) })
	eventually(t, "A completes its two chunks late", func() bool { return spy.completes.Load() == 2 })
	a.stop()
	after, _ := b.m.Get(context.Background(), j.ID, "")
	if after.RowsDone != n || after.ChunksDone != 50 || a.obs.chunks != 0 {
		t.Errorf("late completion changed the job: %+v (A stored %d)", after, a.obs.chunks)
	}
	checkExactlyOnce(t, resultRecords(t, b.m, after, false), n)
	if got := len(a.obs.finished) + len(b.obs.finished); got != 1 {
		t.Errorf("job reported finished %d times", got)
	}
}

// TestRedisCloseHandsChunksBack: a replica shutting down gives its
// unfinished chunks back at once, so another finishes the job without
// waiting for the claim timeout (an hour here).
func TestRedisCloseHandsChunksBack(t *testing.T) {
	srv := redistest.Start(t)
	stopping := make(chan struct{})
	held := &fakeScreener{version: "v1", hold: func(*Row) { <-stopping }}
	a := newReplica(t, srv, held, time.Hour, time.Hour, Options{ChunkRows: 40, Workers: 2})
	b := newReplica(t, srv, &fakeScreener{version: "v1"}, time.Hour, time.Hour, Options{ChunkRows: 40, Workers: 2})
	j := submitTo(t, a, makeCSV(400))
	// Shut A down the way Main does: cancel its context, then Close. The
	// held rows are let go only once the context is cancelled, so the
	// workers stop between rows and hand their chunks back.
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { a.m.Run(ctx); close(ran) }()
	waitFor(t, a.m, j.ID, func(*Job) bool { return held.calls.Load() >= 2 })
	cancel()
	close(stopping)
	<-ran
	a.m.Close()
	b.start(t)
	j = waitFor(t, b.m, j.ID, finished)
	checkExactlyOnce(t, resultRecords(t, b.m, j, false), 400)
	if a.obs.chunks != 0 {
		t.Errorf("A stored %d chunks after being stopped", a.obs.chunks)
	}
}

func TestRedisCancel(t *testing.T) {
	srv := redistest.Start(t)
	release := make(chan struct{})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	held := &fakeScreener{version: "v1", hold: func(*Row) { <-release }}
	a := newReplica(t, srv, held, time.Minute, time.Hour, Options{ChunkRows: 20, Workers: 2})
	a.start(t)
	j := submitTo(t, a, makeCSV(200))
	waitFor(t, a.m, j.ID, func(*Job) bool { return held.calls.Load() >= 2 })
	if _, err := a.m.Delete(context.Background(), j.ID, ""); err != nil {
		t.Fatal(err)
	}
	once.Do(func() { close(release) })
	got, err := a.m.Get(context.Background(), j.ID, "")
	if err != nil || got.Status != Cancelled {
		t.Fatalf("after delete %+v %v", got, err)
	}
	ctx := context.Background()
	// Workers drop the job's remaining chunks; nothing is stored.
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, _ := a.rdb.XLen(ctx, "test:batch:queue").Result()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d chunks of a cancelled job left in the queue", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n, _ := a.rdb.Exists(ctx, "test:{batch:"+j.ID+"}:in", "test:{batch:"+j.ID+"}:out").Result(); n != 0 {
		t.Errorf("%d chunk keys left after cancel", n)
	}
	if got, _ := a.m.Get(ctx, j.ID, ""); got.ChunksDone != 0 || a.obs.chunks != 0 {
		t.Errorf("chunks stored after cancel: %+v", got)
	}
	if ttl, _ := a.rdb.PTTL(ctx, "test:{batch:"+j.ID+"}:meta").Result(); ttl <= 0 || ttl > time.Hour {
		t.Errorf("cancelled job's status TTL %v", ttl)
	}
	if _, err := a.m.Delete(ctx, j.ID, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := a.m.Get(ctx, j.ID, ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("after second delete: %v", err)
	}
}

func TestRedisResultsExpire(t *testing.T) {
	srv := redistest.Start(t)
	a := newReplica(t, srv, &fakeScreener{version: "v1"}, time.Minute, 300*time.Millisecond, Options{ChunkRows: 20, WaitMaxRows: 10})
	a.start(t)
	ctx := context.Background()
	j := submitTo(t, a, makeCSV(50))
	j = waitFor(t, a.m, j.ID, finished)
	if j.ExpiresAt == nil || j.ExpiresAt.Sub(*j.FinishedAt) != 300*time.Millisecond {
		t.Errorf("expires_at %v, finished_at %v", j.ExpiresAt, j.FinishedAt)
	}
	w := submitCSV(t, a.m, makeCSV(5), true) // a waited job expires too
	if w.Status != Done {
		t.Fatalf("waited job %+v", w)
	}
	checkExactlyOnce(t, resultRecords(t, a.m, w, false), 5)
	for _, id := range []string{j.ID, w.ID} {
		deadline := time.Now().Add(10 * time.Second)
		for {
			_, err := a.m.Get(ctx, id, "")
			if errors.Is(err, ErrNotFound) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("job %s did not expire: %v", id, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if n, _ := a.rdb.Exists(ctx, "test:{batch:"+id+"}:out").Result(); n != 0 {
			t.Errorf("results of %s outlived their TTL", id)
		}
	}
}

func TestRedisSurvivesARedisRestart(t *testing.T) {
	srv := redistest.Start(t)
	a := newReplica(t, srv, &fakeScreener{version: "v1"}, 200*time.Millisecond, time.Hour, Options{ChunkRows: 20, Workers: 1})
	a.start(t)
	j := submitTo(t, a, makeCSV(40))
	waitFor(t, a.m, j.ID, finished)
	srv.Restart() // empty: the queue and its consumer group are gone
	j = submitTo(t, a, makeCSV(60))
	j = waitFor(t, a.m, j.ID, finished)
	checkExactlyOnce(t, resultRecords(t, a.m, j, false), 60)
}
