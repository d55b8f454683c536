package lists

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
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
// against one Redis: exactly one fetches and publishes, the others see the
// lock. The fetch of the lock holder is held until the others have answered.
func TestRefreshOneReplicaAtATime(t *testing.T) {
	s, _ := newRedisStore(t)
	path := writeList(t, t.TempDir(), "shared", 500)
	g := newGated(&FileSource{Path: path})
	results := make(chan string, 4)
	for i := 0; i < 4; i++ {
		go func() {
			results <- (&Refresher{Source: g, Store: s}).Refresh(context.Background()).Outcome
		}()
	}
	outcomes := map[string]int{}
	got := 0
	deadline := time.After(10 * time.Second) // only reached when more than one replica fetches
wait:
	for outcomes[OutcomeLocked] < 3 {
		select {
		case o := <-results:
			outcomes[o]++
			got++
		case <-deadline:
			break wait
		}
	}
	close(g.release)
	for ; got < 4; got++ {
		outcomes[<-results]++
	}
	if outcomes[OutcomePublished] != 1 || outcomes[OutcomeLocked] != 3 || g.fetches.Load() != 1 {
		t.Fatalf("outcomes = %v after %d fetches, want 1 published and 3 locked", outcomes, g.fetches.Load())
	}
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
	waitFor(t, "the follower's subscription", func() bool {
		n, err := s.rdb.PubSubNumSub(ctx, s.channel()).Result()
		return err == nil && n[s.channel()] == 1
	})

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
	watched := &failureCounter{Store: s}
	f := &Follower{Store: watched, PollInterval: 100 * time.Millisecond, Serve: func(l *List) {
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
	waitFor(t, "two failed polls", func() bool { return watched.fails.Load() >= 2 })
	if h := f.Held(); h == nil || h.Version.ID != l.Version.ID {
		t.Fatalf("held = %v while Redis is down", h)
	}
	// Redis comes back empty: the follower republishes its list.
	srv.Restart()
	waitFor(t, "the list republished after Redis came back", func() bool {
		cur, err := s.Current(ctx)
		return err == nil && cur.ID == l.Version.ID
	})
	mu.Lock()
	defer mu.Unlock()
	if len(servedIDs) != 1 {
		t.Fatalf("served %v, want the one list only", servedIDs)
	}
}

// TestShrinkGuardHighWater makes four successive 15% cuts: the first is
// accepted, the second is 28% below the largest recent list and refused,
// although it is only 15% below the current one.
func TestShrinkGuardHighWater(t *testing.T) {
	stores := map[string]func(t *testing.T) Store{
		"memory": func(t *testing.T) Store { return NewMemoryStore() },
		"redis":  func(t *testing.T) Store { s, _ := newRedisStore(t); return s },
	}
	for name, mk := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			store := mk(t)
			refresh := func(name string, n int) RefreshResult {
				// A new Refresher each time, as after a restart: the mark
				// must come from the store.
				r := &Refresher{Source: &FileSource{Path: writeList(t, dir, name, n)}, Store: store, MaxShrink: 0.2}
				return r.Refresh(ctx)
			}
			if res := refresh("full", 100); res.Outcome != OutcomePublished {
				t.Fatalf("first list: %+v", res)
			}
			if res := refresh("cut1", 85); res.Outcome != OutcomePublished {
				t.Fatalf("15%% cut from 100: %+v, want published", res)
			}
			res := refresh("cut2", 72)
			var se *ShrinkError
			if res.Outcome != OutcomeFailed || res.Reason != ReasonShrink || res.Status() != AttemptRefused || !errors.As(res.Err, &se) || res.Guard != se {
				t.Fatalf("second 15%% cut (72 of a 100 high-water mark): %+v, want refused", res)
			}
			if se.Old != 100 || se.New != 72 || se.Current != 85 || se.Window != DefaultHighWaterWindow || !strings.Contains(se.Error(), "the largest list current in the last 30 days had 100") {
				t.Fatalf("guard = %+v: %v", se, se)
			}
			if cur, _ := store.Current(ctx); cur.Entries != 85 {
				t.Fatalf("current has %d entries after the refusal, want 85", cur.Entries)
			}
			if hw, err := store.HighWater(ctx); err != nil || hw.Entries != 100 {
				t.Fatalf("stored mark = %+v, %v; want 100", hw, err)
			}
		})
	}
}

func TestShrinkGuardForceAndWindow(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store := NewMemoryStore()
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := &Refresher{Store: store, Now: func() time.Time { return clock }}
	run := func(name string, n int, req RefreshRequest) RefreshResult {
		r.Source = &FileSource{Path: writeList(t, dir, name, n)}
		return r.RefreshNow(ctx, req)
	}
	run("a", 100, RefreshRequest{})
	run("b", 85, RefreshRequest{})

	// Force publishes the refused list, says so, and makes it the baseline.
	res := run("c", 72, RefreshRequest{Force: true, By: "alice"})
	if res.Outcome != OutcomePublished || !res.Forced || res.Guard == nil || res.Guard.Old != 100 || res.By != "alice" || res.Status() != AttemptUpdated {
		t.Fatalf("forced refresh = %+v", res)
	}
	if st := r.Status(); !st.LastForced || st.LastBy != "alice" || st.LastOutcome != AttemptUpdated {
		t.Fatalf("status after the forced refresh = %+v", st)
	}
	if res := run("d", 62, RefreshRequest{}); res.Outcome != OutcomePublished {
		t.Fatalf("14%% below the forced 72: %+v, want published", res)
	}
	// Force on a list the guard accepts is an ordinary refresh.
	if res := run("e", 60, RefreshRequest{Force: true}); res.Outcome != OutcomePublished || res.Forced || res.Guard != nil {
		t.Fatalf("forced refresh the guard accepts = %+v", res)
	}

	// The mark is forgotten once it is older than the window.
	store2 := NewMemoryStore()
	r = &Refresher{Store: store2, HighWaterWindow: 48 * time.Hour, Now: func() time.Time { return clock }}
	run("f", 100, RefreshRequest{})
	clock = clock.Add(time.Hour)
	run("g", 85, RefreshRequest{}) // 100 last seen current now
	clock = clock.Add(47 * time.Hour)
	if res := run("h", 72, RefreshRequest{}); res.Outcome != OutcomeFailed || res.Reason != ReasonShrink {
		t.Fatalf("within the window: %+v, want refused", res)
	}
	clock = clock.Add(2 * time.Hour)
	if res := run("i", 73, RefreshRequest{}); res.Outcome != OutcomePublished {
		t.Fatalf("after the window: %+v, want published (14%% below the current 85)", res)
	}
}

// gatedSource blocks each Fetch until the test releases it.
type gatedSource struct {
	Source
	started chan struct{}
	release chan struct{}
	fetches atomic.Int32
}

func (g *gatedSource) Fetch(ctx context.Context, prev *Version) (*List, error) {
	g.fetches.Add(1)
	g.started <- struct{}{}
	<-g.release
	return g.Source.Fetch(ctx, prev)
}

func newGated(src Source) *gatedSource {
	return &gatedSource{Source: src, started: make(chan struct{}, 4), release: make(chan struct{})}
}

func TestRefreshNowJoinsARunningRefresh(t *testing.T) {
	ctx := context.Background()
	g := newGated(&FileSource{Path: writeList(t, t.TempDir(), "l", 10)})
	r := &Refresher{Source: g, Store: NewMemoryStore()}
	first := make(chan RefreshResult, 1)
	go func() { first <- r.Refresh(ctx) }()
	<-g.started
	if st := r.Status(); !st.Running {
		t.Fatalf("status while refreshing = %+v, want running", st)
	}
	second := make(chan RefreshResult, 1)
	go func() { second <- r.RefreshNow(ctx, RefreshRequest{By: "bob"}) }()

	// A caller that gives up gets a canceled result; the refresh goes on.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if res := r.RefreshNow(cctx, RefreshRequest{}); res.Reason != ReasonCanceled || !errors.Is(res.Err, context.Canceled) {
		t.Fatalf("canceled wait = %+v", res)
	}
	waitFor(t, "the second caller to wait", func() bool { return r.waiting() == 2 }) // bob and the canceled one
	close(g.release)
	a, b := <-first, <-second
	if a.Outcome != OutcomePublished || b.Outcome != OutcomePublished || !b.Joined || a.Joined || b.List != a.List {
		t.Fatalf("results: %+v and %+v, want one published refresh shared", a, b)
	}
	if n := g.fetches.Load(); n != 1 {
		t.Fatalf("%d fetches, want 1", n)
	}
}

func TestForcedRequestDoesNotSettleForAnUnforcedRun(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store := NewMemoryStore()
	(&Refresher{Source: &FileSource{Path: writeList(t, dir, "big", 100)}, Store: store}).Refresh(ctx)

	g := newGated(&FileSource{Path: writeList(t, dir, "small", 50)})
	r := &Refresher{Source: g, Store: store}
	unforced := make(chan RefreshResult, 1)
	go func() { unforced <- r.Refresh(ctx) }()
	<-g.started
	forced := make(chan RefreshResult, 1)
	go func() { forced <- r.RefreshNow(ctx, RefreshRequest{Force: true, By: "ops"}) }()
	waitFor(t, "the forced request to wait", func() bool { return r.waiting() == 1 })
	close(g.release) // also lets the forced run's own fetch through
	if res := <-unforced; res.Outcome != OutcomeFailed || res.Reason != ReasonShrink {
		t.Fatalf("unforced = %+v, want refused", res)
	}
	if res := <-forced; res.Outcome != OutcomePublished || !res.Forced || res.Joined {
		t.Fatalf("forced = %+v, want its own forced publish", res)
	}
	if n := g.fetches.Load(); n != 2 {
		t.Fatalf("%d fetches, want 2", n)
	}
}

func TestRefresherStatus(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	r := &Refresher{Source: &FileSource{Path: filepath.Join(dir, "missing.csv")}, Store: NewMemoryStore()}
	if st := r.Status(); !st.LastAttempt.IsZero() || st.LastOutcome != "" || !st.NextAttempt.IsZero() || st.Interval != 0 || st.Source != "file" {
		t.Fatalf("status before any refresh = %+v", st)
	}
	r.Refresh(ctx)
	st := r.Status()
	if st.LastAttempt.IsZero() || st.LastOutcome != AttemptFailed || !strings.Contains(st.LastError, "missing.csv: not found") || st.LastBy != "schedule" {
		t.Fatalf("status after a failed refresh = %+v", st)
	}

	r.Source = &FileSource{Path: writeList(t, dir, "ok", 5)}
	done := make(chan struct{})
	go func() { r.Run(ctx, time.Hour, nil); close(done) }()
	waitFor(t, "a scheduled refresh and the next attempt", func() bool {
		st := r.Status()
		return st.LastOutcome == AttemptUpdated && st.Interval == time.Hour && !st.NextAttempt.IsZero() && !st.LastUpdated.IsZero()
	})
	cancel()
	<-done
	if st := r.Status(); !st.NextAttempt.IsZero() || st.Interval != 0 {
		t.Fatalf("status after Run stopped = %+v, want no next attempt", st)
	}
}

// waitFor polls cond until it holds, failing the test after 10s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// failureCounter counts the store failures Current returns.
type failureCounter struct {
	Store
	fails atomic.Int32
}

func (c *failureCounter) Current(ctx context.Context) (Version, error) {
	v, err := c.Store.Current(ctx)
	if err != nil && !errors.Is(err, ErrNoVersion) {
		c.fails.Add(1)
	}
	return v, err
}
