package matcher

import (
	"cmp"
	"math"
	"slices"
	"sort"
	"strings"
)

// Screening a name runs in four steps, all on pooled scratch space:
//
//  1. analyse the query into tokens (tokens.go);
//  2. map each query token to vocabulary entries: exact canonical form,
//     same romanisation key, same consonant skeleton, deletion-neighbourhood
//     typos, and joined or split words (retrieve);
//  3. walk those entries' postings, summing per name the query weight each
//     could cover, and keep the few names whose estimated score is highest
//     (gather): a bounded number, however common the query's words;
//  4. align and score those names exactly (score.go), keep each record's
//     best name, rank, cut and explain.

// How a candidate vocabulary entry was reached, as a small code.
const (
	howExactCode uint8 = iota
	howTypoCode
	howTranslitCode
	howLegalCode
	howSynonymCode
	howJoinedCode
	howPhoneticCode
	howLookalikeCode
	howInitial
)

var howNames = [...]string{HowExact, HowTypo, HowTransliteration, HowLegalForm, HowSynonym, HowJoined, HowPhonetic, HowLookalike, HowInitial}

// What a candidate stands for.
const (
	unitSingle     uint8 = iota // one query token
	unitJoin                    // query tokens q and q+1 written as one listed word
	unitSplitFirst              // query token q written as two listed words: this one and partner
	unitSplitSecond
)

type cand struct {
	q       int32
	unit    uint8
	how     uint8
	sim     float32
	partner uint32
	vocab   uint32
	next    int32 // next candidate for the same vocabulary entry
}

type qtok struct {
	tok   token
	exact bool // found as is in the vocabulary
}

// scratch is one Screen call's working memory, pooled per Index.
type scratch struct {
	an    analyser
	an2   analyser // for listed names, in explanations
	qt    []qtok
	qw    []float32
	cands []cand
	slot  []int32 // vocabulary id -> first candidate, -1 for none
	order []int32

	acc        []float32 // per name: pair weight its tokens could match
	accQ       []float32 // per name: query weight those pairs cover
	qpart      []float32 // per candidate: the query weight its unit covers
	stamp      []uint32
	touched    []uint32
	epoch      uint32
	top        []scored
	edges      []edge
	order64    []uint64
	chosen     []edge
	chosenAlt  []edge
	contrib    []float32 // per candidate: what it adds to a name's estimate
	units      []unitSpan
	minor      []bool   // per unit key: added by reading names, not postings
	unitSeen   []uint32 // per unit key: the scanStamp it was last added at
	scanStamp  uint32
	usedQ      []bool
	usedN      []bool
	row        []int
	kb, cb     []byte
	idsSeen    []uint32
	spellSeen  []uint32 // per spelling: the spellEpoch it was last collected in
	spellEpoch uint32
}

type scored struct {
	name  uint32
	est   float32
	score float32
}

func (ix *Index) newScratch() any {
	s := &scratch{
		slot:      make([]int32, len(ix.vocab)),
		acc:       make([]float32, len(ix.names)),
		accQ:      make([]float32, len(ix.names)),
		stamp:     make([]uint32, len(ix.names)),
		row:       make([]int, 3*64),
		spellSeen: make([]uint32, len(ix.spells)),
	}
	for i := range s.slot {
		s.slot[i] = -1
	}
	return s
}

// Screen returns the records whose names resemble q.Name, best first: at most
// q.Limit (10 when 0), each scoring at least q.MinScore (DefaultThreshold
// when 0), one Match per record.
func (ix *Index) Screen(q Query) []Match {
	if ix == nil || len(ix.names) == 0 {
		return nil
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 10
	}
	min := float32(q.MinScore)
	if q.MinScore <= 0 {
		min = DefaultThreshold
	}
	s := ix.pool.Get().(*scratch)
	defer ix.release(s)

	ix.prepareQuery(s, q.Name)
	if len(s.qt) == 0 {
		return nil
	}
	ix.retrieve(s)
	typ := strings.ToLower(strings.TrimSpace(q.Type))
	ix.gather(s, min, typ)

	// Score the gathered names; keep each record's best.
	best := s.top[:0:0]
	_ = best
	type recBest struct {
		rec   uint32
		name  uint32
		score float32
	}
	var results []recBest
	for _, c := range s.top {
		sc, ok := ix.scoreName(s, c.name, false)
		if !ok || sc < min {
			continue
		}
		rec := ix.names[c.name].rec
		found := false
		for k := range results {
			if results[k].rec == rec {
				found = true
				if sc > results[k].score || (sc == results[k].score && ix.names[c.name].nameIdx < ix.names[results[k].name].nameIdx) {
					results[k].name, results[k].score = c.name, sc
				}
				break
			}
		}
		if !found {
			results = append(results, recBest{rec, c.name, sc})
		}
	}
	if len(results) == 0 {
		return nil
	}
	country := strings.ToUpper(strings.TrimSpace(q.Country))
	pens := make([]float32, len(results))
	if country != "" {
		for k := range results {
			r := &ix.recs[results[k].rec]
			if len(r.countries) == 0 || containsString(r.countries, country) {
				continue
			}
			// Another country ranks lower but never disappears.
			pen := ix.params.countryPen
			if results[k].score-pen < min {
				pen = results[k].score - min
			}
			pens[k] = pen
			results[k].score -= pen
		}
	}
	idx := make([]int, len(results))
	for k := range idx {
		idx[k] = k
	}
	sort.SliceStable(idx, func(a, b int) bool {
		ra, rb := results[idx[a]], results[idx[b]]
		if ra.score != rb.score {
			return ra.score > rb.score
		}
		return ra.rec < rb.rec
	})
	if len(idx) > limit {
		idx = idx[:limit]
	}
	out := make([]Match, len(idx))
	for k, i := range idx {
		r := results[i]
		nr := &ix.names[r.name]
		rec := &ix.recs[r.rec]
		out[k] = Match{
			Record:      int(r.rec),
			ID:          rec.id,
			Score:       clamp01(float64(r.score)),
			NameIndex:   int(nr.nameIdx),
			MatchedName: rec.names[nr.nameIdx],
		}
		out[k].Explanation = ix.explain(s, r.name, pens[i])
	}
	return out
}

func clamp01(x float64) float64 {
	// Round away float32 noise so an exact match reads 1.
	x = float64(int64(x*10000+0.5)) / 10000
	if x > 1 {
		return 1
	}
	if x < 0 {
		return 0
	}
	return x
}

func containsString(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// release resets the scratch's per-query marks and returns it to the pool.
func (ix *Index) release(s *scratch) {
	for _, c := range s.cands {
		s.slot[c.vocab] = -1
	}
	s.cands = s.cands[:0]
	for _, n := range s.touched {
		s.acc[n] = 0
		s.accQ[n] = 0
	}
	s.touched = s.touched[:0]
	ix.pool.Put(s)
}

// prepareQuery analyses the query and weighs its tokens.
func (ix *Index) prepareQuery(s *scratch, name string) {
	if s.an.split == nil {
		s.an.split = func(w string) (string, string, bool) { return ix.splitWord(s, w) }
		s.an.known = func(w string) bool {
			id, ok := ix.byCanon[w]
			if !ok {
				c, _ := canonicalWord(w)
				id, ok = ix.byCanon[c]
			}
			return ok && ix.vocab[id].kind == kindWord
		}
		s.an.knownDF = func(w string) int {
			id, ok := ix.byCanon[w]
			if !ok {
				c, _ := canonicalWord(w)
				id, ok = ix.byCanon[c]
			}
			if !ok || ix.vocab[id].kind == kindLegal {
				return -1
			}
			return int(ix.vocab[id].df)
		}
		s.an2.known = s.an.known
	}
	toks := s.an.analyse(name)
	if len(toks) > ix.params.maxQueryTok {
		toks = toks[:ix.params.maxQueryTok]
	}
	s.qt = s.qt[:0]
	s.qw = s.qw[:0]
	for _, t := range toks {
		s.qt = append(s.qt, qtok{tok: t})
		s.qw = append(s.qw, 0)
	}
}

// addCand records that query unit (q, unit) may be vocabulary entry id with
// similarity sim, keeping only the best similarity per (q, unit, id).
func (s *scratch) addCand(q int, unit uint8, id uint32, sim float32, how uint8, partner uint32) {
	for e := s.slot[id]; e >= 0; e = s.cands[e].next {
		c := &s.cands[e]
		if c.q == int32(q) && c.unit == unit && c.partner == partner {
			if sim > c.sim {
				c.sim, c.how = sim, how
			}
			return
		}
	}
	s.cands = append(s.cands, cand{q: int32(q), unit: unit, how: how, sim: sim, partner: partner, vocab: id, next: s.slot[id]})
	s.slot[id] = int32(len(s.cands) - 1)
}

// retrieve maps every query token to candidate vocabulary entries and sets
// the query tokens' weights.
func (ix *Index) retrieve(s *scratch) {
	p := &ix.params
	for i := range s.qt {
		qt := &s.qt[i]
		t := &qt.tok
		switch t.kind {
		case kindLegal:
			if id, ok := ix.byCanon[t.canon]; ok {
				s.addCand(i, unitSingle, id, 1, howLegalCode, 0)
			}
			s.qw[i] = p.legalWeight
			continue
		case kindStop:
			if id, ok := ix.byCanon[t.canon]; ok {
				s.addCand(i, unitSingle, id, 1, howExactCode, 0)
			}
			s.qw[i] = p.stopWeight
			continue
		}
		exactHow := howExactCode
		if t.lookalike {
			exactHow = howLookalikeCode
		}
		// Among equally close candidates, the most common decides the
		// weight: "Muhaammad" is most likely Muhammad, not a rare variant.
		bestW, bestSim := float32(-1), float32(0)
		note := func(id uint32, sim float32) {
			if sim > bestSim || (sim == bestSim && ix.vocab[id].w < bestW) {
				bestSim, bestW = sim, ix.vocab[id].w
			}
		}
		if id, ok := ix.byCanon[t.canon]; ok {
			s.addCand(i, unitSingle, id, 1, exactHow, 0)
			qt.exact = true
			note(id, 1)
		} else if t.alt != "" {
			if id, ok := ix.byCanon[t.alt]; ok {
				s.addCand(i, unitSingle, id, 1, exactHow, 0)
				qt.exact = true
				note(id, 1)
				t.canon = t.alt
				s.kb = romanKey(s.kb, t.canon)
				t.key = string(s.kb)
			}
		}
		// By key, of the canonical form and of the word as written (the
		// singular rule may have cut a foreign word: "Kompleks").
		keys := [2]string{t.key, ""}
		if t.text != t.canon {
			s.kb = romanKey(s.kb, t.text)
			if k := string(s.kb); k != t.key {
				keys[1] = k
			}
		}
		for _, key := range keys {
			// Keys of short words collide by chance ("c" and "ccc" are
			// both "k"); they count only for keys of two letters or more.
			if len(key) < 2 {
				continue
			}
			for _, id := range ix.byKey[key] {
				if ix.vocab[id].canon != t.canon {
					sim := p.keySim(min(len(t.text), len(ix.vocab[id].canon)))
					s.addCand(i, unitSingle, id, sim, howTranslitCode, 0)
					note(id, sim)
				}
			}
		}
		// A word the list has in many records is most likely meant as
		// written: its typo neighbours are not looked up.
		if !qt.exact || ix.vocab[ix.byCanon[t.canon]].df < p.typoMaxDF {
			ix.typoCands(s, i)
		}
		if !qt.exact {
			ix.phoneticCands(s, i)
		}
		for e := range s.cands {
			c := &s.cands[e]
			if c.q == int32(i) && c.unit == unitSingle {
				note(c.vocab, c.sim)
			}
		}
		if t.legalAlt != "" {
			if id, ok := ix.byCanon[t.legalAlt]; ok {
				s.addCand(i, unitSingle, id, 1, howLegalCode, 0)
			}
		}
		// The weight of a query word is the list's weight of the word it
		// most resembles; a word the list has never seen weighs most.
		switch {
		case bestSim >= p.anchorSim:
			s.qw[i] = bestW
		default:
			s.qw[i] = ix.oovWeight
			if len(t.canon) == 1 {
				s.qw[i] = p.wordWeight(p.initialIDF, false)
			}
		}
		if t.kind == kindTitle {
			s.qw[i] = p.titleWeight
		}
		if t.paren {
			s.qw[i] *= p.parenFactor
		}
	}
	ix.joinCands(s)
	ix.splitCands(s)
}

// splitCands offers, for every query word, its likeliest cut into two
// adjacent listed words, as an alternative the alignment may prefer to the
// whole word ("Alnasser" is a listed word, but "Al Nasser" may be meant).
func (ix *Index) splitCands(s *scratch) {
	p := &ix.params
	for i := range s.qt {
		t := &s.qt[i].tok
		if t.kind != kindWord || len(t.text) < 4 {
			continue
		}
		// A word the list knows is cut only after a short prefix (an
		// article or legal form glued on: "Alnasser", "OOOBitreit");
		// others anywhere.
		maxPrefix := len(t.text)
		if s.qt[i].exact {
			maxPrefix = 3
		}
		a, b, ok := ix.bestCut(s, t.text, maxPrefix)
		if !ok {
			continue
		}
		ida, oka := ix.partID(s, a)
		idb, okb := ix.partID(s, b)
		if oka && okb {
			s.addCand(i, unitSplitFirst, ida, p.simJoin, howJoinedCode, idb)
		}
	}
}

// partID returns the vocabulary entry one part of a cut word stands for.
func (ix *Index) partID(s *scratch, w string) (uint32, bool) {
	c, _ := canonicalWord(w)
	if id, ok := ix.byCanon[c]; ok {
		return id, true
	}
	s.kb = romanKey(s.kb, w)
	for _, ph := range legalByFirst[string(s.kb)] {
		if len(ph.keys) == 1 && (len(w) > 4 || w == ph.words[0]) {
			id, ok := ix.byCanon[ph.class]
			return id, ok
		}
	}
	if len(w) >= 4 {
		if ids := ix.byKey[string(s.kb)]; len(ids) > 0 {
			return ids[0], true
		}
	}
	return 0, false
}

// splitWord cuts a query word the list does not know, and that is not a
// typo of a word it knows, into two words it does know ("KasperskyLab",
// "OOOBitreit", "Alnasser"). Among several cuts it prefers the one whose
// shorter part is longest.
func (ix *Index) splitWord(s *scratch, w string) (string, string, bool) {
	if len(w) < 4 || ix.knownWord(s, w) {
		return "", "", false
	}
	s.kb = romanKey(s.kb, w)
	if isLegalWord(string(s.kb), s.row) || isLegalWord(w, s.row) {
		return "", "", false
	}
	if rest := splitAbd(w); rest != "" && ix.knownWord(s, rest) {
		return "", "", false
	}
	if ix.hasTypo(s, w) {
		return "", "", false
	}
	return ix.bestCut(s, w, len(w))
}

// bestCut returns the likeliest cut of w into two listed words under a
// unigram model: the one whose parts are most frequent in the list
// ("Al"+"Kaliq" rather than "Alk"+"Aliq").
func (ix *Index) bestCut(s *scratch, w string, maxPrefix int) (string, string, bool) {
	best, bestScore := 0, -1.0
	for k := 2; k <= min(len(w)-2, maxPrefix); k++ {
		fa, ok := ix.partFreq(w[:k])
		if !ok {
			continue
		}
		fb, ok := ix.partFreq(w[k:])
		if !ok {
			continue
		}
		if sc := math.Log(1+fa) + math.Log(1+fb); sc > bestScore {
			best, bestScore = k, sc
		}
	}
	if best == 0 {
		return "", "", false
	}
	return w[:best], w[best:], true
}

// knownWord reports whether the list has w: as a canonical word, a
// romanisation key or an abbreviation that expands to several words.
func (ix *Index) knownWord(s *scratch, w string) bool {
	if _, ok := multiWords[w]; ok {
		return true
	}
	c, _ := canonicalWord(w)
	if _, ok := ix.byCanon[c]; ok {
		return true
	}
	s.kb = romanKey(s.kb, c)
	if _, ok := ix.byKey[string(s.kb)]; ok {
		return true
	}
	return isLegalWord(string(s.kb), s.row)
}

// partFreq says whether w can be one part of a cut word, and how many
// records hold it: a listed word as written or in canonical form, a legal
// form or an abbreviation the tables know. One letter never counts, nor
// does an honorific ("Dana" + "her" is not how "Danaher" reads).
func (ix *Index) partFreq(w string) (float64, bool) {
	if len(w) < 2 || honorifics[w] {
		return 0, false
	}
	df, ok := ix.parts[w]
	return float64(df), ok
}

// hasTypo reports whether w is within the typo budget of a listed word.
func (ix *Index) hasTypo(s *scratch, w string) bool {
	me := maxEdits(len(w))
	if me == 0 {
		return false
	}
	found := false
	forDeletions(w, seedCanon, 2, func(h uint64) {
		if found {
			return
		}
		ix.dels.lookup(h, func(k uint32) {
			sp := &ix.spells[k]
			if found || sp.key {
				return
			}
			if m := maxEdits(min(len(w), len(sp.s))); m > 0 && osa(w, sp.s, m, s.row) <= m {
				found = true
			}
		})
	})
	return found
}

// gather sums, per name, the query weight its tokens could cover, and keeps
// in s.top the names with the highest estimated scores: at most
// params.candidates of them, whatever the postings' lengths.
func (ix *Index) gather(s *scratch, threshold float32, typ string) {
	p := &ix.params
	// Estimates compare ordinary words only: legal forms, function words
	// and titles weigh little and are not gathered.
	var wq float32
	for i, w := range s.qw {
		if s.qt[i].tok.kind == kindWord {
			wq += w
		}
	}
	// Process candidates unit by unit, best similarity first, so a name
	// collects each unit's best contribution once.
	s.order = s.order[:0]
	for e := range s.cands {
		c := &s.cands[e]
		if s.qt[c.q].tok.kind != kindWord && c.unit == unitSingle {
			continue
		}
		s.order = append(s.order, int32(e))
	}
	nq := len(s.qt)
	unitKey := func(c *cand) uint32 {
		switch c.unit {
		case unitJoin:
			return uint32(nq + int(c.q))
		case unitSplitFirst:
			return uint32(2*nq + int(c.q))
		}
		return uint32(c.q)
	}
	// A pair weighs the mean of its words' weights, or the listed word's
	// weight for a query word the list lacks (score.go).
	s.contrib = resizeFloats(s.contrib, len(s.cands))
	s.qpart = resizeFloats(s.qpart, len(s.cands))
	for _, e := range s.order {
		c := &s.cands[e]
		v := c.vocab
		s.qpart[e] = s.qw[c.q]
		if c.unit == unitJoin {
			s.qpart[e] += s.qw[c.q+1]
		}
		switch c.unit {
		case unitJoin:
			s.contrib[e] = c.sim * (s.qw[c.q] + s.qw[c.q+1] + ix.vocab[v].w) / 2
		case unitSplitFirst:
			s.contrib[e] = c.sim * (s.qw[c.q] + ix.vocab[v].w + ix.vocab[c.partner].w) / 2
		default:
			s.contrib[e] = c.sim * (s.qw[c.q] + ix.vocab[v].w) / 2
			if !s.qt[c.q].exact {
				s.contrib[e] = c.sim * ix.vocab[v].w
			}
		}
	}
	sort.Slice(s.order, func(a, b int) bool {
		ca, cb := &s.cands[s.order[a]], &s.cands[s.order[b]]
		ka, kb := unitKey(ca), unitKey(cb)
		if ka != kb {
			return ka < kb
		}
		return ca.sim > cb.sim
	})
	// Units, heaviest first. A name that holds none of the first units
	// cannot reach the estimate floor once the rest weigh too little
	// (MaxScore): their postings, however long, are not walked; their
	// contributions are added to the names already found by reading those
	// names' few tokens instead.
	s.units = s.units[:0]
	for i := 0; i < len(s.order); {
		uk := unitKey(&s.cands[s.order[i]])
		j := i
		var best float32
		for j < len(s.order) && unitKey(&s.cands[s.order[j]]) == uk {
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
	var rest, restQ float32
	for _, u := range s.units {
		rest += u.max
		restQ += u.q
	}
	floor := p.minEstimate * threshold
	essential := len(s.units)
	for k, u := range s.units {
		if rest/(rest+p.cq*max(0, wq-restQ)) < floor {
			essential = k
			break
		}
		rest -= u.max
		restQ -= u.q
	}
	s.epoch++
	if s.epoch >= 1<<22 {
		for i := range s.stamp {
			s.stamp[i] = 0
		}
		s.epoch = 1
	}
	base := s.epoch << 10
	for _, u := range s.units[:essential] {
		mark := base | (u.key & 1023)
		for _, e := range s.order[u.from:u.to] {
			c := &s.cands[e]
			v := c.vocab
			if c.unit == unitSplitFirst && ix.postOff[c.partner+1]-ix.postOff[c.partner] < ix.postOff[v+1]-ix.postOff[v] {
				// A cut word's names hold both parts: walk the rarer's postings.
				v = c.partner
			}
			contrib, qpart := s.contrib[e], s.qpart[e]
			for _, n := range ix.posts[ix.postOff[v]:ix.postOff[v+1]] {
				if s.stamp[n] == mark {
					continue
				}
				s.stamp[n] = mark
				if s.acc[n] == 0 {
					s.touched = append(s.touched, n)
				}
				s.acc[n] += contrib
				s.accQ[n] += qpart
			}
		}
	}
	if essential < len(s.units) {
		// The minor units' contributions: by reading the found names'
		// tokens when they are few, else by walking the postings without
		// admitting new names.
		var postings uint32
		for _, u := range s.units[essential:] {
			for _, e := range s.order[u.from:u.to] {
				v := s.cands[e].vocab
				postings += ix.postOff[v+1] - ix.postOff[v]
			}
		}
		if uint32(len(s.touched))*8 < postings {
			ix.addMinorUnits(s, essential, unitKey)
		} else {
			for _, u := range s.units[essential:] {
				mark := base | (u.key & 1023)
				for _, e := range s.order[u.from:u.to] {
					v := s.cands[e].vocab
					contrib, qpart := s.contrib[e], s.qpart[e]
					for _, n := range ix.posts[ix.postOff[v]:ix.postOff[v+1]] {
						if s.acc[n] == 0 || s.stamp[n] == mark {
							continue
						}
						s.stamp[n] = mark
						s.acc[n] += contrib
						s.accQ[n] += qpart
					}
				}
			}
		}
	}
	// Keep the best estimates.
	s.top = s.top[:0]
	k := p.candidates
	for _, n := range s.touched {
		a := s.acc[n]
		nr := &ix.names[n]
		rest := nr.wsum - a
		if rest < 0 {
			rest = 0
		}
		cn := p.cn
		if nr.person {
			cn = p.cnPerson
		}
		est := a / (a + p.cq*max(0, wq-s.accQ[n]) + cn*rest)
		if est < floor {
			continue
		}
		if typ != "" {
			if rt := ix.recs[nr.rec].typ; rt != "" && rt != typ {
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
func (ix *Index) addMinorUnits(s *scratch, essential int, unitKey func(*cand) uint32) {
	s.minor = resetBools(s.minor, 3*len(s.qt)+3)
	for _, u := range s.units[essential:] {
		s.minor[u.key] = true
	}
	s.unitSeen = resizeUint32(s.unitSeen, 3*len(s.qt)+3)
	for _, n := range s.touched {
		s.scanStamp++
		if s.scanStamp == 0 {
			clear(s.unitSeen)
			s.scanStamp = 1
		}
		nr := &ix.names[n]
		for _, t := range ix.toks[nr.off : nr.off+uint32(nr.n)] {
			for e := s.slot[t&tokIDMask]; e >= 0; e = s.cands[e].next {
				c := &s.cands[e]
				if s.qt[c.q].tok.kind != kindWord && c.unit == unitSingle {
					continue
				}
				uk := unitKey(c)
				if !s.minor[uk] || s.unitSeen[uk] == s.scanStamp {
					continue
				}
				// One contribution per unit and name, like the postings
				// walk (which takes the unit's best candidate first; here
				// the first met, an estimate all the same).
				s.unitSeen[uk] = s.scanStamp
				s.acc[n] += s.contrib[e]
				s.accQ[n] += s.qpart[e]
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

// typoCands adds the vocabulary words within the typo budget of query token
// i, measured against every written form of each word.
func (ix *Index) typoCands(s *scratch, i int) {
	t := &s.qt[i].tok
	if maxEdits(len(t.text)) == 0 && maxEdits(len(t.canon)) == 0 && maxEdits(len(t.key)) == 0 {
		return
	}
	s.idsSeen = s.idsSeen[:0]
	s.spellEpoch++
	if s.spellEpoch == 0 {
		clear(s.spellSeen)
		s.spellEpoch = 1
	}
	collect := func(h uint64) {
		ix.dels.lookup(h, func(sp uint32) {
			if s.spellSeen[sp] == s.spellEpoch {
				return
			}
			s.spellSeen[sp] = s.spellEpoch
			s.idsSeen = append(s.idsSeen, sp)
		})
	}
	// A word the list has as written gets the one-edit neighbourhood only
	// (it is most likely right); an unknown word the full budget, in
	// spelling and in key space.
	if s.qt[i].exact {
		forDeletions(t.canon, seedCanon, 1, collect)
	} else {
		forDeletions(t.canon, seedCanon, 2, collect)
		if t.text != t.canon {
			forDeletions(t.text, seedCanon, 2, collect)
		}
		forDeletions(t.key, seedKey, 1, collect)
	}
	p := &ix.params
	for _, k := range s.idsSeen {
		sp := &ix.spells[k]
		var sim float32
		if sp.key {
			if me := maxEdits(min(len(t.key), len(sp.s))); me > 0 {
				if d := osa(t.key, sp.s, me, s.row); d <= me {
					sim = p.keySim(min(len(t.text), len(sp.s))) * p.typoSim(d, max(len(t.key), len(sp.s)))
				}
			}
		} else {
			for _, w := range [2]string{t.canon, t.text} {
				if me := maxEdits(min(len(w), len(sp.s))); me > 0 {
					if d := osa(w, sp.s, me, s.row); d <= me {
						sim = max(sim, p.typoSim(d, max(len(w), len(sp.s))))
					}
				}
			}
		}
		if sim > 0 {
			s.addCand(i, unitSingle, sp.id, sim, howTypoCode, 0)
		}
	}
}

// phoneticCands adds the vocabulary words with query token i's consonant
// skeleton, when the two also look alike: the same first letter, a length
// within two letters and at most a third of the key changed. The skeleton
// alone is too loose ("Canva" and "Kinef" share one).
func (ix *Index) phoneticCands(s *scratch, i int) {
	p := &ix.params
	t := &s.qt[i].tok
	if len(t.key) < p.minSkeletonWord {
		return
	}
	s.kb = append(s.kb[:0], t.key...)
	s.cb = skeleton(s.cb, s.kb)
	if len(s.cb) < p.minSkeleton {
		return
	}
	for _, id := range ix.bySkel[string(s.cb)] {
		v := &ix.vocab[id]
		if v.key[0] != t.key[0] {
			continue
		}
		me := max(len(t.key), len(v.key)) / 3
		if d := osa(t.key, v.key, me, s.row); d <= me {
			s.addCand(i, unitSingle, id, p.simPhonetic, howPhoneticCode, 0)
		}
	}
}

// joinCands adds listed words that are two adjacent query words written
// together ("Kaspersky Lab" for "KasperskyLab").
func (ix *Index) joinCands(s *scratch) {
	p := &ix.params
	for i := 0; i+1 < len(s.qt); i++ {
		a, b := &s.qt[i].tok, &s.qt[i+1].tok
		if a.kind == kindLegal || b.kind == kindLegal {
			continue
		}
		s.cb = append(append(s.cb[:0], a.text...), b.text...)
		if id, ok := ix.byCanon[string(s.cb)]; ok && ix.vocab[id].kind == kindWord {
			s.addCand(i, unitJoin, id, p.simJoin, howJoinedCode, 0)
			continue
		}
		joined := string(s.cb)
		if c, _ := canonicalWord(joined); c != joined {
			if id, ok := ix.byCanon[c]; ok && ix.vocab[id].kind == kindWord {
				s.addCand(i, unitJoin, id, p.simJoin, howJoinedCode, 0)
				continue
			}
		}
		// By key only when the key keeps most of the word: short
		// syllables fold away ("Kai"+"Yan" has the key of "Kan").
		s.kb = romanKey(s.kb, joined)
		if len(s.kb) < 5 || 3*len(s.kb) < 2*len(joined) {
			continue
		}
		for _, id := range ix.byKey[string(s.kb)] {
			if len(ix.vocab[id].canon)+2 >= len(joined) {
				s.addCand(i, unitJoin, id, p.simJoin*p.simKey, howJoinedCode, 0)
			}
		}
	}
}
