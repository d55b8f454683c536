package batch

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/cslscreen/screener/internal/redistest"
)

// noiseCSV is n rows with 1,000 random hex digits of notes each: about
// 500 bytes a row once deflated.
func noiseCSV(n int) string {
	rnd := rand.New(rand.NewPCG(7, 9))
	var b strings.Builder
	b.WriteString("reference,name,notes\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "R%d,Customer %d,", i, i)
		for k := 0; k < 1000; k++ {
			b.WriteByte("0123456789abcdef"[rnd.IntN(16)])
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func submitAs(m *Manager, key, body string, wait bool) (*Job, error) {
	r, f, err := Open(strings.NewReader(body), Media{ContentType: "text/csv"}, 1<<30)
	if err != nil {
		return nil, err
	}
	return m.Submit(context.Background(), Upload{Body: r, Format: f, KeyID: key, Wait: wait})
}

func wantQuota(t *testing.T, err error, what string, limit int64) {
	t.Helper()
	var qe *QuotaError
	if !errors.As(err, &qe) || qe.What != what || qe.Limit != limit {
		t.Fatalf("err %v, want a %s QuotaError of %d", err, what, limit)
	}
}

// quotaStores runs a test on a manager over each store; newManager gives
// managers sharing one store (two replicas, for Redis).
func quotaStores(t *testing.T, test func(t *testing.T, newManager func(o Options) *Manager)) {
	t.Run("file", func(t *testing.T) {
		st, err := NewFileStore(t.TempDir(), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		test(t, func(o Options) *Manager {
			o.Store, o.rows, o.Logger = st, &fakeScreener{version: "v1"}, quietLog
			return New(o)
		})
	})
	t.Run("redis", func(t *testing.T) {
		srv := redistest.Start(t)
		test(t, func(o Options) *Manager {
			return newReplica(t, srv, &fakeScreener{version: "v1"}, time.Minute, time.Hour, o).m
		})
	})
}

func TestQuotaActiveJobsPerKey(t *testing.T) {
	quotaStores(t, func(t *testing.T, newManager func(o Options) *Manager) {
		o := Options{MaxActiveJobsPerKey: 2, WaitMaxRows: 10, ChunkRows: 10}
		a, b := newManager(o), newManager(o) // no workers: jobs stay queued
		ctx := context.Background()
		var alice []*Job
		for _, m := range []*Manager{a, b} {
			j, err := submitAs(m, "alice", makeCSV(30), false)
			if err != nil {
				t.Fatal(err)
			}
			alice = append(alice, j)
		}
		_, err := submitAs(a, "alice", makeCSV(30), false)
		wantQuota(t, err, QuotaActiveJobs, 2)
		_, err = submitAs(b, "alice", makeCSV(3), true) // a waited upload needs a place too
		wantQuota(t, err, QuotaActiveJobs, 2)
		if _, err := submitAs(b, "bob", makeCSV(30), false); err != nil {
			t.Fatalf("bob: %v", err)
		}
		// Cancelling one frees its place, on any replica.
		if _, err := b.Delete(ctx, alice[0].ID, "alice"); err != nil {
			t.Fatal(err)
		}
		j, err := submitAs(a, "alice", makeCSV(3), true)
		if err != nil || j.Status != Done {
			t.Fatalf("after a delete: %+v %v", j, err)
		}
		// A waited job is done at once and holds no place.
		if _, err := submitAs(b, "alice", makeCSV(30), false); err != nil {
			t.Fatalf("after a waited job: %v", err)
		}
		_, err = submitAs(b, "alice", makeCSV(30), false)
		wantQuota(t, err, QuotaActiveJobs, 2)
		// A job that finishes frees its place.
		run(t, a)
		eventually(t, "alice's job is done", func() bool {
			j, err := a.Get(ctx, alice[1].ID, "alice")
			return err == nil && j.Status == Done
		})
		if _, err := submitAs(b, "alice", makeCSV(30), false); err != nil {
			t.Fatalf("after a job finished: %v", err)
		}
	})
}

func TestQuotaStoredBytesPerKey(t *testing.T) {
	quotaStores(t, func(t *testing.T, newManager func(o Options) *Manager) {
		const limit = 60_000
		o := Options{MaxStoredBytesPerKey: limit, WaitMaxRows: 1000, ChunkRows: 20}
		a, b := newManager(o), newManager(o)
		ctx := context.Background()
		small, err := submitAs(a, "alice", noiseCSV(40), false) // about 20 KB stored
		if err != nil {
			t.Fatal(err)
		}
		_, err = submitAs(b, "alice", noiseCSV(100), false) // about 50 KB more
		wantQuota(t, err, QuotaStoredBytes, limit)
		_, err = submitAs(b, "alice", noiseCSV(100), true)
		wantQuota(t, err, QuotaStoredBytes, limit)
		if _, err := submitAs(b, "bob", noiseCSV(100), false); err != nil {
			t.Fatalf("bob: %v", err)
		}
		// The refused uploads left nothing counted: what fits still fits.
		if _, err := submitAs(a, "alice", noiseCSV(40), false); err != nil {
			t.Fatalf("a second small upload: %v", err)
		}
		_, err = submitAs(a, "alice", noiseCSV(40), false)
		wantQuota(t, err, QuotaStoredBytes, limit)
		// Deleting a job frees its bytes.
		if _, err := a.Delete(ctx, small.ID, "alice"); err != nil {
			t.Fatal(err)
		}
		if _, err := submitAs(b, "alice", noiseCSV(40), false); err != nil {
			t.Fatalf("after a delete: %v", err)
		}
	})
}

func TestQuotaRefusedUploadStoresNothing(t *testing.T) {
	m, st := newFileManager(t, &fakeScreener{version: "v1"}, Options{MaxStoredBytesPerKey: 16 << 10, ChunkRows: 10})
	_, err := submitAs(m, "alice", noiseCSV(100), false)
	wantQuota(t, err, QuotaStoredBytes, 16<<10)
	if n := len(st.uploads); n != 0 {
		t.Errorf("%d uploads still admitted", n)
	}
	if ents, _ := readDir(st.dir); len(ents) != 0 {
		t.Errorf("refused upload left %v", ents)
	}
}

// TestRedisQuotaSurvivesCrashes: the ledger follows the jobs. An upload
// whose replica died, and jobs whose keys expired, stop counting at the
// key's next upload.
func TestRedisQuotaSurvivesCrashes(t *testing.T) {
	srv := redistest.Start(t)
	r := newReplica(t, srv, &fakeScreener{version: "v1"}, time.Minute, time.Hour,
		Options{MaxActiveJobsPerKey: 2, MaxStoredBytesPerKey: 64 << 10, ChunkRows: 20})
	st := r.m.o.Store.(*RedisStore)
	ctx := context.Background()
	// A replica admitted an upload, stored a chunk and died.
	dead := newID()
	if err := st.Admit(ctx, "alice", dead, 2); err != nil {
		t.Fatal(err)
	}
	if err := st.Charge(ctx, "alice", dead, 40<<10, 64<<10); err != nil {
		t.Fatal(err)
	}
	st.PutInput(ctx, dead, 0, []byte("chunk"))
	j, err := submitAs(r.m, "alice", noiseCSV(10), false)
	if err != nil {
		t.Fatal(err)
	}
	_, err = submitAs(r.m, "alice", noiseCSV(10), false)
	wantQuota(t, err, QuotaActiveJobs, 2) // the dead upload still counts while it may be alive
	st.uploadIdle = time.Millisecond
	if _, err := submitAs(r.m, "alice", noiseCSV(60), false); err != nil {
		t.Fatalf("after the dead upload went idle: %v", err)
	}
	if n, _ := r.rdb.Exists(ctx, st.key(dead, "in")).Result(); n != 0 {
		t.Error("the dead upload's input was left")
	}
	// j's keys expire (its status and chunks vanish at once here).
	r.rdb.Del(ctx, st.key(j.ID, "meta"), st.key(j.ID, "in"))
	if _, err := submitAs(r.m, "alice", noiseCSV(10), false); err != nil {
		t.Fatalf("after a job expired: %v", err)
	}
	h, _ := r.rdb.HGetAll(ctx, st.ledger("alice")).Result()
	for f := range h {
		if strings.HasSuffix(f, dead) || strings.HasSuffix(f, j.ID) {
			t.Errorf("ledger still has %s", f)
		}
	}
	if ttl, _ := r.rdb.PTTL(ctx, st.ledger("alice")).Result(); ttl <= 0 {
		t.Errorf("ledger TTL %v", ttl)
	}
	// Without quotas no ledger is kept.
	o := newReplica(t, srv, &fakeScreener{version: "v1"}, time.Minute, time.Hour, Options{})
	if _, err := submitAs(o.m, "carol", makeCSV(10), false); err != nil {
		t.Fatal(err)
	}
	if n, _ := r.rdb.Exists(ctx, st.ledger("carol")).Result(); n != 0 {
		t.Error("a ledger was kept without quotas")
	}
}
