package service

import (
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
}

// Catalog holds the snapshot this replica serves and swaps it atomically.
// The zero value holds nothing; Current returns nil until the first Load.
type Catalog struct {
	cur atomic.Pointer[Snapshot]
	// OnSwap, when set, is called after each swap (for metrics and logs).
	OnSwap func(*Snapshot)
}

// Load builds the index for l and makes it current. Building takes well under
// a second for the full CSL; requests keep using the previous snapshot
// meanwhile.
func (c *Catalog) Load(l *lists.List) *Snapshot {
	start := time.Now()
	idx := matcher.Build(Records(l))
	s := &Snapshot{List: l, Index: idx, LoadedAt: time.Now().UTC(), BuildTime: time.Since(start)}
	c.cur.Store(s)
	if c.OnSwap != nil {
		c.OnSwap(s)
	}
	return s
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
