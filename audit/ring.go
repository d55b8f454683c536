package audit

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Ring keeps the most recent records in process memory: at most its
// capacity, none older than its max age. It is for development and for
// single-replica deployments that accept losing the trail on restart.
//
// Write is O(1) and allocates nothing: a full ring overwrites its oldest
// slot in place. Query, Get and Export scan the whole ring under a lock
// (O(capacity)); records past the max age are skipped, not removed.
//
// Ring stores records as given: the caller must not change a record's
// slices or pointers after writing it. It is safe for concurrent use.
type Ring struct {
	mu     sync.Mutex
	slots  []Record
	next   int // slot of the next write
	n      int // slots in use
	maxAge time.Duration
	now    func() time.Time
}

// NewRing returns a ring of capacity records (at least 1) that ignores
// records older than maxAge (0: no age limit).
func NewRing(capacity int, maxAge time.Duration) *Ring {
	return &Ring{slots: make([]Record, max(capacity, 1)), maxAge: maxAge, now: time.Now}
}

// Write implements Log.
func (g *Ring) Write(_ context.Context, r Record) error {
	if err := r.Validate(); err != nil {
		return err
	}
	g.mu.Lock()
	g.slots[g.next] = r
	g.next++
	if g.next == len(g.slots) {
		g.next = 0
	}
	if g.n < len(g.slots) {
		g.n++
	}
	g.mu.Unlock()
	return nil
}

// WriteBatch implements BatchWriter.
func (g *Ring) WriteBatch(ctx context.Context, rs []Record) error {
	for _, r := range rs {
		if err := g.Write(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

// each calls fn for every live record, oldest write first, under the lock.
func (g *Ring) each(fn func(r *Record) bool) {
	var cut time.Time
	if g.maxAge > 0 {
		cut = g.now().Add(-g.maxAge)
	}
	start := g.next - g.n
	if start < 0 {
		start += len(g.slots)
	}
	for i := 0; i < g.n; i++ {
		r := &g.slots[(start+i)%len(g.slots)]
		if !cut.IsZero() && r.Time.Before(cut) {
			continue
		}
		if !fn(r) {
			return
		}
	}
}

func byTimeID(a, b Record) int {
	if c := a.Time.Compare(b.Time); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// Query implements Log. Its cursors are Cursor strings.
func (g *Ring) Query(_ context.Context, f Filter) (Page, error) {
	if err := f.Validate(); err != nil {
		return Page{}, err
	}
	var after *Cursor
	if f.Cursor != "" {
		c, err := ParseCursor(f.Cursor)
		if err != nil {
			return Page{}, err
		}
		after = &c
	}
	var out []Record
	g.mu.Lock()
	g.each(func(r *Record) bool {
		if f.Matches(r) && (after == nil || after.After(r.Time, r.ID)) {
			out = append(out, *r)
		}
		return true
	})
	g.mu.Unlock()
	slices.SortFunc(out, byTimeID)
	limit := f.limit()
	if len(out) <= limit {
		return Page{Records: out}, nil
	}
	out = out[:limit]
	last := out[limit-1]
	return Page{Records: out, NextCursor: Cursor{Time: last.Time, ID: last.ID}.String()}, nil
}

// Get implements Log.
func (g *Ring) Get(_ context.Context, id string) (Record, error) {
	var (
		found Record
		ok    bool
	)
	g.mu.Lock()
	g.each(func(r *Record) bool {
		if r.ID == id {
			found, ok = *r, true
		}
		return !ok
	})
	g.mu.Unlock()
	if !ok {
		return Record{}, fmt.Errorf("audit record %q: %w", id, ErrNotFound)
	}
	return found, nil
}

// Export implements Log. It copies the selected records (at most the
// ring's capacity) before calling fn, so fn may take its time.
func (g *Ring) Export(ctx context.Context, from, to time.Time, fn func(Record) error) error {
	f := Filter{From: from, To: to}
	var out []Record
	g.mu.Lock()
	g.each(func(r *Record) bool {
		if f.Matches(r) {
			out = append(out, *r)
		}
		return true
	})
	g.mu.Unlock()
	slices.SortFunc(out, byTimeID)
	for _, r := range out {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}
