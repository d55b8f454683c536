package matcher

import (
	"math"
	"slices"
)

// Scoring aligns the query's tokens with one listed name's tokens and turns
// the alignment into a score in [0,1].
//
// Each token weighs its inverse document frequency over the list's records
// (plain idf: squared weights, which let one rare word drown several common
// ones, lost on every threshold in tuning), capped for words that are
// generic in business names everywhere and lower still for words naming the
// kind of organisation, and fixed and small for legal forms, function words
// and titles. Pairs are chosen greedily, best value first, each token used
// once; a pair may also join two query words to one listed word or split
// one query word over two adjacent listed words.
//
//	score = Σ sim·w(pair) / (Σ w(pair) + cq·Σ w(unmatched query) + cn·Σ w(unmatched listed))
//
// so an exact match scores 1, a typo costs in proportion to its word's
// weight, and an extra or missing word costs its weight times cq or cn
// (below 1: a customer's extra "Trading" or a listed "Group" the customer
// left out costs less than a mismatch). A match must also rest on at least
// one word that is neither generic nor a legal form, title or function word
// ("anchor"), or match every ordinary word on both sides, or match enough
// generic words (minEvidence): that keeps "Global Trading LLC" from alerting
// on every trading company, while a listed name made only of common words
// can still be found.

// params are the scorer's constants. They are set once (defaultParams) from
// the tuning described in docs/QUALITY.md.
type params struct {
	idfPower    float64 // weight = idf^idfPower (1: plain idf)
	genericIDF  float64 // cap on the idf of generic words
	orgTypeIDF  float64 // cap on the idf of organisation-type words
	legalWeight float32
	stopWeight  float32
	titleWeight float32
	initialIDF  float64 // cap on the idf of one-letter words (initials)
	parenFactor float32 // weight factor inside parentheses
	oovDF       float64 // document frequency assumed for a word the list lacks
	minRecords  float64 // the smallest list size idf assumes

	cq, cn float32 // cost of unmatched query / listed weight
	// cnPerson is cn for a person's name: listed individuals carry middle
	// names, second surnames and patronymic chains that customers leave
	// out, so a missing listed word costs less than in a company's name.
	cnPerson float32

	simKey      float32 // same romanisation key
	simPhonetic float32 // same consonant skeleton
	simJoin     float32 // words joined or split
	simInitial  float32 // an initial against a word with that initial
	// initialExcess is the part of a person's word matched by an initial
	// that counts as unmatched.
	initialExcess float32
	// particleSwap is the score factor of a name that reads the query's
	// patronymic particle the other way round ("Ali bin Ahmad" for
	// "Ahmad bin Ali"): another person.
	particleSwap float32
	typoCost     float32 // similarity lost per edit, relative to length
	shortTypo4   float32 // typo cost factor for words of four letters or fewer
	shortTypo5   float32 // typo cost factor for words of five letters
	shortKey4    float32 // key similarity lost by words of four letters or fewer
	shortKey5    float32 // key similarity lost by words of five letters
	anchorSim    float32 // least similarity of an anchor pair
	typoMaxDF    int32   // a listed word in this many records or more is read as a typo only of a word with one inner letter changed
	splitAlone   float32 // similarity factor for half of a cut query word matched without the other half
	minEvidence  float32 // least summed (capped) idf of matched common words that stands in for an anchor

	minSkeleton     int // least skeleton length used
	minSkeletonWord int // least key length for a skeleton lookup

	candidates  int     // names fully scored per query
	minEstimate float32 // least estimated score to be fully scored, relative to the threshold
	countryPen  float32 // score taken off for a country mismatch
	maxQueryTok int     // query tokens beyond this are ignored
}

var defaultParams = params{
	idfPower:    1,
	genericIDF:  4.0,
	orgTypeIDF:  2.5,
	legalWeight: 1.0,
	stopWeight:  0.3,
	titleWeight: 0.3,
	initialIDF:  2.0,
	parenFactor: 0.4,
	oovDF:       0.5,
	minRecords:  10000,

	cq:       0.5,
	cn:       0.35,
	cnPerson: 0.3,

	simKey:        0.95,
	simPhonetic:   0.82,
	simJoin:       0.95,
	simInitial:    0.7,
	initialExcess: 0.35,
	particleSwap:  0.7,
	typoCost:      1.0,
	shortTypo4:    1.4,
	shortTypo5:    1.2,
	shortKey4:     0.15,
	shortKey5:     0.07,
	anchorSim:     0.75,
	typoMaxDF:     30,
	splitAlone:    0.7,
	minEvidence:   11,

	minSkeleton:     3,
	minSkeletonWord: 5,

	candidates:  96,
	minEstimate: 0.85,
	countryPen:  0.05,
	maxQueryTok: 200,
}

func (p *params) wordWeight(idf float64, generic bool) float32 {
	if generic && idf > p.genericIDF {
		idf = p.genericIDF
	}
	return float32(math.Pow(idf, p.idfPower))
}

// wordWeightIDF is wordWeight for an already capped idf.
func (p *params) wordWeightIDF(idf float32) float32 {
	return float32(math.Pow(float64(idf), p.idfPower))
}

// idf is a word's capped inverse document frequency over records.
func (p *params) idf(v *vocabEntry, nrec float64) float32 {
	if v.kind != kindWord {
		return 0
	}
	idf := math.Log(1 + nrec/float64(max(v.df, 1)))
	if len(v.canon) == 1 && (v.canon[0] < '0' || v.canon[0] > '9') && idf > p.initialIDF {
		idf = p.initialIDF
	}
	if v.generic && idf > p.genericIDF {
		idf = p.genericIDF
	}
	return float32(idf)
}

func (p *params) weight(v *vocabEntry, nrec float64) float32 {
	switch v.kind {
	case kindLegal:
		return p.legalWeight
	case kindStop:
		return p.stopWeight
	}
	if v.orgType && float64(v.idf) > p.orgTypeIDF {
		return p.wordWeightIDF(float32(p.orgTypeIDF))
	}
	return p.wordWeightIDF(v.idf)
}

// typoSim is the similarity of two words d edits apart, the longer of n
// letters.
//
// An edit costs more in a short word: one letter turns "Mary" into "Mark"
// or "Nike" into "Mike", while "Kaspresky" is still Kaspersky.
func (p *params) typoSim(d, n int) float32 {
	if n == 0 {
		return 0
	}
	cost := p.typoCost
	switch {
	case n <= 4:
		cost *= p.shortTypo4
	case n == 5:
		cost *= p.shortTypo5
	}
	return max(0, 1-cost*float32(d)/float32(n))
}

// keySim is the similarity of two different words with the same
// romanisation key, the shorter of n letters: short words share keys by
// chance ("Nike" and "Nice", "Visa" and "Wisa"), long ones rarely.
func (p *params) keySim(n int) float32 {
	switch {
	case n <= 4:
		return p.simKey - p.shortKey4
	case n == 5:
		return p.simKey - p.shortKey5
	}
	return p.simKey
}

// edge is a candidate pair in an alignment.
type edge struct {
	qi, qn uint8 // query tokens qi .. qi+qn-1
	nj, nn uint16
	how    uint8
	sim    float32
	wq, wn float32
	val    float32
}

// scoreName aligns the query in s with name ni and returns the score; when
// keep is set, the chosen pairs are left in s.chosen.
func (ix *Index) scoreName(s *scratch, ni uint32, keep bool) (float32, bool) {
	nr := &ix.nameW[ni]
	toks := ix.toks[nr.off : nr.off+uint32(nr.n)]
	s.edges = s.edges[:0]
	ix.candEdges(s, toks, nr)
	ix.initialEdges(s, toks)
	s.sortEdges()
	// Greedy choice is not always best when an edge joins or splits words
	// ("Kai Yan" as one listed word, against "Kai" and "Yan" listed apart):
	// when such edges exist, align again without them and keep the better.
	sc, ok := ix.tally(s, toks, nr, true)
	if s.hasMultiEdge() {
		best := append(s.chosenAlt[:0], s.chosen...)
		s.chosenAlt = best
		if sc2, ok2 := ix.tally(s, toks, nr, false); (ok2 && !ok) || (ok2 == ok && sc2 > sc) {
			sc, ok = sc2, ok2
		} else {
			s.chosen = append(s.chosen[:0], best...)
		}
	}
	return sc, ok
}

// candEdges appends to s.edges a pair for every candidate of the query met
// among the name's tokens.
func (ix *Index) candEdges(s *scratch, toks []uint32, nr *nameWeight) {
	p := &ix.params
	for j, t := range toks {
		v := t & tokIDMask
		for e := s.slot[v]; e >= 0; e = s.cands[e].next {
			c := &s.cands[e]
			if c.how == howKoreanCode && !nr.person {
				// Korean syllables are read alike in people's names
				// only: ships and companies are named with them too,
				// and differ by them.
				continue
			}
			var ed edge
			switch c.unit {
			case unitSingle:
				if t&tokAcronym != 0 && s.qt[c.q].tok.split != 0 {
					// An acronym is written as one: half of a query
					// word cut in two is no acronym ("APVA" is not
					// "A.P." and "va").
					continue
				}
				ed = edge{qi: uint8(c.q), qn: 1, nj: uint16(j), nn: 1}
				ed.wn = ix.tokWeight(t)
				ed.wq = s.qw[c.q]
				if qt := &s.qt[c.q]; !qt.exact && qt.tok.kind == kindWord {
					// A word the list lacks weighs what the listed word it
					// is read as weighs.
					ed.wq = ed.wn
					if qt.tok.paren {
						ed.wq *= p.parenFactor
					}
				}
			case unitJoin:
				ed = edge{qi: uint8(c.q), qn: 2, nj: uint16(j), nn: 1}
				ed.wq = s.qw[c.q] + s.qw[c.q+1]
				ed.wn = ix.tokWeight(t)
			case unitJoin3:
				ed = edge{qi: uint8(c.q), qn: 3, nj: uint16(j), nn: 1}
				ed.wq = s.qw[c.q] + s.qw[c.q+1] + s.qw[c.q+2]
				ed.wn = ix.tokWeight(t)
			case unitSplitFirst:
				if j+1 >= len(toks) || toks[j+1]&tokIDMask != c.partner {
					continue
				}
				ed = edge{qi: uint8(c.q), qn: 1, nj: uint16(j), nn: 2}
				ed.wq = s.qw[c.q]
				ed.wn = ix.tokWeight(t) + ix.tokWeight(toks[j+1])
			case unitSplit3:
				p := s.split3[c.partner]
				if j+2 >= len(toks) || toks[j+1]&tokIDMask != p[0] || toks[j+2]&tokIDMask != p[1] {
					continue
				}
				ed = edge{qi: uint8(c.q), qn: 1, nj: uint16(j), nn: 3}
				ed.wq = s.qw[c.q]
				ed.wn = ix.tokWeight(t) + ix.tokWeight(toks[j+1]) + ix.tokWeight(toks[j+2])
			case unitResplit:
				if j+1 >= len(toks) || toks[j+1]&tokIDMask != c.partner {
					continue
				}
				ed = edge{qi: uint8(c.q), qn: 2, nj: uint16(j), nn: 2}
				ed.wq = s.qw[c.q] + s.qw[c.q+1]
				ed.wn = ix.tokWeight(t) + ix.tokWeight(toks[j+1])
			default:
				continue
			}
			ed.sim = c.sim
			ed.how = c.how
			ed.val = ed.sim * (ed.wq + ed.wn)
			s.edges = append(s.edges, ed)
		}
	}
}

// initialEdges appends to s.edges the pairs of a one-letter word with a
// word of that initial: a query initial with a listed word, then a listed
// initial with a query word.
func (ix *Index) initialEdges(s *scratch, toks []uint32) {
	p := &ix.params
	for i := range s.qt {
		qt := &s.qt[i]
		if (qt.tok.kind != kindWord && !qt.initial) || len(qt.tok.canon) != 1 {
			continue
		}
		for j, t := range toks {
			v := &ix.vocab[t&tokIDMask]
			if v.kind == kindWord && len(v.canon) > 1 && v.canon[0] == qt.tok.canon[0] && t&tokTitle == 0 {
				ed := edge{qi: uint8(i), qn: 1, nj: uint16(j), nn: 1, how: howInitial, sim: p.simInitial}
				ed.wq = s.qw[i]
				ed.wn = ix.tokWeight(t)
				ed.val = ed.sim * min(ed.wq, ed.wn)
				s.edges = append(s.edges, ed)
			}
		}
	}
	for j, t := range toks {
		v := &ix.vocab[t&tokIDMask]
		if v.kind != kindWord || len(v.canon) != 1 {
			continue
		}
		for i := range s.qt {
			qt := &s.qt[i]
			if qt.tok.kind == kindWord && len(qt.tok.canon) > 1 && qt.tok.canon[0] == v.canon[0] {
				ed := edge{qi: uint8(i), qn: 1, nj: uint16(j), nn: 1, how: howInitial, sim: p.simInitial}
				ed.wn = ix.tokWeight(t)
				ed.wq = s.qw[i]
				ed.val = ed.sim * min(ed.wq, ed.wn)
				s.edges = append(s.edges, ed)
			}
		}
	}
}

// sortEdges puts in s.order64 the order the greedy choice reads s.edges
// in: best value first; ties in the order the edges were made, so the
// result is deterministic. Sorting packed keys (inverted value bits, then
// position) avoids a comparison function.
func (s *scratch) sortEdges() {
	s.order64 = s.order64[:0]
	for k := range s.edges {
		s.order64 = append(s.order64, uint64(^math.Float32bits(s.edges[k].val))<<32|uint64(k))
	}
	slices.Sort(s.order64)
}

// hasMultiEdge reports whether an edge of s.edges joins or splits words.
func (s *scratch) hasMultiEdge() bool {
	for k := range s.edges {
		if s.edges[k].qn >= 2 || s.edges[k].nn >= 2 {
			return true
		}
	}
	return false
}

// tally chooses pairs greedily from s.edges (joined and split pairs only
// when multi) and scores the alignment, leaving the pairs in s.chosen.
func (ix *Index) tally(s *scratch, toks []uint32, nr *nameWeight, multi bool) (float32, bool) {
	p := &ix.params
	s.choose(len(toks), multi)
	m := ix.sumMatched(s, toks)
	uq, un, wordsLeft := ix.sumUnmatched(s, toks)
	cn := p.cn
	excess := float32(1)
	if nr.person || s.person {
		cn = p.cnPerson
		// A person's initial stands for a given name or patronymic
		// the other side writes out: the rest of that word is less
		// of a mismatch than a word missing altogether.
		excess = p.initialExcess
	}
	uq += excess * m.excessQ
	un += excess * m.excessN
	den := m.pw + p.cq*uq + cn*un
	if den <= 0 || m.num <= 0 {
		return 0, false
	}
	// Anchored on a distinctive word, or every ordinary word on both sides
	// matched (a listed name made only of common words, written in full).
	// Or, for a listed name of common words only, enough of them matched
	// ("Golden Enterprise Shipping").
	ok := m.anchored || (!wordsLeft && m.matchedWord) || m.evidence >= p.minEvidence
	sc := m.num / den
	if s.particleSwapped() {
		sc *= p.particleSwap
	}
	return sc, ok
}

// patronymicParticles are the words that make the next name the previous
// one's father's ("Ahmad bin Ali" is Ahmad, son of Ali): around them, word
// order tells people apart.
var patronymicParticles = setOf("bin", "ibn", "bint", "binti", "ibnu", "ben", "ould", "walad", "bn")

// particleSwapped reports whether the chosen pairs read a patronymic
// particle of the query and its neighbours the other way round in the
// name: the query's "Ahmad bin Ali" against the name's "Ali bin Ahmad".
func (s *scratch) particleSwapped() bool {
	for i := 1; i+1 < len(s.qt); i++ {
		if !patronymicParticles[s.qt[i].tok.canon] || !s.usedQ[i-1] || !s.usedQ[i] || !s.usedQ[i+1] {
			continue
		}
		before, at, after := -1, -1, -1
		for k := range s.chosen {
			e := &s.chosen[k]
			if e.qn != 1 || e.nn != 1 {
				continue
			}
			switch int(e.qi) {
			case i - 1:
				before = int(e.nj)
			case i:
				at = int(e.nj)
			case i + 1:
				after = int(e.nj)
			}
		}
		// Only the three words written the other way round, side by side,
		// and two different names: the same name twice ("Sa'd bin Sa'd")
		// or a chain of particles may pair across.
		if after >= 0 && at == after+1 && before == at+1 && s.qt[i-1].tok.canon != s.qt[i+1].tok.canon {
			return true
		}
	}
	return false
}

// choose picks pairs from s.edges in s.order64's order, each query and
// listed token used once (joined and split pairs only when multi), into
// s.chosen; s.usedQ and s.usedN mark the tokens used.
func (s *scratch) choose(nn int, multi bool) {
	es := s.edges
	s.usedQ = resetBools(s.usedQ, len(s.qt))
	s.usedN = resetBools(s.usedN, nn)
	s.chosen = s.chosen[:0]
	for _, key := range s.order64 {
		e := es[uint32(key)]
		if !multi && (e.qn >= 2 || e.nn >= 2) {
			continue
		}
		if s.usedQ[e.qi] || (e.qn >= 2 && s.usedQ[e.qi+1]) || (e.qn == 3 && s.usedQ[e.qi+2]) || s.usedN[e.nj] || (e.nn >= 2 && s.usedN[e.nj+1]) || (e.nn == 3 && s.usedN[e.nj+2]) {
			continue
		}
		for k := uint8(0); k < e.qn; k++ {
			s.usedQ[e.qi+k] = true
		}
		for k := uint16(0); k < e.nn; k++ {
			s.usedN[e.nj+k] = true
		}
		s.chosen = append(s.chosen, e)
	}
}

// matchedSums is what the chosen pairs add up to.
type matchedSums struct {
	num, pw          float32 // Σ sim·w and Σ w over the pairs
	evidence         float32 // summed idf of the listed words matched well
	excessQ, excessN float32 // the unmatched rest of words matched by an initial
	anchored         bool    // a distinctive word matched well
	matchedWord      bool    // an ordinary query word matched well
}

// sumMatched sums the chosen pairs, weakening (in s.chosen) half of a cut
// query word matched without its other half.
func (ix *Index) sumMatched(s *scratch, toks []uint32) matchedSums {
	p := &ix.params
	nq := len(s.qt)
	var m matchedSums
	for k := range s.chosen {
		e := &s.chosen[k]
		// One half of a word the query wrote as one ("Mastercard" read as
		// "Master Card"), matched without the other half, is weak
		// evidence: the cut was only a guess.
		if qt := &s.qt[e.qi]; qt.tok.split != 0 && e.qn == 1 {
			partner := int(e.qi) + 1
			if qt.tok.split == 2 {
				partner = int(e.qi) - 1
			}
			if partner >= 0 && partner < nq && s.qt[partner].tok.split != 0 && s.qt[partner].tok.kind == kindWord && !s.usedQ[partner] {
				e.sim *= p.splitAlone
			}
		}
		w := (e.wq + e.wn) / 2
		if e.how == howInitial {
			// An initial stands for a word but says little about it: the
			// pair weighs what the initial weighs, and the rest of the full
			// word counts as unmatched.
			w = min(e.wq, e.wn)
			if e.wq > w {
				m.excessQ += e.wq - w
			} else {
				m.excessN += e.wn - w
			}
		}
		m.num += e.sim * w
		m.pw += w
		if e.sim >= p.anchorSim && e.how != howInitial && s.qt[e.qi].tok.kind == kindWord {
			m.matchedWord = true
			for k := uint16(0); k < uint16(e.nn); k++ {
				m.evidence += ix.vocab[toks[e.nj+k]&tokIDMask].idf
			}
			v := &ix.vocab[toks[e.nj]&tokIDMask]
			if v.kind == kindWord && (!v.generic || e.nn >= 2) && toks[e.nj]&tokTitle == 0 {
				m.anchored = true
			}
		}
	}
	return m
}

// sumUnmatched returns the weights of the query's and the name's unmatched
// tokens, and whether an ordinary word is among them.
func (ix *Index) sumUnmatched(s *scratch, toks []uint32) (uq, un float32, wordsLeft bool) {
	for i := range s.qt {
		if !s.usedQ[i] {
			uq += s.qw[i]
			if s.qt[i].tok.kind == kindWord {
				wordsLeft = true
			}
		}
	}
	for j, t := range toks {
		if !s.usedN[j] {
			un += ix.tokWeight(t)
			if ix.vocab[t&tokIDMask].kind == kindWord && t&tokTitle == 0 {
				wordsLeft = true
			}
		}
	}
	return uq, un, wordsLeft
}

func resetBools(b []bool, n int) []bool {
	if cap(b) < n {
		b = make([]bool, n)
	}
	b = b[:n]
	for i := range b {
		b[i] = false
	}
	return b
}
