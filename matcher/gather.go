package matcher

import (
	"cmp"
	"slices"
)

// Gathering turns the query's candidate vocabulary entries into a short
// list of candidate names, walking postings without scanning the list and
// without walking the postings of words too light to matter.

// gather sums, per name, the query weight its tokens could cover, and keeps
// in s.top the names with the highest estimated scores: at most
// params.candidates of them, whatever the postings' lengths.
func (ix *Index) gather(s *scratch, threshold float32, typ string) {
	// Estimates compare ordinary words only: legal forms, function words
	// and titles weigh little and are not gathered.
	var wq float32
	for i, w := range s.qw {
		if s.qt[i].tok.kind == kindWord {
			wq += w
		}
	}
	floor := ix.params.minEstimate * threshold
	ix.weighCands(s)
	s.groupUnits()
	essential := s.essentialUnits(floor, wq, ix.params.cq)
	base := s.nextEpoch()
	ix.walkUnits(s, s.units[:essential], base)
	if essential < len(s.units) {
		ix.addMinor(s, essential, base)
	}
	ix.keepBest(s, wq, floor, typ)
}

// counts reports whether candidate c takes part in gathering: a single
// word's candidate only for an ordinary word, a joined or cut word's
// always.
func (s *scratch) counts(c *cand) bool {
	return s.qt[c.q].tok.kind == kindWord || c.unit != unitSingle
}

// unitKey numbers the query unit candidate c stands for: query token q, the
// pair q, q+1 joined, or q cut in two.
func (s *scratch) unitKey(c *cand) uint32 {
	switch c.unit {
	case unitJoin:
		return uint32(len(s.qt) + int(c.q))
	case unitSplitFirst:
		return uint32(2*len(s.qt) + int(c.q))
	case unitResplit:
		return uint32(3*len(s.qt) + int(c.q))
	case unitJoin3:
		return uint32(4*len(s.qt) + int(c.q))
	case unitSplit3:
		return uint32(5*len(s.qt) + int(c.q))
	}
	return uint32(c.q)
}

// weighCands puts in s.order the candidates that take part, unit by unit,
// best similarity first, so that a name collects each unit's best
// contribution once; and sets each one's contribution to a name's estimate
// (s.contrib) and the query weight its unit covers (s.qpart).
func (ix *Index) weighCands(s *scratch) {
	s.order = s.order[:0]
	for e := range s.cands {
		if s.counts(&s.cands[e]) {
			s.order = append(s.order, int32(e))
		}
	}
	// A pair weighs the mean of its words' weights, or the listed word's
	// weight for a query word the list lacks (score.go).
	s.contrib = resizeFloats(s.contrib, len(s.cands))
	s.qpart = resizeFloats(s.qpart, len(s.cands))
	for _, e := range s.order {
		c := &s.cands[e]
		v := c.vocab
		s.qpart[e] = s.qw[c.q]
		if c.unit == unitJoin || c.unit == unitResplit || c.unit == unitJoin3 {
			s.qpart[e] += s.qw[c.q+1]
		}
		if c.unit == unitJoin3 {
			s.qpart[e] += s.qw[c.q+2]
		}
		switch c.unit {
		case unitJoin:
			s.contrib[e] = c.sim * (s.qw[c.q] + s.qw[c.q+1] + ix.vocab[v].w) / 2
		case unitJoin3:
			s.contrib[e] = c.sim * (s.qw[c.q] + s.qw[c.q+1] + s.qw[c.q+2] + ix.vocab[v].w) / 2
		case unitSplitFirst:
			s.contrib[e] = c.sim * (s.qw[c.q] + ix.vocab[v].w + ix.vocab[c.partner].w) / 2
		case unitSplit3:
			p := s.split3[c.partner]
			s.contrib[e] = c.sim * (s.qw[c.q] + ix.vocab[v].w + ix.vocab[p[0]].w + ix.vocab[p[1]].w) / 2
		case unitResplit:
			s.contrib[e] = c.sim * (s.qw[c.q] + s.qw[c.q+1] + ix.vocab[v].w + ix.vocab[c.partner].w) / 2
		default:
			s.contrib[e] = c.sim * (s.qw[c.q] + ix.vocab[v].w) / 2
			if !s.qt[c.q].exact {
				s.contrib[e] = c.sim * ix.vocab[v].w
			}
		}
	}
	// slices.SortFunc runs the same pattern-defeating quicksort as
	// sort.Slice, so ties come out in the same order, without its
	// reflection and allocations.
	slices.SortFunc(s.order, func(a, b int32) int {
		ca, cb := &s.cands[a], &s.cands[b]
		if ka, kb := s.unitKey(ca), s.unitKey(cb); ka != kb {
			return cmp.Compare(ka, kb)
		}
		return cmp.Compare(cb.sim, ca.sim)
	})
}

// groupUnits cuts s.order into its units (s.units), heaviest first.
func (s *scratch) groupUnits() {
	s.units = s.units[:0]
	for i := 0; i < len(s.order); {
		uk := s.unitKey(&s.cands[s.order[i]])
		j := i
		var best float32
		for j < len(s.order) && s.unitKey(&s.cands[s.order[j]]) == uk {
			best = max(best, s.contrib[s.order[j]])
			j++
		}
		s.units = append(s.units, unitSpan{key: uk, from: int32(i), to: int32(j), max: best, q: s.qpart[s.order[i]]})
		i = j
	}
	slices.SortFunc(s.units, func(a, b unitSpan) int {
		if a.max != b.max {
			return cmp.Compare(b.max, a.max)
		}
		return cmp.Compare(a.key, b.key)
	})
}

// essentialUnits returns how many of the units, heaviest first, a name must
// hold one of to reach the estimate floor: once the rest weigh too little,
// a name that holds none of the first cannot (MaxScore). The rest's
// postings, however long, are not walked (addMinor).
func (s *scratch) essentialUnits(floor, wq, cq float32) int {
	var rest, restQ float32
	for _, u := range s.units {
		rest += u.max
		restQ += u.q
	}
	for k, u := range s.units {
		if rest/(rest+cq*max(0, wq-restQ)) < floor {
			return k
		}
		rest -= u.max
		restQ -= u.q
	}
	return len(s.units)
}

// nextEpoch starts a new query's marks on the accumulators and returns its
// base: a unit's mark is base | unit key.
func (s *scratch) nextEpoch() uint32 {
	s.epoch++
	if s.epoch >= 1<<22 {
		for i := range s.acc {
			s.acc[i].stamp = 0
		}
		s.epoch = 1
	}
	return s.epoch << 10
}

// walkUnits walks the postings of the units' candidates, adding each
// unit's contribution once to every name it reaches.
func (ix *Index) walkUnits(s *scratch, units []unitSpan, base uint32) {
	for _, u := range units {
		mark := base | (u.key & 1023)
		for _, e := range s.order[u.from:u.to] {
			c := &s.cands[e]
			v := c.vocab
			if (c.unit == unitSplitFirst || c.unit == unitResplit) && ix.postOff[c.partner+1]-ix.postOff[c.partner] < ix.postOff[v+1]-ix.postOff[v] {
				// A cut word's names hold both parts: walk the rarer's postings.
				v = c.partner
			}
			if c.unit == unitSplit3 {
				for _, w := range s.split3[c.partner] {
					if ix.postOff[w+1]-ix.postOff[w] < ix.postOff[v+1]-ix.postOff[v] {
						v = w
					}
				}
			}
			contrib, qpart := s.contrib[e], s.qpart[e]
			for _, n := range ix.posts[ix.postOff[v]:ix.postOff[v+1]] {
				a := &s.acc[n]
				if a.stamp == mark {
					continue
				}
				a.stamp = mark
				if a.w == 0 {
					s.touched = append(s.touched, n)
				}
				a.w += contrib
				a.q += qpart
			}
		}
	}
}

// addMinor adds the contributions of the units after the first essential
// to the names already found: by reading the found names' tokens when they
// are few, else by walking the postings without admitting new names.
func (ix *Index) addMinor(s *scratch, essential int, base uint32) {
	var postings uint32
	for _, u := range s.units[essential:] {
		for _, e := range s.order[u.from:u.to] {
			v := s.cands[e].vocab
			postings += ix.postOff[v+1] - ix.postOff[v]
		}
	}
	if uint32(len(s.touched))*8 < postings {
		ix.addMinorUnits(s, essential)
		return
	}
	for _, u := range s.units[essential:] {
		mark := base | (u.key & 1023)
		for _, e := range s.order[u.from:u.to] {
			v := s.cands[e].vocab
			contrib, qpart := s.contrib[e], s.qpart[e]
			for _, n := range ix.posts[ix.postOff[v]:ix.postOff[v+1]] {
				a := &s.acc[n]
				if a.w == 0 || a.stamp == mark {
					continue
				}
				a.stamp = mark
				a.w += contrib
				a.q += qpart
			}
		}
	}
}

// keepBest keeps in s.top the found names with the best estimates, at or
// above floor and of type typ (any when ""): a name's estimate is the score
// it would have if every pair it could make matched exactly, its other
// words and the query's uncovered words unmatched.
func (ix *Index) keepBest(s *scratch, wq, floor float32, typ string) {
	p := &ix.params
	s.top = s.top[:0]
	k := p.candidates
	for _, n := range s.touched {
		acc := &s.acc[n]
		a := acc.w
		nw := &ix.nameW[n]
		rest := nw.wsum - a
		if rest < 0 {
			rest = 0
		}
		if s.initials {
			// Initials are paired only when scoring: the listed words
			// they stand for may be in rest, costing initialExcess.
			rest *= p.initialExcess
		}
		cn := p.cn
		if nw.person {
			cn = p.cnPerson
		}
		est := a / (a + p.cq*max(0, wq-acc.q) + cn*rest)
		if est < floor {
			continue
		}
		if typ != "" {
			if rt := ix.recs[ix.names[n].rec].typ; rt != "" && rt != typ {
				continue
			}
		}
		if len(s.top) < k {
			s.top = append(s.top, scored{name: n, est: est})
			if len(s.top) == k {
				heapify(s.top)
			}
			continue
		}
		if est > s.top[0].est {
			s.top[0] = scored{name: n, est: est}
			siftDown(s.top, 0)
		}
	}
}

// accum is what gathering has summed for one name.
type accum struct {
	w     float32 // pair weight the name's tokens could match
	q     float32 // query weight those pairs cover
	stamp uint32  // the last unit that added to it (epoch<<10 | unit key)
}

// unitSpan is one query unit's candidates, s.order[from:to], and the most
// any of them adds to a name.
type unitSpan struct {
	key      uint32
	from, to int32
	max      float32 // the most any candidate adds to a name's matched weight
	q        float32 // the query weight the unit covers
}

// addMinorUnits adds the contributions of the units after the first
// `essential` to the names already touched, by reading each name's tokens.
func (ix *Index) addMinorUnits(s *scratch, essential int) {
	s.minor = resetBools(s.minor, 6*len(s.qt)+6)
	for _, u := range s.units[essential:] {
		s.minor[u.key] = true
	}
	s.unitSeen = resizeUint32(s.unitSeen, 6*len(s.qt)+6)
	for _, n := range s.touched {
		s.scanStamp++
		if s.scanStamp == 0 {
			clear(s.unitSeen)
			s.scanStamp = 1
		}
		nw := &ix.nameW[n]
		for _, t := range ix.toks[nw.off : nw.off+uint32(nw.n)] {
			for e := s.slot[t&tokIDMask]; e >= 0; e = s.cands[e].next {
				c := &s.cands[e]
				if !s.counts(c) {
					continue
				}
				uk := s.unitKey(c)
				if !s.minor[uk] || s.unitSeen[uk] == s.scanStamp {
					continue
				}
				// One contribution per unit and name, like the postings
				// walk (which takes the unit's best candidate first; here
				// the first met, an estimate all the same).
				s.unitSeen[uk] = s.scanStamp
				s.acc[n].w += s.contrib[e]
				s.acc[n].q += s.qpart[e]
			}
		}
	}
}

func resizeFloats(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}

func resizeUint64(b []uint64, n int) []uint64 {
	if cap(b) < n {
		return make([]uint64, n)
	}
	return b[:n]
}

func resizeUint32(b []uint32, n int) []uint32 {
	if cap(b) < n {
		return make([]uint32, n)
	}
	return b[:n]
}

// A min-heap on est keeps the k best names.
func heapify(h []scored) {
	for i := len(h)/2 - 1; i >= 0; i-- {
		siftDown(h, i)
	}
}

func siftDown(h []scored, i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && h[r].est < h[l].est {
			m = r
		}
		if h[i].est <= h[m].est {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}
