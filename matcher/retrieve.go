package matcher

// Retrieval maps each query token to the vocabulary entries it may stand
// for, each with a similarity and how it was reached: the exact canonical
// form, the romanisation key, the consonant skeleton, typos (typos.go),
// two query words written as one listed word, and one query word cut into
// two listed words (compounds.go).

// retrieve maps every query token to candidate vocabulary entries and sets
// the query tokens' weights.
func (ix *Index) retrieve(s *scratch) {
	p := &ix.params
	s.initials = false
	s.korean = s.koreanQuery()
	for i := range s.qt {
		t := &s.qt[i].tok
		if len(t.canon) == 1 && t.kind == kindWord {
			s.initials = true
		}
		switch t.kind {
		case kindLegal:
			if id, ok := ix.canonID(t); ok {
				s.addCand(i, unitSingle, id, 1, howLegalCode, 0)
			}
			s.qw[i] = p.legalWeight
		case kindStop:
			if id, ok := ix.canonID(t); ok {
				s.addCand(i, unitSingle, id, 1, howExactCode, 0)
			}
			s.qw[i] = p.stopWeight
			if s.initialLike(i) {
				s.qt[i].initial = true
				s.initials = true
				s.qw[i] = p.wordWeight(p.initialIDF, false)
			}
			if s.korean {
				ix.koreanCands(s, i)
			}
		default:
			ix.wordCands(s, i)
		}
	}
	ix.joinCands(s)
	ix.join3Cands(s)
	ix.splitCands(s)
	ix.resplitCands(s)
	if s.korean {
		ix.koreanResplitCands(s)
	}
}

// wordCands maps query word i to the vocabulary entries it may stand for,
// and weighs it.
func (ix *Index) wordCands(s *scratch, i int) {
	qt := &s.qt[i]
	first := len(s.cands)
	ix.exactCand(s, i)
	ix.keyCands(s, i)
	// A word the list has may still be a typo of the listed word meant
	// ("Abdullahi" for "Abdillahi", both listed): Build collected its
	// one-edit neighbourhood, so this costs no look-up.
	ix.typoCands(s, i)
	if !qt.exact {
		ix.phoneticCands(s, i)
	}
	if qt.tok.abjad != "" {
		ix.abjadCands(s, i)
	}
	ix.nicknameCands(s, i)
	if s.korean && !ix.koreanCands(s, i) {
		ix.koreanJoinedCands(s, i)
	}
	// Weighed on the candidates so far: a legal form the word may also
	// be does not lend it its weight.
	s.qw[i] = ix.queryWordWeight(s, i, first)
	if t := &qt.tok; t.legalAlt != "" {
		if id, ok := ix.byCanon[t.legalAlt]; ok {
			s.addCand(i, unitSingle, id, 1, howLegalCode, 0)
		}
	}
}

// exactCand adds query word i's own vocabulary entry, found by its
// canonical form or else by its alternative one, which then becomes its
// canonical form.
func (ix *Index) exactCand(s *scratch, i int) {
	qt := &s.qt[i]
	t := &qt.tok
	how := howExactCode
	if t.lookalike {
		how = howLookalikeCode
	}
	if id, ok := ix.canonID(t); ok {
		s.addCand(i, unitSingle, id, 1, how, 0)
		qt.exact, qt.id = true, id
	} else if t.alt != "" {
		if id, ok := ix.byCanon[t.alt]; ok {
			s.addCand(i, unitSingle, id, 1, how, 0)
			qt.exact, qt.id = true, id
			t.canon = t.alt
			s.kb = romanKey(s.kb, t.canon)
			t.key = string(s.kb)
		}
	}
}

// keyCands adds the vocabulary entries with query word i's romanisation
// key: its canonical form's and the word's as written (the singular rule
// may have cut a foreign word: "Kompleks"). Keys of short words collide by
// chance ("c" and "ccc" are both "k"); they count only for keys of two
// letters or more.
func (ix *Index) keyCands(s *scratch, i int) {
	p := &ix.params
	qt := &s.qt[i]
	t := &qt.tok
	switch {
	case len(t.key) < 2:
	case qt.exact:
		// A token's key is its canonical form's, as the vocabulary
		// entry's is: Build has this look-up.
		for _, m := range ix.mates[ix.mateOff[qt.id]:ix.mateOff[qt.id+1]] {
			if m.id == qt.id {
				continue
			}
			sim := p.keySim(min(len(t.text), int(m.n)))
			s.addCand(i, unitSingle, m.id, sim, howTranslitCode, 0)
		}
	default:
		ix.addByKey(s, i, ix.byKey[t.key])
	}
	if t.text != t.canon {
		s.kb = romanKey(s.kb, t.text)
		if len(s.kb) >= 2 && string(s.kb) != t.key {
			ix.addByKey(s, i, ix.byKey[string(s.kb)])
		}
	}
}

// addByKey adds ids, vocabulary entries with a key of query word i, as its
// transliterations.
func (ix *Index) addByKey(s *scratch, i int, ids []uint32) {
	p := &ix.params
	qt := &s.qt[i]
	for _, id := range ids {
		// Vocabulary entries have distinct canonical forms: only the
		// exact entry has the token's.
		if qt.exact && id == qt.id {
			continue
		}
		sim := p.keySim(min(len(qt.tok.text), len(ix.vocab[id].canon)))
		s.addCand(i, unitSingle, id, sim, howTranslitCode, 0)
	}
}

// queryWordWeight returns the weight of query word i, whose candidates are
// s.cands[first:]: the list's weight of the word it most resembles, and
// among equally close words the most common ("Muhaammad" is most likely
// Muhammad, not a rare variant); a word the list has never seen weighs
// most.
func (ix *Index) queryWordWeight(s *scratch, i, first int) float32 {
	p := &ix.params
	bestW, bestSim := float32(-1), float32(0)
	for e := first; e < len(s.cands); e++ {
		c := &s.cands[e]
		if c.q != int32(i) || c.unit != unitSingle {
			continue
		}
		if w := ix.vocab[c.vocab].w; c.sim > bestSim || (c.sim == bestSim && w < bestW) {
			bestSim, bestW = c.sim, w
		}
	}
	t := &s.qt[i].tok
	var w float32
	switch {
	case bestSim >= p.anchorSim:
		w = bestW
	case len(t.canon) == 1:
		w = p.wordWeight(p.initialIDF, false)
	default:
		w = ix.oovWeight
	}
	if t.kind == kindTitle {
		w = p.titleWeight
	}
	if t.paren {
		w *= p.parenFactor
	}
	return w
}

// canonID returns the vocabulary entry of t's canonical form.
func (ix *Index) canonID(t *token) (uint32, bool) {
	if t.canonID != 0 {
		return uint32(t.canonID - 1), t.canonID > 0
	}
	id, ok := ix.byCanon[t.canon]
	return id, ok
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
		if d := editDistance(t.key, v.key, me, s.row); d <= me {
			s.addCand(i, unitSingle, id, p.simPhonetic, howPhoneticCode, 0)
		}
	}
}

// initialLike reports whether query token i, a one-letter function word,
// reads as an initial: beside another single letter ("Y. V. Prigozhin",
// "Prigozhin Y.V."), not between two words ("Ciencia y Tecnologia").
func (s *scratch) initialLike(i int) bool {
	single := func(k int) bool {
		if k < 0 || k >= len(s.qt) {
			return false
		}
		t := &s.qt[k].tok
		return len(t.canon) == 1 && t.canon[0] >= 'a' && t.canon[0] <= 'z' && (t.kind == kindWord || t.kind == kindStop)
	}
	return single(i) && (single(i-1) || single(i+1))
}
