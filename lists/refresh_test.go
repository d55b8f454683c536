package lists

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// writeList writes a CSV list of n entries and returns its path.
func writeList(t *testing.T, dir, name string, n int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("_id,source,name\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "%s-%d,Entity List (EL) - Bureau of Industry and Security,Company %s %d\n", name, i, name, i)
	}
	p := filepath.Join(dir, name+".csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRefresherOutcomes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store := NewMemoryStore()
	var observed []RefreshResult
	r := &Refresher{Source: &FileSource{Path: writeList(t, dir, "full", 100)}, Store: store, Observe: func(res RefreshResult) { observed = append(observed, res) }}

	if res := r.Refresh(ctx); res.Outcome != OutcomePublished || res.List.Version.Entries != 100 {
		t.Fatalf("first refresh = %+v", res)
	}
	if res := r.Refresh(ctx); res.Outcome != OutcomeNotModified {
		t.Fatalf("unchanged file = %+v, want not_modified", res)
	}
	good, _ := store.Current(ctx)

	// A list that shrank by more than a fifth is refused; the current stays.
	r.Source = &FileSource{Path: writeList(t, dir, "small", 70)}
	res := r.Refresh(ctx)
	var se *ShrinkError
	if res.Outcome != OutcomeFailed || res.Reason != ReasonShrink || !errors.As(res.Err, &se) || !strings.Contains(res.Err.Error(), "100") {
		t.Fatalf("shrunk list = %+v", res)
	}
	// Garbage and truncated files are refused with a clear reason.
	garbage := filepath.Join(dir, "garbage.csv")
	os.WriteFile(garbage, []byte("<html>Service Unavailable</html>\n"), 0o644)
	r.Source = &FileSource{Path: garbage}
	if res := r.Refresh(ctx); res.Outcome != OutcomeFailed || res.Reason != ReasonParse || !strings.Contains(res.Err.Error(), "missing required column") {
		t.Fatalf("garbage = %+v", res)
	}
	r.Source = &FileSource{Path: filepath.Join(dir, "missing.csv")}
	if res := r.Refresh(ctx); res.Outcome != OutcomeFailed || res.Reason != ReasonFetch {
		t.Fatalf("missing = %+v", res)
	}
	if cur, _ := store.Current(ctx); cur.ID != good.ID {
		t.Fatalf("current changed to %s after refused refreshes, want %s", cur.ID, good.ID)
	}
	// A list that grew is fine, and so is a small shrink.
	r.Source = &FileSource{Path: writeList(t, dir, "grown", 90)}
	if res := r.Refresh(ctx); res.Outcome != OutcomePublished {
		t.Fatalf("10%% smaller list = %+v, want published", res)
	}
	if len(observed) != 6 {
		t.Fatalf("observed %d results, want 6", len(observed))
	}

	unlock, _ := store.TryLock(ctx, "refresh", time.Minute)
	if res := r.Refresh(ctx); res.Outcome != OutcomeLocked {
		t.Fatalf("with the lock held elsewhere = %+v, want locked", res)
	}
	unlock()
}

func TestRefresherBuiltinIsNoShrinkBaseline(t *testing.T) {
	// The 3-entry built-in snapshot in a store must not make a real list
	// look like growth only, nor a smaller real list look like a shrink.
	ctx := context.Background()
	store := NewMemoryStore()
	store.Publish(ctx, Embedded())
	r := &Refresher{Source: &FileSource{Path: writeList(t, t.TempDir(), "two", 2)}, Store: store}
	if res := r.Refresh(ctx); res.Outcome != OutcomePublished {
		t.Fatalf("refresh over the built-in snapshot = %+v", res)
	}
}

// TestRefreshOneReplicaAtATime runs refreshers of several replicas at once
// against one Redis: exactly one fetches and publishes, the others see the lock.
func TestRefreshOneReplicaAtATime(t *testing.T) {
	s, _ := newRedisStore(t)
	path := writeList(t, t.TempDir(), "shared", 500)
	var mu sync.Mutex
	outcomes := map[string]int{}
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			src := &slowSource{Source: &FileSource{Path: path}, delay: 200 * time.Millisecond}
			res := (&Refresher{Source: src, Store: s}).Refresh(context.Background())
			mu.Lock()
			outcomes[res.Outcome]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if outcomes[OutcomePublished] != 1 || outcomes[OutcomeLocked] != 3 {
		t.Fatalf("outcomes = %v, want 1 published and 3 locked", outcomes)
	}
}

type slowSource struct {
	Source
	delay time.Duration
}

func (s *slowSource) Fetch(ctx context.Context, prev *Version) (*List, error) {
	time.Sleep(s.delay)
	return s.Source.Fetch(ctx, prev)
}

func TestFollowerSwitchesOnPublish(t *testing.T) {
	s, _ := newRedisStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan string, 10)
	f := &Follower{Store: s, PollInterval: time.Hour, Serve: func(l *List) { served <- l.Version.ID }}
	f.Adopt(Embedded())
	<-served
	go f.Run(ctx)
	time.Sleep(100 * time.Millisecond) // subscription in place

	l := testList("pub", 20)
	if err := s.Publish(ctx, l); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-served:
		if id != l.Version.ID {
			t.Fatalf("served %s, want %s", id, l.Version.ID)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("follower did not switch on pub/sub")
	}
}

func TestFollowerPollsAndRepublishesAfterRedisLoss(t *testing.T) {
	s, srv := newRedisStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l := testList("keep", 30)
	if err := s.Publish(ctx, l); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var servedIDs []string
	f := &Follower{Store: s, PollInterval: 100 * time.Millisecond, Serve: func(l *List) {
		mu.Lock()
		servedIDs = append(servedIDs, l.Version.ID)
		mu.Unlock()
	}}
	if err := f.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	go f.Run(ctx)

	// Redis goes away: the follower keeps what it holds.
	srv.Stop()
	time.Sleep(300 * time.Millisecond)
	if h := f.Held(); h == nil || h.Version.ID != l.Version.ID {
		t.Fatalf("held = %v while Redis is down", h)
	}
	// Redis comes back empty: the follower republishes its list.
	srv.Restart()
	deadline := time.Now().Add(10 * time.Second)
	for {
		cur, err := s.Current(ctx)
		if err == nil && cur.ID == l.Version.ID {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("list not republished after Redis came back: %v %v", cur, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(servedIDs) != 1 {
		t.Fatalf("served %v, want the one list only", servedIDs)
	}
}
