package matcher

import (
	"slices"
	"sync"
)

// A word written in Arabic, Persian or Hebrew letters (translit_abjad.go)
// is compared with the list's words by its letters: each letter must meet
// one of the spellings romanisations give it, in order, and the listed
// word's other vowels are free, being the short vowels these scripts do
// not write. بشار meets "Bashar" and "Beshar"; محمد meets "Muhammad" and
// "Mohamed" but not "Mahmoud" (محمود, whose و must be a vowel or a v).
//
// Candidates come from a look-up of the listed words by their consonants
// (their key less its vowels), built on the first such query: lists are
// mostly screened in Latin, and the look-up costs nothing until then.

// abjadLookup is the listed words by their consonants.
type abjadLookup struct {
	once sync.Once
	by   map[string][]uint32
}

// maxAbjadSkeletons bounds the consonant strings one word is looked up
// by: letters read several ways multiply them.
const maxAbjadSkeletons = 64

// abjadGuessCost is the similarity one guessed vowel costs (abjadMeets).
const abjadGuessCost = 0.02

// consonantsOf appends key's letters less its vowels, doubled letters
// once.
func consonantsOf(dst []byte, key string) []byte {
	for i := 0; i < len(key); i++ {
		c := key[i]
		if isVowel(c) || len(dst) > 0 && dst[len(dst)-1] == c {
			continue
		}
		dst = append(dst, c)
	}
	return dst
}

// byConsonants returns the look-up, building it on first use.
func (ix *Index) byConsonants() map[string][]uint32 {
	ix.abjad.once.Do(func() {
		m := make(map[string][]uint32)
		var buf []byte
		for id := range ix.vocab {
			v := &ix.vocab[id]
			if v.kind != kindWord {
				continue
			}
			buf = consonantsOf(buf[:0], v.key)
			if len(buf) == 0 {
				continue
			}
			m[string(buf)] = append(m[string(buf)], uint32(id))
		}
		ix.abjad.by = m
	})
	return ix.abjad.by
}

// abjadCands adds the listed words that query token i, an abjad word,
// may be written as; and those that it and the next word, when that is
// an abjad word too, may be written as together (نصر الله is Nasrallah).
func (ix *Index) abjadCands(s *scratch, i int) {
	t := &s.qt[i].tok
	ix.abjadLookupAdd(s, i, t.abjad, unitSingle, 1)
	if i+1 < len(s.qt) && s.qt[i+1].tok.abjad != "" {
		ix.abjadLookupAdd(s, i, t.abjad+s.qt[i+1].tok.abjad, unitJoin, ix.params.simJoin)
	}
}

// abjadLookupAdd adds the listed words that the letters w may be written
// as, as candidates of query token i in unit, similarity scaled by f.
func (ix *Index) abjadLookupAdd(s *scratch, i int, w string, unit uint8, f float32) {
	letters := abjadPattern(w)
	if len(letters) == 0 {
		return
	}
	by := ix.byConsonants()
	for _, sk := range abjadSkeletons(letters) {
		for _, id := range by[sk] {
			v := &ix.vocab[id]
			ok, guess := abjadMeets(letters, longKey(s, v.canon))
			if !ok {
				continue
			}
			how := howTranslitCode
			if unit == unitJoin {
				how = howJoinedCode
			}
			// A word whose every letter the query wrote is as close as
			// a Latin word with the same key; each vowel the query left
			// to guess takes a little off.
			sim := ix.params.simKey - abjadGuessCost*float32(guess)
			s.addCand(i, unit, id, sim*f, how, 0)
		}
	}
}

// abjadPattern returns how each letter of w may be romanised, a letter
// written twice in a row once (the key writes doubled letters once).
func abjadPattern(w string) []abjadLetter {
	var letters []abjadLetter
	var prev rune
	for _, r := range w {
		if l, ok := abjadOf(r); ok && len(l.keys) > 0 && r != prev {
			letters = append(letters, l)
			prev = r
		}
	}
	// A word's first letter is written, so the listed word has it: an
	// aleph, ayin or hamza there carries the word's first vowel, any.
	if len(letters) > 0 && letters[0].optional {
		first := letters[0]
		first.optional = false
		if !slices.ContainsFunc(first.keys, func(k string) bool { return !isVowel(k[0]) }) {
			first.keys = anyVowel
		}
		letters[0] = first
	}
	return letters
}

// abjadSkeletons returns the consonant strings (consonantsOf) that letters
// may be written with, at most maxAbjadSkeletons, none empty.
func abjadSkeletons(letters []abjadLetter) []string {
	var skels []string
	var build func(k int, cur []byte)
	build = func(k int, cur []byte) {
		if len(skels) >= maxAbjadSkeletons {
			return
		}
		if k == len(letters) {
			if len(cur) > 0 && !slices.Contains(skels, string(cur)) {
				skels = append(skels, string(cur))
			}
			return
		}
		projs := make([]string, 0, len(letters[k].keys)+1)
		for _, key := range letters[k].keys {
			if p := string(consonantsOf(nil, key)); !slices.Contains(projs, p) {
				projs = append(projs, p)
			}
		}
		if letters[k].optional && !slices.Contains(projs, "") {
			projs = append(projs, "")
		}
		for _, p := range projs {
			build(k+1, consonantsOf(cur, p))
		}
	}
	build(0, make([]byte, 0, 2*len(letters)))
	return skels
}

// longKey returns the romanisation key of w, a listed word, with the long
// vowels its spelling shows (ou, oo, ee, aa) marked as U, I and A:
// محمدی is Mohammadi rather than Mahmoudi, whose long u it would write.
func longKey(s *scratch, w string) string {
	b := s.cb[:0]
	for i := 0; i < len(w); i++ {
		if i+1 < len(w) {
			switch w[i : i+2] {
			case "ou", "oo", "uu":
				b = append(b, 'U')
				i++
				continue
			case "ee", "ii":
				b = append(b, 'I')
				i++
				continue
			case "aa":
				b = append(b, 'A')
				i++
				continue
			}
		}
		b = append(b, w[i])
	}
	s.cb = b
	s.kb = romanKey(s.kb, string(b))
	return string(s.kb)
}

// longVowel is the vowel a long-vowel mark of longKey stands for, or 0.
func longVowel(c byte) byte {
	switch c {
	case 'U':
		return 'u'
	case 'I':
		return 'i'
	case 'A':
		return 'a'
	}
	return 0
}

// spells reports whether key at ki starts with sp, a letter's spelling;
// a long vowel meets the spellings of its short one (o for u, e for i).
func spells(key string, ki int, sp string) bool {
	if lv := longVowel(key[ki]); lv != 0 && len(sp) == 1 {
		return sp[0] == lv || lv == 'u' && sp[0] == 'o' || lv == 'i' && sp[0] == 'e'
	}
	return len(key)-ki >= len(sp) && key[ki:ki+len(sp)] == sp
}

// abjadMeets reports whether key, a listed word's romanisation key, is a
// spelling of letters: each letter meets one of its spellings in order,
// optional letters may be missing, and the key's other vowels are free.
// guess says how much of the key the letters left open, on the reading
// that leaves least: a free a, e or o inside the word counts one, a free u
// or i two (they are more often long vowels, which are written), one
// before the word's first letter or after another free vowel three, and
// one after its last letter four: these scripts write a word's first and
// last vowels and its long ones.
func abjadMeets(letters []abjadLetter, key string) (ok bool, guess int) {
	budget := 4096
	guess = -1
	var meet func(li, ki, g int, lastFree bool)
	meet = func(li, ki, g int, lastFree bool) {
		budget--
		if budget < 0 || guess >= 0 && g >= guess {
			return
		}
		if li == len(letters) {
			for ; ki < len(key); ki++ {
				if !isVowel(key[ki]) && longVowel(key[ki]) == 0 {
					return
				}
				g += 4
			}
			if guess < 0 || g < guess {
				guess = g
			}
			return
		}
		l := &letters[li]
		for _, sp := range l.keys {
			if ki < len(key) && spells(key, ki, sp) {
				n := len(sp)
				if longVowel(key[ki]) != 0 {
					n = 1
				}
				meet(li+1, ki+n, g, false)
			}
		}
		if l.optional {
			meet(li+1, ki, g, false)
		}
		if ki < len(key) && (isVowel(key[ki]) || longVowel(key[ki]) != 0) {
			cost := 1
			switch {
			case longVowel(key[ki]) != 0:
				cost = 4 // a long vowel the script would have written
			case li == 0 || lastFree:
				cost = 3
			case key[ki] == 'u' || key[ki] == 'i':
				cost = 2 // more often a long vowel, which is written
			}
			meet(li, ki+1, g+cost, true)
		}
	}
	meet(0, 0, 0, false)
	return guess >= 0, guess
}
