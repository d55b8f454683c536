package matcher

import (
	"cmp"
	"math"
	"slices"
	"strings"
)

// Screening a name runs in four steps, all on pooled scratch space:
//
//  1. analyse the query into tokens (tokens.go);
//  2. map each query token to vocabulary entries: exact canonical form,
//     same romanisation key, same consonant skeleton, deletion-neighbourhood
//     typos (typos.go), and joined or split words (retrieve.go,
//     compounds.go);
//  3. walk those entries' postings, summing per name the query weight each
//     could cover, and keep the few names whose estimated score is highest
//     (gather.go): a bounded number, however common the query's words;
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
	howKoreanCode // another romanisation of a Korean syllable (korean.go)
)

var howNames = [...]string{HowExact, HowTypo, HowTransliteration, HowLegalForm, HowSynonym, HowJoined, HowPhonetic, HowLookalike, HowInitial, HowTransliteration}

// What a candidate stands for.
const (
	unitSingle     uint8 = iota // one query token
	unitJoin                    // query tokens q and q+1 written as one listed word
	unitSplitFirst              // query token q written as two listed words: this one and partner
	unitSplitSecond
	unitResplit // query tokens q and q+1 cut elsewhere into two listed words: this one and partner
	unitJoin3   // query tokens q, q+1 and q+2 written as one listed word
	unitSplit3  // query token q written as three listed words: this one and s.split3[partner]
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
	exact bool   // found as is in the vocabulary
	id    uint32 // its vocabulary entry, when exact
	// initial is set for a one-letter function word read as an initial
	// ("Y. V. Prigozhin": "y" and "v" are also "and" and "in").
	initial bool
}

// scratch is one Screen call's working memory, pooled per Index.
type scratch struct {
	an    analyser
	qt    []qtok
	qw    []float32
	cands []cand
	slot  []int32 // vocabulary id -> first candidate, -1 for none
	order []int32

	acc       []accum   // per name, one cache line per touch
	qpart     []float32 // per candidate: the query weight its unit covers
	touched   []uint32
	epoch     uint32
	top       []scored
	edges     []edge
	order64   []uint64
	chosen    []edge
	chosenAlt []edge
	contrib   []float32 // per candidate: what it adds to a name's estimate
	units     []unitSpan
	minor     []bool   // per unit key: added by reading names, not postings
	unitSeen  []uint32 // per unit key: the scanStamp it was last added at
	scanStamp uint32
	usedQ     []bool
	usedN     []bool
	row       []int
	kb, cb    []byte
	idsSeen   []uint32
	hashes    []uint64 // deletion-neighbourhood hashes of a query word
	hits      []uint32 // spellings stored under them
	sb        []byte   // an explanation's summary
	pre, suf  []uint64 // polynomial hashes of a word's prefixes and suffixes (bestCut)
	// typoMemo: the query words whose two-deletion neighbourhoods were
	// looked up, their hits in typoMemoHits (typoHits).
	typoMemo     []memoSpan
	typoMemoHits []uint32
	results      []recBest
	split3       [][2]uint32 // the second and third listed words of unitSplit3 candidates
	// kmF, kmA and kmB are the listed spellings of the syllables of a
	// query word written as Korean syllables (koreanJoinedCands).
	kmF, kmA, kmB []koreanSim
	pens          []float32
	idx           []int
	spellSeen     []uint32 // per spelling: the spellEpoch it was last collected in
	spellEpoch    uint32
	person        bool // the query says it names an individual
	// twoReadings is set when the query's acronym reading is screened
	// too (Screen).
	twoReadings bool
	initials    bool // the query has a one-letter word or initial
	korean      bool // the query reads as a Korean name (korean.go)
}

// recBest is a record's best-scoring name.
type recBest struct {
	rec   uint32
	name  uint32
	score float32
	alt   bool // found by the query's acronym reading
}

// memoSpan is one remembered word and its results, from:to in a buffer.
type memoSpan struct {
	w        string
	from, to int32
}

// scored is a gathered name and its estimated score.
type scored struct {
	name uint32
	est  float32
}

func (ix *Index) newScratch() any {
	s := &scratch{
		slot:      make([]int32, len(ix.vocab)),
		acc:       make([]accum, len(ix.names)),
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
	typ := strings.ToLower(strings.TrimSpace(q.Type))
	s := ix.pool.Get().(*scratch)
	defer ix.release(s)
	ix.screenReading(s, q.Name, min, typ, false)
	// A run of single letters may be an acronym or initials ("N.I.I.
	// Argon", "Y. V. Prigozhin"): unless the query names an individual,
	// its acronym reading is screened too, and each record keeps the
	// better of its two scores.
	var s2 *scratch
	if s.twoReadings {
		s2 = ix.pool.Get().(*scratch)
		defer ix.release(s2)
		ix.screenReading(s2, q.Name, min, typ, true)
		s.results = mergeReadings(s.results, s2.results)
	}
	results := s.results
	if len(results) == 0 {
		return nil
	}
	country := strings.ToUpper(strings.TrimSpace(q.Country))
	pens := resizeFloats(s.pens, len(results))
	clear(pens)
	s.pens = pens
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
	idx := s.idx[:0]
	for k := range results {
		idx = append(idx, k)
	}
	s.idx = idx
	slices.SortStableFunc(idx, func(a, b int) int {
		ra, rb := &results[a], &results[b]
		if ra.score != rb.score {
			return cmp.Compare(rb.score, ra.score)
		}
		return cmp.Compare(ra.rec, rb.rec)
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
			Score:       roundScore(r.score, min),
			NameIndex:   int(nr.nameIdx),
			MatchedName: rec.names[nr.nameIdx],
		}
		if !q.NoExplanation {
			from := s
			if r.alt {
				from = s2
			}
			out[k].Explanation = ix.explain(from, r.name, pens[i])
		}
	}
	return out
}

// screenReading screens one reading of name (the acronym reading when
// acronyms is set) into s.results: each record's best-scoring name.
func (ix *Index) screenReading(s *scratch, name string, min float32, typ string, acronyms bool) {
	s.an.sp.acronyms = acronyms
	ix.prepareQuery(s, name)
	s.an.sp.acronyms = false
	s.results = s.results[:0]
	s.twoReadings = s.an.letters && typ != "individual"
	if len(s.qt) == 0 {
		return
	}
	// When the acronym reading is screened too, a name written with a
	// run of letters is compared by its acronym reading with the query's
	// acronym reading only: "N.I.M." is not "N.I.K." with one initial
	// changed, nor is "A. X." an initial of "AQ".
	skip := func(nr *nameRec) bool { return false }
	switch {
	case s.twoReadings && acronyms:
		skip = func(nr *nameRec) bool { return nr.lettered }
	case s.twoReadings:
		skip = func(nr *nameRec) bool { return nr.lettered || nr.acronym }
	}
	s.person = typ == "individual"
	ix.retrieve(s)
	ix.gather(s, min, typ)

	// Score the gathered names; keep each record's best.
	results := s.results
	for _, c := range s.top {
		if skip(&ix.names[c.name]) {
			continue
		}
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
			results = append(results, recBest{rec: rec, name: c.name, score: sc, alt: acronyms})
		}
	}
	s.results = results
}

// mergeReadings adds to a the records of b, the other reading's, keeping
// each record's better score (a's on a tie).
func mergeReadings(a, b []recBest) []recBest {
	for _, r := range b {
		found := false
		for k := range a {
			if a[k].rec == r.rec {
				found = true
				if r.score > a[k].score {
					a[k] = r
				}
				break
			}
		}
		if !found {
			a = append(a, r)
		}
	}
	return a
}

// roundScore rounds a score to four decimals, so float32 noise does not
// show (an exact match reads 1), without taking it below min.
func roundScore(x, min float32) float64 {
	r := math.Round(float64(x)*1e4) / 1e4
	if r < float64(min) {
		r = float64(x)
	}
	return math.Max(0, math.Min(1, r))
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
	s.split3 = s.split3[:0]
	for _, n := range s.touched {
		s.acc[n].w = 0
		s.acc[n].q = 0
	}
	s.touched = s.touched[:0]
	ix.pool.Put(s)
}

// prepareQuery analyses the query and weighs its tokens.
func (ix *Index) prepareQuery(s *scratch, name string) {
	if s.an.split == nil {
		ix.bindAnalyser(s)
		s.an.facts = ix.loadFacts
	}
	s.typoMemo = s.typoMemo[:0]
	s.typoMemoHits = s.typoMemoHits[:0]
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

// bindAnalyser sets s's query analyser to read words against ix.
func (ix *Index) bindAnalyser(s *scratch) {
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
