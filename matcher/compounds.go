package matcher

import "math"

// Compounds: two query words the list writes as one ("Kaspersky Lab" for
// "KasperskyLab"), and one query word it writes as two ("Al Nasser" for
// "Alnasser"), at retrieval (joinCands, splitCands) and when the query is
// analysed (splitWord). A word is cut where its parts are likeliest under
// a unigram model of the list's words (bestCut), with a filter in front of
// the parts' map (partSet).

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
		if ix.canonF.hasBytes(s.cb) {
			if id, ok := ix.byCanon[string(s.cb)]; ok && ix.vocab[id].kind == kindWord {
				s.addCand(i, unitJoin, id, p.simJoin, howJoinedCode, 0)
				continue
			}
		}
		joined := string(s.cb)
		if c, _ := canonicalWord(joined); c != joined && ix.canonF.has(c) {
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
		if !ix.keyF.hasBytes(s.kb) {
			continue
		}
		for _, id := range ix.byKey[string(s.kb)] {
			if len(ix.vocab[id].canon)+2 >= len(joined) {
				s.addCand(i, unitJoin, id, p.simJoin*p.simKey, howJoinedCode, 0)
			}
		}
	}
}

// join3Cands adds listed words that are three adjacent query words written
// together ("Chong Chon Gang" for "Chongchongang"), by canonical form.
func (ix *Index) join3Cands(s *scratch) {
	p := &ix.params
	for i := 0; i+2 < len(s.qt); i++ {
		a, b, c := &s.qt[i].tok, &s.qt[i+1].tok, &s.qt[i+2].tok
		if a.kind != kindWord || b.kind != kindWord || c.kind != kindWord {
			continue
		}
		s.cb = append(append(append(s.cb[:0], a.text...), b.text...), c.text...)
		if ix.canonF.hasBytes(s.cb) {
			if id, ok := ix.byCanon[string(s.cb)]; ok && ix.vocab[id].kind == kindWord {
				s.addCand(i, unitJoin3, id, p.simJoin, howJoinedCode, 0)
				continue
			}
		}
		// A plural read on the whole ("Dive Techno Services" for
		// "Divetechnoservice"), without making a string of it.
		if n := len(s.cb); s.cb[n-1] == 's' && ix.canonF.hasBytes(s.cb[:n-1]) {
			if id, ok := ix.byCanon[string(s.cb[:n-1])]; ok && ix.vocab[id].kind == kindWord {
				s.addCand(i, unitJoin3, id, p.simJoin, howJoinedCode, 0)
			}
		}
	}
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
		// A word the list knows may still be two listed words written
		// together ("Mohammadali" is listed, and so are "Mohammad Ali"):
		// cut after a short prefix (an article or legal form glued on:
		// "Alnasser", "OOOBitreit") or into two parts of three letters or
		// more, neither a business word; others anywhere.
		a, b, ok := ix.bestCut(s, t.text, len(t.text))
		if !ok {
			ix.split3Cand(s, i)
			continue
		}
		long := s.qt[i].exact && len(a) > 3
		if long && len(b) < 3 {
			continue
		}
		ida, oka := ix.partID(s, a)
		idb, okb := ix.partID(s, b)
		// A listed word cut into a name and a business word is most
		// likely the one name ("Sberbank" is not "Sber Bank").
		if long && oka && okb && (ix.vocab[ida].generic || ix.vocab[idb].generic) {
			continue
		}
		if oka && okb {
			s.addCand(i, unitSplitFirst, ida, p.simJoin, howJoinedCode, idb)
		}
	}
}

// split3Cand offers query word i's likeliest cut into three adjacent
// listed words of three letters or more ("Chongchongang" for "Chong Chon
// Gang", "Divetechnoservices" for "Dive Techno Services"), when it has no
// cut into two. One part at least must be distinctive (no business word,
// legal form or function word): three generic words say little.
func (ix *Index) split3Cand(s *scratch, i int) {
	w := s.qt[i].tok.text
	n := len(w)
	if n < 9 || n > maxTypoWord {
		return
	}
	best, bestScore := 0, -1.0
	var bx, by string
	var h uint64 // the polynomial hash of w[:k]
	for k := 1; k <= n-6; k++ {
		h = h*partHashBase + uint64(w[k-1])
		if k < 3 || !ix.parts.maybe(h, k) {
			continue
		}
		fa, ok := ix.partFreq(w[:k])
		if !ok {
			continue
		}
		x, y, ok := ix.bestCut(s, w[k:], n-k-3)
		if !ok || len(x) < 3 || len(y) < 3 {
			continue
		}
		fx, _ := ix.partFreq(x)
		fy, _ := ix.partFreq(y)
		if sc := math.Log(1+fa) + math.Log(1+fx) + math.Log(1+fy); sc > bestScore {
			best, bestScore, bx, by = k, sc, x, y
		}
	}
	if best == 0 {
		return
	}
	ida, oka := ix.partID(s, w[:best])
	idx, okx := ix.partID(s, bx)
	idy, oky := ix.partID(s, by)
	if !oka || !okx || !oky {
		return
	}
	generic := 0
	for _, id := range [3]uint32{ida, idx, idy} {
		if v := &ix.vocab[id]; v.kind != kindWord || v.generic {
			generic++
		}
	}
	if generic == 3 {
		return
	}
	s.split3 = append(s.split3, [2]uint32{idx, idy})
	s.addCand(i, unitSplit3, ida, ix.params.simJoin, howJoinedCode, uint32(len(s.split3)-1))
}

// resplitCands offers, for two adjacent query words the list lacks one of,
// the likeliest cut of the two written together into two other listed
// words: a name split at another place ("Myongc-hol" for "Myong-chol").
func (ix *Index) resplitCands(s *scratch) {
	p := &ix.params
	for i := 0; i+1 < len(s.qt); i++ {
		a, b := &s.qt[i].tok, &s.qt[i+1].tok
		if a.kind != kindWord || b.kind != kindWord || (s.qt[i].exact && s.qt[i+1].exact) || a.split != 0 || b.split != 0 {
			continue
		}
		n := len(a.text) + len(b.text)
		if n < 6 || n > maxTypoWord {
			continue
		}
		joined := a.text + b.text
		x, y, ok := ix.bestCut(s, joined, n)
		if !ok || len(x) == len(a.text) || len(x) < 2 || len(y) < 2 {
			continue
		}
		idx, okx := ix.partID(s, x)
		idy, oky := ix.partID(s, y)
		if okx && oky && ix.vocab[idx].kind == kindWord && ix.vocab[idy].kind == kindWord {
			s.addCand(i, unitResplit, idx, p.simJoin, howJoinedCode, idy)
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
	if len(w) < 4 || len(w) > maxTypoWord {
		return "", "", false
	}
	known, c := ix.knownCanon(s, w)
	if known {
		return "", "", false
	}
	// knownCanon has read the key of w's canonical form as a legal word;
	// w's own key differs only when w has another canonical form.
	if c != w {
		s.kb = romanKey(s.kb, w)
		if isLegalWord(string(s.kb), s.row, &s.an.dm) {
			return "", "", false
		}
	}
	if isLegalWord(w, s.row, &s.an.dm) {
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
	if len(w) > maxTypoWord {
		return "", "", false
	}
	// Most cuts have a part the list does not hold: the parts filter
	// rules them out from the parts' hashes, made for all cuts in one pass
	// each way, without a map lookup.
	n := len(w)
	last := min(n-2, maxPrefix)
	if last < 2 {
		return "", "", false
	}
	pre := resizeUint64(s.pre, n+1)
	suf := resizeUint64(s.suf, n+1)
	s.pre, s.suf = pre, suf
	var h uint64
	for k := 0; k < n; k++ {
		pre[k] = h
		h = h*partHashBase + uint64(w[k])
	}
	pre[n] = h
	h, pw := 0, uint64(1)
	suf[n] = 0
	for k := n - 1; k >= 0; k-- {
		h += uint64(w[k]) * pw
		pw *= partHashBase
		suf[k] = h
	}
	best, bestScore := 0, -1.0
	for k := 2; k <= last; k++ {
		if !ix.parts.maybe(pre[k], k) || !ix.parts.maybe(suf[k], n-k) {
			continue
		}
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
	known, _ := ix.knownCanon(s, w)
	return known
}

// knownCanon is knownWord, also returning w's canonical form when it read
// it (and w when w is an abbreviation).
func (ix *Index) knownCanon(s *scratch, w string) (bool, string) {
	if _, ok := multiWords[w]; ok {
		return true, w
	}
	c, _ := canonicalWord(w)
	if _, ok := ix.byCanon[c]; ok {
		return true, c
	}
	s.kb = romanKey(s.kb, c)
	if _, ok := ix.byKey[string(s.kb)]; ok {
		return true, c
	}
	return isLegalWord(string(s.kb), s.row, &s.an.dm), c
}

// partFreq says whether w can be one part of a cut word, and how many
// records hold it: a listed word as written or in canonical form, a legal
// form or an abbreviation the tables know. One letter never counts, nor
// does an honorific ("Dana" + "her" is not how "Danaher" reads).
func (ix *Index) partFreq(w string) (float64, bool) {
	if len(w) < 2 || honorifics[w] {
		return 0, false
	}
	df, ok := ix.parts.df[w]
	return float64(df), ok
}

// partSet holds the words a query word may be cut into, with their
// document frequencies, behind a filter on the words' polynomial hashes,
// which bestCut computes for every prefix and suffix of a word in one pass.
type partSet struct {
	df map[string]int32
	f  filter
}

// partHashBase is the base of the parts' polynomial hash: h(s) is
// s[0]·B^(n-1) + … + s[n-1], modulo 2^64.
const partHashBase = 0x100000001b3

func partHash(w string) uint64 {
	var h uint64
	for i := 0; i < len(w); i++ {
		h = h*partHashBase + uint64(w[i])
	}
	return h
}

// mixPart returns the filter hash of a part of n bytes with polynomial
// hash h.
func mixPart(h uint64, n int) uint64 {
	h ^= uint64(n) << 56
	// splitmix64's finaliser: the polynomial hash's low bits mix poorly.
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

// seal builds the filter once df is complete.
func (p *partSet) seal() {
	p.f = newFilter(len(p.df), 32)
	for w := range p.df {
		p.f.add(mixPart(partHash(w), len(w)))
	}
}

// maybe reports whether the part of n bytes with polynomial hash h may be
// in the set; false means it is not.
func (p *partSet) maybe(h uint64, n int) bool {
	return p.f.has(mixPart(h, n))
}
