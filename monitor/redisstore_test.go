package monitor_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/cslscreen/screener/internal/redistest"
	"github.com/cslscreen/screener/lists"
	"github.com/cslscreen/screener/monitor"
	"github.com/cslscreen/screener/screening"
	"github.com/redis/go-redis/v9"
)

func newRedisStore(t *testing.T) (*monitor.RedisStore, redis.UniversalClient) {
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { rdb.Close() })
	return monitor.NewRedisStore(rdb, "test"), rdb
}

func TestDoneWhenRedis(t *testing.T) {
	s, _ := newRedisStore(t)
	testDoneWhen(t, s)
}

// smallVersions are the embedded entries without, then with, Kaspersky
// Labs Limited.
func smallVersions() (a, b *lists.List) {
	emb := lists.Embedded()
	var base []lists.Entry
	for _, e := range emb.Entries {
		if e.ID != "8e2975db722f844da153792847843a140517b2fb476b1e84311cd739" {
			base = append(base, e)
		}
	}
	return lists.NewList(lists.Version{Source: "file", Origin: "A"}, base), lists.NewList(lists.Version{Source: "file", Origin: "B"}, emb.Entries)
}

// replica is one process: its catalog and engine, sharing the stores.
func replica(ls lists.Store, ms monitor.Store, l *lists.List) *monitor.Engine {
	cat := &screening.Catalog{Store: ls}
	cat.Load(l)
	return monitor.New(monitor.Options{Store: ms, Catalog: cat, RunTTL: 200 * time.Millisecond})
}

// Two replicas catch up with the same new version at once: one runs it,
// the alerts are raised once; a replica that died holding the claim
// leaves the run to the next after the claim's TTL.
func TestRunOnceAcrossReplicas(t *testing.T) {
	for _, tc := range []struct {
		name  string
		store func(t *testing.T) monitor.Store
	}{
		{"memory", func(*testing.T) monitor.Store { return monitor.NewMemoryStore() }},
		{"redis", func(t *testing.T) monitor.Store { s, _ := newRedisStore(t); return s }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			ms := tc.store(t)
			a, b := smallVersions()
			ls := lists.NewMemoryStore()
			ls.Publish(ctx, a)
			first := replica(ls, ms, a)
			if _, err := first.CatchUp(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := first.Register(ctx, "k", []monitor.Counterparty{{Reference: "c-1", Name: "Kaspersky Labs Ltd"}, {Reference: "c-2", Name: "Acme"}}); err != nil {
				t.Fatal(err)
			}
			before, _, _ := ms.ListAlerts(ctx, monitor.AlertFilter{AllKeys: true})
			ls.Publish(ctx, b)

			// A replica died holding the run's claim.
			if _, err := ms.ClaimRun(ctx, a.Version.ID, b.Version.ID, 300*time.Millisecond); err != nil {
				t.Fatal(err)
			}
			r1, r2 := replica(ls, ms, b), replica(ls, ms, b)
			if _, err := r1.CatchUp(ctx); !errors.Is(err, monitor.ErrClaimed) {
				t.Fatalf("a claimed run: %v, want ErrClaimed", err)
			}
			// Once the claim expires, both try at once; one runs it.
			deadline := time.Now().Add(10 * time.Second)
			total := 0
			for {
				var wg sync.WaitGroup
				var mu sync.Mutex
				for _, r := range []*monitor.Engine{r1, r2} {
					wg.Add(1)
					go func() {
						defer wg.Done()
						rep, err := r.CatchUp(ctx)
						if err != nil && !errors.Is(err, monitor.ErrClaimed) {
							t.Error(err)
						}
						mu.Lock()
						total += rep.Alerts
						mu.Unlock()
					}()
				}
				wg.Wait()
				if last, _ := ms.LastVersion(ctx); last == b.Version.ID {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the run was never done")
				}
				time.Sleep(20 * time.Millisecond)
			}
			after, _, _ := ms.ListAlerts(ctx, monitor.AlertFilter{AllKeys: true})
			if total != 1 || len(after) != len(before)+1 || after[0].EntryID != "8e2975db722f844da153792847843a140517b2fb476b1e84311cd739" || after[0].Reference != "c-1" {
				t.Fatalf("run raised %d alerts; store went from %d to %d: %+v", total, len(before), len(after), after)
			}
		})
	}
}
