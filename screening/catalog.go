// Package screening is the product's core: the list version a replica
// serves and its match index (Catalog, Snapshot), the rules of a query
// (Check), and one screening of one name: a Result with its status, its
// warnings and each matched entry's facts. It knows nothing of HTTP or of
// storage formats; the service and the batch engine both screen through it.
package screening

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cslscreen/screener/lists"
	"github.com/cslscreen/screener/matcher"
)

// Snapshot is one list version with its match index. It is immutable, so a
// request that took a Snapshot screens, describes and names one version even
// if a refresh swaps the catalog mid-request.
type Snapshot struct {
	List      *lists.List
	Index     *matcher.Index
	LoadedAt  time.Time
	BuildTime time.Duration
	// facts holds each entry's list facts, JSON-encoded once (facts.go).
	facts []EncodedFacts
	// maxAge is the catalog's MaxAge when the snapshot was made.
	maxAge time.Duration
}

// NewSnapshot indexes l and encodes its entries' facts.
func NewSnapshot(l *lists.List) *Snapshot {
	start := time.Now()
	s := &Snapshot{List: l, Index: matcher.Build(Records(l)), facts: encodeFacts(l)}
	s.LoadedAt = time.Now().UTC()
	s.BuildTime = s.LoadedAt.Sub(start)
	return s
}

// Catalog holds the snapshot this replica serves and swaps it atomically.
// The zero value holds nothing; Current returns nil until the first Load.
type Catalog struct {
	cur atomic.Pointer[Snapshot]
	// OnSwap, when set, is called after each swap (for metrics and logs).
	OnSwap func(*Snapshot)
	// Store, when set, is where Pinned finds versions this replica does not
	// serve any more.
	Store VersionLoader
	// MaxAge is how old a list may be before answers carry the stale_list
	// warning; 0 turns the warning off. Set it before the first Load.
	MaxAge time.Duration

	pinMu  sync.Mutex
	pinned []*Snapshot // most recently used first
}

// VersionLoader loads a published list version (a lists.Store does).
type VersionLoader interface {
	Load(ctx context.Context, id string) (*lists.List, error)
}

// ErrVersionGone is returned by Pinned for a version that is neither served
// nor still in the store.
var ErrVersionGone = errors.New("list version no longer available")

// maxPinned bounds the superseded snapshots kept for long jobs.
const maxPinned = 2

// Pinned returns the snapshot of a given version: the current one, one
// already pinned, the built-in snapshot, or one loaded from the store and
// indexed. A batch job screens every row against the version it started
// with, on whichever replica works on it, even after a refresh.
func (c *Catalog) Pinned(ctx context.Context, id string) (*Snapshot, error) {
	if cur := c.Current(); cur != nil && cur.List.Version.ID == id {
		return cur, nil
	}
	c.pinMu.Lock()
	defer c.pinMu.Unlock()
	for i, s := range c.pinned {
		if s.List.Version.ID == id {
			copy(c.pinned[1:i+1], c.pinned[:i])
			c.pinned[0] = s
			return s, nil
		}
	}
	var l *lists.List
	if emb := lists.Embedded(); emb.Version.ID == id {
		l = emb
	} else if c.Store != nil {
		var err error
		if l, err = c.Store.Load(ctx, id); err != nil {
			if errors.Is(err, lists.ErrNoVersion) {
				return nil, fmt.Errorf("%w: %s", ErrVersionGone, id)
			}
			return nil, err
		}
	} else {
		return nil, fmt.Errorf("%w: %s", ErrVersionGone, id)
	}
	s := NewSnapshot(l)
	s.maxAge = c.MaxAge
	c.pinned = append([]*Snapshot{s}, c.pinned...)
	if len(c.pinned) > maxPinned {
		c.pinned = c.pinned[:maxPinned]
	}
	return s, nil
}

// Load builds the index for l and makes it current. Building takes well under
// a second for the full CSL; requests keep using the previous snapshot
// meanwhile.
func (c *Catalog) Load(l *lists.List) *Snapshot {
	s := NewSnapshot(l)
	s.maxAge = c.MaxAge
	c.cur.Store(s)
	if c.OnSwap != nil {
		c.OnSwap(s)
	}
	return s
}

// factsOf returns entry i's encoded facts.
func (s *Snapshot) factsOf(i int) *EncodedFacts {
	if i < len(s.facts) {
		return &s.facts[i]
	}
	return nil
}

// Current returns the served snapshot, or nil before the first Load.
func (c *Catalog) Current() *Snapshot { return c.cur.Load() }

// Records converts a list's entries to the matcher's records, position for
// position, so a Match.Record indexes l.Entries.
func Records(l *lists.List) []matcher.Record {
	recs := make([]matcher.Record, len(l.Entries))
	for i := range l.Entries {
		e := &l.Entries[i]
		recs[i] = matcher.Record{ID: e.ID, Source: e.Source, Type: e.Type, Names: e.Names(), Countries: e.Countries()}
	}
	return recs
}
