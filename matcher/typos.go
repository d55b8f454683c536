package matcher

// Typos of query words are found through the deletion neighbourhoods of
// the list's spellings (deletions.go), within a budget that grows with a
// word's length (maxEdits), and verified with an edit distance.

// maxTypoWord is the longest word that gets a typo neighbourhood or may be
// cut in two.
const maxTypoWord = 40

// maxEdits is the typo budget of a word of n letters: none for short words,
// where one letter changes the word, one up to seven letters, two beyond.
func maxEdits(n int) int {
	switch {
	case n < 4:
		return 0
	case n < 8:
		return 1
	}
	return 2
}

// hasTypo reports whether w is within the typo budget of a listed word.
func (ix *Index) hasTypo(s *scratch, w string) bool {
	me := maxEdits(letters(w))
	if me == 0 {
		return false
	}
	s.hits = ix.typoHits(s, s.hits[:0], w)
	for _, k := range s.hits {
		sp := &ix.spells[k]
		if sp.key {
			continue
		}
		if m := maxEdits(min(letters(w), letters(sp.s))); m > 0 && editDistance(w, sp.s, m, s.row) <= m {
			return true
		}
	}
	return false
}

// typoHits appends the spellings stored under w's two-deletion
// neighbourhood (seedCanon), remembering them for the query: splitWord
// looks up a word the list lacks, and typoCands the same word again.
func (ix *Index) typoHits(s *scratch, dst []uint32, w string) []uint32 {
	for _, m := range s.typoMemo {
		if m.w == w {
			return append(dst, s.typoMemoHits[m.from:m.to]...)
		}
	}
	s.hashes = appendDeletions(s.hashes[:0], w, seedCanon, 2)
	from := len(s.typoMemoHits)
	s.typoMemoHits = ix.dels.appendHits(s.typoMemoHits, s.hashes)
	s.typoMemo = append(s.typoMemo, memoSpan{w: w, from: int32(from), to: int32(len(s.typoMemoHits))})
	return append(dst, s.typoMemoHits[from:]...)
}

// typoCands adds the vocabulary words within the typo budget of query token
// i, measured against every written form of each word.
func (ix *Index) typoCands(s *scratch, i int) {
	t := &s.qt[i].tok
	if maxEdits(letters(t.text)) == 0 && maxEdits(letters(t.canon)) == 0 && maxEdits(letters(t.key)) == 0 {
		return
	}
	// A word the list has as written gets the one-edit neighbourhood only
	// (it is most likely right); an unknown word the full budget, in
	// spelling and in key space.
	p := &ix.params
	if s.qt[i].exact {
		// Build collected this neighbourhood (Index.nbs) and
		// measured it against the canonical form; only the word as
		// written and romanisation keys are left to measure.
		v := s.qt[i].id
		// A word in many records is most likely meant as written, and
		// its neighbours are often other names ("Hernandez" and
		// "Fernandez", "Mohammad" and "Mohammadi"): it is read as a typo
		// only of a word of its length with its first and last letters,
		// a vowel changed inside ("Abdullahi" for "Abdillahi").
		common := ix.vocab[v].df >= p.typoMaxDF
		for _, nb := range ix.nbs[ix.nbOff[v]:ix.nbOff[v+1]] {
			if sp := ix.spells[nb.spell].s; common && !innerChange(t.canon, sp, nb.sim) && !innerChange(t.text, sp, nb.sim) {
				continue
			}
			sim := nb.sim
			if sim < 0 {
				sim = 0
				sp := &ix.spells[nb.spell]
				if me := maxEdits(min(letters(t.key), letters(sp.s))); me > 0 {
					if d := editDistance(t.key, sp.s, me, s.row); d <= me {
						sim = p.keySim(min(letters(t.text), letters(sp.s))) * p.typoSim(d, max(letters(t.key), letters(sp.s)))
					}
				}
			} else if t.text != t.canon {
				sp := &ix.spells[nb.spell]
				if me := maxEdits(min(letters(t.text), letters(sp.s))); me > 0 {
					if d := editDistance(t.text, sp.s, me, s.row); d <= me {
						sim = max(sim, p.typoSim(d, max(letters(t.text), letters(sp.s))))
					}
				}
			}
			if sim > 0 {
				s.addCand(i, unitSingle, nb.id, sim, howTypoCode, 0)
			}
		}
		return
	}
	s.hits = ix.typoHits(s, s.hits[:0], t.canon)
	if t.text != t.canon {
		s.hits = ix.typoHits(s, s.hits, t.text)
	}
	s.hashes = appendDeletions(s.hashes[:0], t.key, seedKey, 1)
	s.hits = ix.dels.appendHits(s.hits, s.hashes)
	s.idsSeen = s.idsSeen[:0]
	s.spellEpoch++
	if s.spellEpoch == 0 {
		clear(s.spellSeen)
		s.spellEpoch = 1
	}
	for _, sp := range s.hits {
		if s.spellSeen[sp] != s.spellEpoch {
			s.spellSeen[sp] = s.spellEpoch
			s.idsSeen = append(s.idsSeen, sp)
		}
	}
	for _, k := range s.idsSeen {
		sp := &ix.spells[k]
		var sim float32
		if sp.key {
			if me := maxEdits(min(letters(t.key), letters(sp.s))); me > 0 {
				if d := editDistance(t.key, sp.s, me, s.row); d <= me {
					sim = p.keySim(min(letters(t.text), letters(sp.s))) * p.typoSim(d, max(letters(t.key), letters(sp.s)))
				}
			}
		} else {
			for _, w := range [2]string{t.canon, t.text} {
				if me := maxEdits(min(letters(w), letters(sp.s))); me > 0 {
					if d := editDistance(w, sp.s, me, s.row); d <= me {
						sim = max(sim, p.typoSim(d, max(letters(w), letters(sp.s))))
					}
				}
			}
		}
		if sim > 0 {
			s.addCand(i, unitSingle, sp.id, sim, howTypoCode, 0)
		}
	}
}

// innerChange reports whether spelling sp (a word's, not a romanisation
// key's: sim ≥ 0) may be w with one letter inside changed: the same length,
// first and last letters.
func innerChange(w, sp string, sim float32) bool {
	return sim >= 0 && len(sp) == len(w) && len(w) > 2 && sp[0] == w[0] && sp[len(sp)-1] == w[len(w)-1]
}
