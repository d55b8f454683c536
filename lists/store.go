package lists

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"
)

// ErrNoVersion is returned by Store.Current when no list has been published.
var ErrNoVersion = errors.New("no list version published")

// ErrLocked is returned by Store.TryLock when another holder has the lock.
var ErrLocked = errors.New("lock held by another replica")

// StoreError is a failure of the store itself (Redis unreachable, a command
// failing), as opposed to ErrNoVersion or a missing version. Callers keep
// serving what they hold in memory when they see one.
type StoreError struct {
	Op  string
	Err error
}

func (e *StoreError) Error() string { return "list store: " + e.Op + ": " + e.Err.Error() }
func (e *StoreError) Unwrap() error { return e.Err }

// Store holds published list versions and says which one is current.
//
// Concurrency: every method is safe for concurrent use, by goroutines of one
// process and (for the Redis store) by every replica sharing the store.
// Publish makes a version current in one atomic step: a reader calling
// Current then Load sees either the old list whole or the new list whole.
type Store interface {
	// Current returns the current version, or ErrNoVersion.
	Current(ctx context.Context) (Version, error)
	// Load returns the list of a published version. A superseded version
	// can still be loaded until it expires.
	Load(ctx context.Context, id string) (*List, error)
	// Publish stores l and makes it current, then tells subscribers.
	Publish(ctx context.Context, l *List) error
	// Versions lists the current and retained past versions, newest first.
	Versions(ctx context.Context) ([]Version, error)
	// Subscribe returns a channel that receives a version id each time a
	// version becomes current, until ctx ends. Delivery is best effort
	// (pub/sub); callers also poll Current.
	Subscribe(ctx context.Context) <-chan string
	// TryLock takes a named lock for at most ttl. It returns ErrLocked when
	// someone else holds it, and an unlock function otherwise.
	TryLock(ctx context.Context, name string, ttl time.Duration) (unlock func(), err error)
	// MarkRefreshed records that the current version was checked against
	// its origin at t (also when the origin had not changed); LastRefreshed
	// returns it, or the zero time.
	MarkRefreshed(ctx context.Context, t time.Time) error
	LastRefreshed(ctx context.Context) (time.Time, error)
	// HighWater returns the shrink guard's stored mark (the zero mark when
	// none was stored); SetHighWater replaces it. The Redis store keeps it
	// across restarts, so a run of cuts spread over restarts is still seen.
	HighWater(ctx context.Context) (HighWater, error)
	SetHighWater(ctx context.Context, h HighWater) error
	// Ping reports whether the store is reachable.
	Ping(ctx context.Context) error
	// Kind is "redis" or "memory".
	Kind() string
}

// maxRetainedVersions bounds the version history a store keeps.
const maxRetainedVersions = 20

// MemoryStore is a Store in process memory, for a single replica without Redis.
type MemoryStore struct {
	mu        sync.Mutex
	lists     map[string]*List
	order     []string // published ids, oldest first
	current   string
	refreshed time.Time
	highWater HighWater
	subs      []chan string
	locks     map[string]time.Time
	now       func() time.Time
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{lists: map[string]*List{}, locks: map[string]time.Time{}, now: time.Now}
}

// Kind implements Store.
func (m *MemoryStore) Kind() string { return "memory" }

// Ping implements Store.
func (m *MemoryStore) Ping(context.Context) error { return nil }

// Current implements Store.
func (m *MemoryStore) Current(context.Context) (Version, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.current == "" {
		return Version{}, ErrNoVersion
	}
	return m.lists[m.current].Version, nil
}

// Load implements Store.
func (m *MemoryStore) Load(_ context.Context, id string) (*List, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.lists[id]
	if !ok {
		return nil, ErrNoVersion
	}
	return l, nil
}

// Publish implements Store.
func (m *MemoryStore) Publish(_ context.Context, l *List) error {
	m.mu.Lock()
	id := l.Version.ID
	if _, ok := m.lists[id]; !ok {
		m.order = append(m.order, id)
	} else {
		m.order = append(removeString(m.order, id), id)
	}
	m.lists[id] = l
	m.current = id
	for len(m.order) > maxRetainedVersions {
		delete(m.lists, m.order[0])
		m.order = m.order[1:]
	}
	subs := append([]chan string(nil), m.subs...)
	m.mu.Unlock()
	for _, c := range subs {
		select {
		case c <- id:
		default: // a slow subscriber polls Current anyway
		}
	}
	return nil
}

// Versions implements Store.
func (m *MemoryStore) Versions(context.Context) ([]Version, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Version, 0, len(m.order))
	for i := len(m.order) - 1; i >= 0; i-- {
		out = append(out, m.lists[m.order[i]].Version)
	}
	sortVersions(out, m.current)
	return out, nil
}

// Subscribe implements Store.
func (m *MemoryStore) Subscribe(ctx context.Context) <-chan string {
	c := make(chan string, 4)
	m.mu.Lock()
	m.subs = append(m.subs, c)
	m.mu.Unlock()
	go func() {
		<-ctx.Done()
		m.mu.Lock()
		for i, s := range m.subs {
			if s == c {
				m.subs = append(m.subs[:i], m.subs[i+1:]...)
				break
			}
		}
		m.mu.Unlock()
		close(c)
	}()
	return c
}

// TryLock implements Store.
func (m *MemoryStore) TryLock(_ context.Context, name string, ttl time.Duration) (func(), error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if until, ok := m.locks[name]; ok && now.Before(until) {
		return nil, ErrLocked
	}
	until := now.Add(ttl)
	m.locks[name] = until
	return func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.locks[name].Equal(until) {
			delete(m.locks, name)
		}
	}, nil
}

// MarkRefreshed implements Store.
func (m *MemoryStore) MarkRefreshed(_ context.Context, t time.Time) error {
	m.mu.Lock()
	m.refreshed = t
	m.mu.Unlock()
	return nil
}

// LastRefreshed implements Store.
func (m *MemoryStore) LastRefreshed(context.Context) (time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.refreshed, nil
}

func removeString(s []string, v string) []string {
	out := s[:0]
	for _, x := range s {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}

// sortVersions puts the current version first, then the rest newest first.
func sortVersions(vs []Version, current string) {
	sort.SliceStable(vs, func(i, j int) bool {
		if (vs[i].ID == current) != (vs[j].ID == current) {
			return vs[i].ID == current
		}
		return vs[i].FetchedAt.After(vs[j].FetchedAt)
	})
}

// HighWater is the shrink guard's baseline: the largest list (by entries)
// seen current, and when it was last seen current. The Refresher raises it
// whenever the current or a newly published version is at least as large,
// ignores it once Seen is older than its HighWaterWindow, and resets it when
// a list is published by force.
type HighWater struct {
	Entries int       `json:"entries"`
	Version string    `json:"version"`
	Seen    time.Time `json:"seen"`
}

// raise returns the mark moved up to v, seen at t, when v is at least as large.
func (h HighWater) raise(v Version, t time.Time) HighWater {
	if v.Entries >= h.Entries {
		return HighWater{Entries: v.Entries, Version: v.ID, Seen: t.UTC()}
	}
	return h
}

// HighWater implements Store.
func (m *MemoryStore) HighWater(context.Context) (HighWater, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.highWater, nil
}

// SetHighWater implements Store.
func (m *MemoryStore) SetHighWater(_ context.Context, h HighWater) error {
	m.mu.Lock()
	m.highWater = h
	m.mu.Unlock()
	return nil
}
