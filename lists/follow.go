package lists

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Follower keeps one replica serving the store's current version. It hears
// of new versions by pub/sub and, because pub/sub is best effort (a message
// sent while Redis was unreachable is lost), also polls.
type Follower struct {
	Store Store
	// Serve is called with each list this replica should switch to. It must
	// not block for long; it is called from one goroutine at a time.
	Serve func(*List)
	// PollInterval is how often Current is polled; default 30s.
	PollInterval time.Duration
	Logger       *slog.Logger

	mu   sync.Mutex
	held *List
}

func (f *Follower) logger() *slog.Logger {
	if f.Logger == nil {
		return slog.Default()
	}
	return f.Logger
}

// Held returns the list this replica serves, or nil.
func (f *Follower) Held() *List {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.held
}

// Adopt makes l the served list without going through the store: the
// refresher of this replica has it in memory already, and the built-in
// snapshot never goes to the store.
func (f *Follower) Adopt(l *List) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.adoptLocked(l)
}

func (f *Follower) adoptLocked(l *List) {
	if f.held != nil && f.held.Version.ID == l.Version.ID {
		f.held = l // same content; keep the newer facts (fetched_at, validators)
		return
	}
	f.held = l
	if f.Serve != nil {
		f.Serve(l)
	}
}

// Sync checks the store once and switches to its current version if it is
// not the one held. When the store has lost its data (a Redis restarted
// without persistence) and this replica holds a real list, it publishes that
// list again so the other replicas and later restarts find it.
func (f *Follower) Sync(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	cur, err := f.Store.Current(ctx)
	if errors.Is(err, ErrNoVersion) {
		if f.held != nil && !f.held.Version.Builtin {
			f.logger().Warn("list store has no current version; publishing the list held in memory", "version", f.held.Version.ID)
			return f.Store.Publish(ctx, f.held)
		}
		return nil
	}
	if err != nil {
		return err
	}
	if f.held != nil && f.held.Version.ID == cur.ID {
		return nil
	}
	l, err := f.Store.Load(ctx, cur.ID)
	if err != nil {
		return err
	}
	f.logger().Info("switching to the store's current list version", "version", cur.ID, "entries", cur.Entries, "source", cur.Source, "origin", cur.Origin)
	f.adoptLocked(l)
	return nil
}

// Run follows the store until ctx ends.
func (f *Follower) Run(ctx context.Context) {
	poll := f.PollInterval
	if poll <= 0 {
		poll = 30 * time.Second
	}
	updates := f.Store.Subscribe(ctx)
	t := time.NewTicker(poll)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-updates:
			if !ok {
				updates = nil // subscription ended (ctx done); keep polling until then
				continue
			}
		case <-t.C:
		}
		if err := f.Sync(ctx); err != nil {
			if !failing && ctx.Err() == nil {
				f.logger().Warn("cannot sync with the list store; serving the list held in memory", "error", err)
			}
			failing = true
			continue
		}
		if failing {
			f.logger().Info("list store reachable again")
			failing = false
		}
	}
}
