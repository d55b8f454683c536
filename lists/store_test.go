package lists

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cslscreen/screener/internal/redisconn"
	"github.com/cslscreen/screener/internal/redistest"
)

func testList(tag string, n int) *List {
	entries := make([]Entry, n)
	for i := range entries {
		entries[i] = Entry{ID: fmt.Sprintf("%s-%d", tag, i), Source: "Entity List (EL) - Bureau of Industry and Security", Name: fmt.Sprintf("Company %s %d", tag, i)}
	}
	return NewList(Version{Source: "file", Origin: "/tmp/" + tag, FetchedAt: time.Now().UTC().Truncate(time.Millisecond)}, entries)
}

func newRedisStore(t testing.TB) (*RedisStore, *redistest.Server) {
	srv := redistest.Start(t)
	rdb, err := redisconn.New(srv.URL(), "", redisconn.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	return NewRedisStore(rdb, RedisOptions{Prefix: "test", VersionTTL: time.Minute}), srv
}

// TestStoreContract runs the same checks on both stores.
func TestStoreContract(t *testing.T) {
	stores := map[string]func(t *testing.T) Store{
		"memory": func(t *testing.T) Store { return NewMemoryStore() },
		"redis":  func(t *testing.T) Store { s, _ := newRedisStore(t); return s },
	}
	for name, mk := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := mk(t)
			if _, err := s.Current(ctx); !errors.Is(err, ErrNoVersion) {
				t.Fatalf("Current on empty store: %v, want ErrNoVersion", err)
			}
			updates := s.Subscribe(ctx) // returns once subscribed: nothing published after it is missed

			a := testList("a", 4500) // more than one chunk
			if err := s.Publish(ctx, a); err != nil {
				t.Fatal(err)
			}
			cur, err := s.Current(ctx)
			if err != nil || cur.ID != a.Version.ID || cur.Entries != 4500 {
				t.Fatalf("Current = %+v, %v", cur, err)
			}
			got, err := s.Load(ctx, cur.ID)
			if err != nil || len(got.Entries) != 4500 || got.Entries[4499].Name != "Company a 4499" || len(got.ByID("a-7")) != 1 {
				t.Fatalf("Load: %v (%d entries)", err, len(got.Entries))
			}
			select {
			case id := <-updates:
				if id != a.Version.ID {
					t.Fatalf("update = %s, want %s", id, a.Version.ID)
				}
			case <-time.After(3 * time.Second):
				t.Fatal("no update published")
			}

			b := testList("b", 10)
			if err := s.Publish(ctx, b); err != nil {
				t.Fatal(err)
			}
			vs, err := s.Versions(ctx)
			if err != nil || len(vs) != 2 || vs[0].ID != b.Version.ID || vs[1].ID != a.Version.ID {
				t.Fatalf("Versions = %+v, %v", vs, err)
			}
			// the superseded version is still loadable until it expires
			if _, err := s.Load(ctx, a.Version.ID); err != nil {
				t.Fatalf("Load superseded: %v", err)
			}

			unlock, err := s.TryLock(ctx, "refresh", time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.TryLock(ctx, "refresh", time.Minute); !errors.Is(err, ErrLocked) {
				t.Fatalf("second TryLock: %v, want ErrLocked", err)
			}
			unlock()
			unlock2, err := s.TryLock(ctx, "refresh", time.Minute)
			if err != nil {
				t.Fatalf("TryLock after unlock: %v", err)
			}
			unlock2()

			// The currency facts round-trip.
			c := testList("c", 5)
			c.Version.PublishedAt = time.Date(2025, 5, 20, 12, 0, 0, 0, time.UTC)
			if err := s.Publish(ctx, c); err != nil {
				t.Fatal(err)
			}
			if cur, err := s.Current(ctx); err != nil || !cur.PublishedAt.Equal(c.Version.PublishedAt) || !cur.FetchedAt.Equal(c.Version.FetchedAt) {
				t.Fatalf("Current = %+v, %v: published_at/fetched_at lost", cur, err)
			}

			if hw, err := s.HighWater(ctx); err != nil || hw != (HighWater{}) {
				t.Fatalf("HighWater on a fresh store = %+v, %v", hw, err)
			}
			mark := HighWater{Entries: 4500, Version: a.Version.ID, Seen: time.Now().UTC().Truncate(time.Millisecond)}
			if err := s.SetHighWater(ctx, mark); err != nil {
				t.Fatal(err)
			}
			if hw, err := s.HighWater(ctx); err != nil || hw.Entries != mark.Entries || hw.Version != mark.Version || !hw.Seen.Equal(mark.Seen) {
				t.Fatalf("HighWater = %+v, %v; want %+v", hw, err, mark)
			}

			now := time.Now().UTC().Truncate(time.Millisecond)
			if err := s.MarkRefreshed(ctx, now); err != nil {
				t.Fatal(err)
			}
			if got, _ := s.LastRefreshed(ctx); !got.Equal(now) {
				t.Fatalf("LastRefreshed = %v, want %v", got, now)
			}
		})
	}
}

func TestRedisSupersededVersionExpires(t *testing.T) {
	s, _ := newRedisStore(t)
	ctx := context.Background()
	a, b := testList("a", 3), testList("b", 3)
	s.Publish(ctx, a)
	if ttl := s.rdb.TTL(ctx, s.entriesKey(a.Version.ID)).Val(); ttl != -1 {
		t.Fatalf("current version's entries TTL = %v, want none", ttl)
	}
	s.Publish(ctx, b)
	if ttl := s.rdb.TTL(ctx, s.entriesKey(a.Version.ID)).Val(); ttl <= 0 || ttl > time.Minute {
		t.Fatalf("superseded entries TTL = %v, want (0, 1m]", ttl)
	}
	if ttl := s.rdb.TTL(ctx, s.entriesKey(b.Version.ID)).Val(); ttl != -1 {
		t.Fatalf("new current entries TTL = %v, want none", ttl)
	}
}

// TestRedisNoReaderSeesHalfAList publishes lists of two sizes while readers
// load the current version; every load must be a whole list.
func TestRedisNoReaderSeesHalfAList(t *testing.T) {
	s, _ := newRedisStore(t)
	ctx := context.Background()
	lists := []*List{testList("x", 3000), testList("y", 5000)}
	want := map[string]int{lists[0].Version.ID: 3000, lists[1].Version.ID: 5000}
	s.Publish(ctx, lists[0])
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for r := 0; r < 3; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				v, err := s.Current(ctx)
				if err != nil {
					errs <- err
					return
				}
				l, err := s.Load(ctx, v.ID)
				if err != nil {
					errs <- err
					return
				}
				if len(l.Entries) != want[v.ID] {
					errs <- fmt.Errorf("version %s loaded with %d entries, want %d", v.ID, len(l.Entries), want[v.ID])
					return
				}
			}
		}()
	}
	for i := 0; i < 20; i++ {
		if err := s.Publish(ctx, lists[i%2]); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestRedisRedactsOldURLOrigins reads a version stored before origins were
// redacted: its LIST_URL token must not come back out.
func TestRedisRedactsOldURLOrigins(t *testing.T) {
	s, _ := newRedisStore(t)
	ctx := context.Background()
	l := testList("old", 3)
	l.Version.Source, l.Version.Origin = "url", "https://user:SECRET@host.test/x.csv?token=SECRET"
	if err := s.Publish(ctx, l); err != nil {
		t.Fatal(err)
	}
	cur, err := s.Current(ctx)
	if err != nil || strings.Contains(cur.Origin, "SECRET") {
		t.Fatalf("Current origin = %q, %v", cur.Origin, err)
	}
	vs, err := s.Versions(ctx)
	if err != nil || len(vs) != 1 || strings.Contains(vs[0].Origin, "SECRET") {
		t.Fatalf("Versions = %+v, %v", vs, err)
	}
	loaded, err := s.Load(ctx, l.Version.ID)
	if err != nil || strings.Contains(loaded.Version.Origin, "SECRET") {
		t.Fatalf("Load origin = %q, %v", loaded.Version.Origin, err)
	}
}
