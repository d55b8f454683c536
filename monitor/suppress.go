package monitor

import (
	"sync/atomic"

	"github.com/cslscreen/screener/lists"
	"github.com/cslscreen/screener/screening"
)

// suppressions indexes the false positive decisions by (key, counterparty
// reference or name, entry). It is immutable; a new decision makes a copy.
type suppressions struct {
	m map[string]suppression
	// keys counts the decisions of each key, so a key without any pays
	// nothing in its screenings.
	keys map[string]int
}

type suppression struct {
	decision, hash string
}

func supKey(keyID, who, entryKey string) string { return keyID + "\x00" + who + "\x00" + entryKey }

func (s *suppressions) add(d Decision) {
	if s.m == nil {
		s.m = map[string]suppression{}
		s.keys = map[string]int{}
	}
	s.keys[d.KeyID]++
	ek := EntryKey(d.Source, d.EntryID)
	v := suppression{decision: d.ID, hash: d.EntryHash}
	if d.Reference != "" {
		s.m[supKey(d.KeyID, "ref:"+d.Reference, ek)] = v
	}
	if n := normName(d.CounterpartyName); n != "" {
		s.m[supKey(d.KeyID, "name:"+n, ek)] = v
	}
}

// with stores in p a copy of s with d added.
func (s *suppressions) with(d Decision, p *atomic.Pointer[suppressions]) {
	for {
		cur := p.Load()
		next := &suppressions{m: make(map[string]suppression, len(cur.m)+2), keys: make(map[string]int, len(cur.keys)+1)}
		for k, v := range cur.m {
			next.m[k] = v
		}
		for k, v := range cur.keys {
			next.keys[k] = v
		}
		next.add(d)
		if p.CompareAndSwap(cur, next) {
			return
		}
	}
}

// lookup returns the decision suppressing (reference or name, entry) for a
// key while the entry's content hash is the one decided on; "" when none.
// An empty hash means "compute it when needed" is not supported: callers
// pass the hash.
func (s *suppressions) lookup(keyID, ref, name, source, id, hash string) string {
	if len(s.m) == 0 {
		return ""
	}
	ek := EntryKey(source, id)
	if ref != "" {
		if v, ok := s.m[supKey(keyID, "ref:"+ref, ek)]; ok && v.hash == hash {
			return v.decision
		}
	}
	if v, ok := s.m[supKey(keyID, "name:"+normName(name), ek)]; ok && v.hash == hash {
		return v.decision
	}
	return ""
}

// Suppressor returns what suppresses matches in the screenings of a key:
// the false positives decided for it, on its alerts or on matches of its
// screenings and batch rows, for the same reference or the same name
// (spaces and case aside) and an unchanged entry. Nil when the key has
// none, so its screenings and batch rows pay nothing.
func (e *Engine) Suppressor(keyID string) screening.SuppressFunc {
	s := e.sup.Load()
	if s.keys[keyID] == 0 {
		return nil
	}
	return func(ref, name string, ent *lists.Entry) string {
		ek := EntryKey(ent.Source, ent.ID)
		var cands [2]suppression
		n := 0
		if ref != "" {
			if v, ok := s.m[supKey(keyID, "ref:"+ref, ek)]; ok {
				cands[n], n = v, n+1
			}
		}
		if v, ok := s.m[supKey(keyID, "name:"+normName(name), ek)]; ok {
			cands[n], n = v, n+1
		}
		if n == 0 {
			return "" // the common case: no hash to compute
		}
		h := EntryHash(ent)
		for _, v := range cands[:n] {
			if v.hash == h {
				return v.decision
			}
		}
		return ""
	}
}
