package matcher

import "strings"

// Korean names in Latin letters: the North writes them in its own
// McCune-Reischauer style without marks (Kim Jong Un, Choe Ryong Hae, Pak
// Pong Nam, Ri Hong Il), the South in Revised Romanization (Gim Jeong-eun,
// Choe Ryong-hae, Bak Bong-nam, I Hong-il) or in spellings of its own
// (Lee, Park, Choi, Jung, Young). Hangul queries are read the North's way
// (translit_hangul.go). Both sides' words are parsed as one Hangul
// syllable — an initial, a vowel, a final — into a key in which the
// letters the systems write differently for one sound are one: g/k, d/t,
// b/p, r/l; ㅓ (o, eo) with ㅗ (o) and ㅡ (u, eu) with ㅜ (u, oo),
// as the North's unmarked spelling merges them; ㅕ (yo, yeo) with ㅛ
// (yo). Two words sharing a key are the same syllable (or could be), at
// simKorean. Second readings give weak keys, at simKoreanWeak: the
// South's initial-sound rule (Ri = Lee = Yi, Ryu = Yu, Ro = No) drops an
// initial r or n, "u" may be ㅓ (Sung, Jung, Chun, Hyun), "ch" may be ㅈ
// (Cho, Chung; the North and Revised Romanization write j).
//
// Many short English words parse as a Korean syllable ("son", "man"), so
// the keys are used only for a query that reads as a Korean name (two
// ordinary words or more, every one a syllable, one of them a Korean
// family name, not Li or Ma, more often Chinese; one word may be two
// syllables written together, and a lone word a family name and two
// syllables: koreanQuery) and only against the names of individuals:
// ships and companies named with Korean words differ by them ("Po Thong
// Gang", "Tae Dong Gang").

// simKorean is the similarity of two spellings of one Korean syllable by
// the rules each system follows.
const simKorean = 0.9

// koreanInitials are the initial consonants' spellings, longest first, and
// their key letters. The tense consonants (kk, tt, pp, ss, jj) are
// written alike in both systems and keep their own letters.
var koreanInitials = []struct{ s, k string }{
	{"tch", "JJ"}, {"kk", "KK"}, {"gg", "KK"}, {"kh", "K"}, {"tt", "TT"}, {"th", "T"}, {"dd", "TT"},
	{"pp", "PP"}, {"ph", "P"}, {"bb", "PP"}, {"ss", "SS"}, {"sh", "S"}, {"jj", "JJ"}, {"ch", "C"},
	{"k", "K"}, {"g", "K"}, {"t", "T"}, {"d", "T"}, {"p", "P"}, {"b", "P"}, {"s", "S"}, {"j", "J"},
	{"n", "N"}, {"r", "R"}, {"l", "R"}, {"m", "M"}, {"h", "H"},
}

// koreanVowels are the vowels' spellings, longest first, and their key
// letters.
var koreanVowels = []struct{ s, k string }{
	{"yeo", "yo"}, {"yae", "ye"}, {"wae", "we"}, {"yoo", "yu"},
	{"eo", "o"}, {"eu", "u"}, {"ae", "e"}, {"oe", "we"}, {"oi", "we"}, {"ui", "ui"}, {"wi", "wi"},
	{"wo", "wo"}, {"wa", "wa"}, {"we", "we"}, {"ya", "ya"}, {"yo", "yo"}, {"yu", "yu"}, {"ye", "ye"},
	{"oo", "u"}, {"ee", "i"},
	{"a", "a"}, {"e", "e"}, {"i", "i"}, {"o", "o"}, {"u", "u"},
}

// koreanFinals are the final consonants' spellings and key letters; a
// syllable may have none.
var koreanFinals = map[string]string{
	"": "", "ng": "G", "k": "K", "g": "K", "ck": "K", "n": "N", "t": "T", "d": "T", "l": "L", "r": "L",
	"m": "M", "p": "P", "b": "P",
}

// koreanSpellings are family-name spellings outside any system, read as
// the syllable they stand for.
var koreanSpellings = map[string]string{
	"park": "pak", "pack": "pak", "paik": "paek", "yi": "i", "rhee": "ri", "rhie": "ri",
	"oh": "o", "ahn": "an", "roh": "ro", "noh": "no", "suh": "seo", "hur": "heo", "huh": "heo",
	"young": "yeong", "yim": "im", "sohn": "son", "choy": "choe", "kwack": "kwak",
}

// koreanFamilies are family names, in the spellings the lists and
// customers use, that mark a name as Korean.
var koreanFamilies = setOf(
	"kim", "gim", "ri", "lee", "yi", "i", "rhee", "pak", "park", "bak", "choe", "choi", "chwe",
	"jong", "jeong", "chong", "chung", "jung", "cho", "jo", "kang", "gang", "yun", "yoon", "jang", "chang",
	"rim", "lim", "im", "yim", "han", "o", "oh", "so", "seo", "suh", "sin", "shin", "kwon", "gwon",
	"hwang", "an", "ahn", "song", "ryu", "yu", "yoo", "jon", "jeon", "chon", "chun", "hong", "ko", "go",
	"mun", "moon", "yang", "ryang", "son", "sohn", "pae", "bae", "paek", "baek", "paik", "ho", "heo",
	"hur", "no", "ro", "noh", "roh", "nam", "sim", "shim", "ha", "kwak", "gwak", "cha", "ju", "joo",
	"u", "woo", "ku", "koo", "gu", "won", "hyon", "hyun", "hyeon", "tak", "kil", "gil", "pyon", "byun",
	"byeon", "sok", "seok", "kye", "ok", "yom", "yeom", "myong", "myeong", "ryom",
)

// koreanKey is one key of a word read as a Korean syllable; weak when it
// comes from a second reading of the spelling (simKoreanWeak).
type koreanKey struct {
	k    string
	weak bool
}

// simKoreanWeak is the similarity of two spellings that are one syllable
// only by a second reading: "ch" as ㅈ (Cho, Chung, as the South and
// McCune-Reischauer write it; the North and Revised Romanization write
// j), "u" as ㅓ, an initial r or n the South drops.
const simKoreanWeak = 0.85

// parseKorean reads w as one Korean syllable: the key letters of its
// initial, its vowel and its final, and the vowel as written; ok is false
// when w is not one syllable.
func parseKorean(w string) (ini, vowel, fin, written string, ok bool) {
	if len(w) == 0 || len(w) > 7 || w == "li" {
		// Li is the pinyin of China's commonest family name; Korea's
		// 이/리 is Ri, Lee, Yi, I or Rhee.
		return "", "", "", "", false
	}
	if s, ok := koreanSpellings[w]; ok {
		w = s
	}
	rest := w
	for _, c := range koreanInitials {
		if strings.HasPrefix(w, c.s) {
			ini, rest = c.k, w[len(c.s):]
			break
		}
	}
	for _, v := range koreanVowels {
		if !strings.HasPrefix(rest, v.s) {
			continue
		}
		f, ok := koreanFinals[rest[len(v.s):]]
		if !ok {
			continue
		}
		if v.s == "e" && (f == "N" || f == "G") {
			// Chen, Shen, Deng, Peng, Cheng: pinyin, not a Korean
			// name's syllable (which writes eon, eong, ong).
			return "", "", "", "", false
		}
		return ini, v.k, f, v.s, true
	}
	return "", "", "", "", false
}

// koreanKeys appends to keys the keys of w read as one Korean syllable,
// at most four; none when w is not one.
func koreanKeys(keys []koreanKey, w string) []koreanKey {
	ini, vk, fin, written, ok := parseKorean(w)
	if !ok {
		return keys
	}
	keys = append(keys, koreanKey{ini + vk + fin, false})
	// The South drops an initial r before i and y and reads it n
	// elsewhere; an initial n drops before i and y too; "ch" is ㅈ in
	// its spellings and in McCune-Reischauer.
	ini2 := ini
	y := vk[0] == 'i' || vk[0] == 'y'
	switch {
	case (ini == "R" || ini == "N") && y:
		ini2 = ""
	case ini == "R":
		ini2 = "N"
	case ini == "C":
		ini2 = "J"
	}
	// A "u" is also ㅓ as the South's own spellings write it (Sung,
	// Jung, Chun, Hyun).
	vk2 := vk
	if written == "u" || written == "yu" {
		vk2 = strings.Replace(vk, "u", "o", 1)
	}
	if ini2 != ini {
		keys = append(keys, koreanKey{ini2 + vk + fin, true})
	}
	if vk2 != vk {
		keys = append(keys, koreanKey{ini + vk2 + fin, true})
		if ini2 != ini {
			keys = append(keys, koreanKey{ini2 + vk2 + fin, true})
		}
	}
	return keys
}

// A given name is often written as one word ("Jongun", "Yeongcheol",
// "Myongchol"), and a whole name sometimes too ("Kimjongun"). Such a word
// is cut into syllables wherever it parses as them (an "ng" may end one
// syllable or an "n" end it and a "g" start the next: "Jong-un" or
// "Jon-gun"), and each cut offers the adjacent listed words that spell
// its syllables in any romanisation (koreanJoinedCands).

// maxKoreanJoined is the longest word read as two Korean syllables.
const maxKoreanJoined = 12

// maxKoreanCombos bounds the pairs and triples of listed words one query
// word joined from Korean syllables is offered as.
const maxKoreanCombos = 64

// koreanQuery reports whether the query in s reads as a Korean name: two
// words or more, every one a syllable but one at most, which is two
// syllables written together, and one a family name; or a single word
// that is a family name and two syllables written together.
func (s *scratch) koreanQuery() bool {
	if len(s.qt) == 1 {
		return koreanLoneName(&s.qt[0].tok)
	}
	if len(s.qt) < 2 {
		return false
	}
	// The cheap tests first: most queries have a long word or no Korean
	// family name.
	family := false
	for i := range s.qt {
		t := &s.qt[i].tok
		if t.kind == kindLegal || t.kind == kindTitle || len(t.text) > maxKoreanJoined {
			return false
		}
		family = family || koreanFamilies[t.text]
	}
	if !family {
		return false
	}
	joined := false
	for i := range s.qt {
		w := s.qt[i].tok.text
		if _, _, _, _, ok := parseKorean(w); ok {
			continue
		}
		if joined || !koreanCuts(w, nil) {
			return false
		}
		joined = true
	}
	return true
}

// koreanLoneName reports whether t, a query's only word, is a Korean
// family name of two letters or more and two syllables written together
// ("Kimjongun", "Gimjeongeun").
func koreanLoneName(t *token) bool {
	w := t.text
	if t.kind != kindWord || len(w) < 6 || len(w) > maxKoreanJoined+4 {
		return false
	}
	for k := 2; k <= 5 && k+4 <= len(w); k++ {
		if koreanFamilies[w[:k]] && koreanCuts(w[k:], nil) {
			return true
		}
	}
	return false
}

// koreanCuts calls fn, when not nil, with each cut of w into two Korean
// syllables of two letters or more, and reports whether there is one. A
// syllable before the cut does not end in g (but ng), d, b or r: both
// systems write a final consonant k, t, p or l, and those letters start
// the next syllable ("Pablo" is no "Pab-lo").
func koreanCuts(w string, fn func(x, y string)) bool {
	if len(w) < 4 || len(w) > maxKoreanJoined {
		return false
	}
	found := false
	for k := 2; k+2 <= len(w); k++ {
		switch w[k-1] {
		case 'd', 'b', 'r':
			continue
		case 'g':
			if w[k-2] != 'n' {
				continue
			}
		}
		if _, _, _, _, ok := parseKorean(w[:k]); !ok {
			continue
		}
		if _, _, _, _, ok := parseKorean(w[k:]); !ok {
			continue
		}
		if fn == nil {
			return true
		}
		found = true
		fn(w[:k], w[k:])
	}
	return found
}

// koreanCands adds the vocabulary words that spell query word i's Korean
// syllable another way, and reports whether the word is one syllable.
func (ix *Index) koreanCands(s *scratch, i int) bool {
	qt := &s.qt[i]
	var buf [4]koreanKey
	keys := koreanKeys(buf[:0], qt.tok.text)
	for _, k := range keys {
		for _, m := range ix.korean[k.k] {
			if qt.exact && m.id == qt.id {
				continue
			}
			sim := float32(simKorean)
			if k.weak || m.weak {
				sim = simKoreanWeak
			}
			s.addCand(i, unitSingle, m.id, sim, howKoreanCode, 0)
		}
	}
	return len(keys) > 0
}

// koreanMates puts in dst the vocabulary words that spell the syllable w
// in any romanisation, each with its similarity: 1 for w itself.
func (ix *Index) koreanMates(dst []koreanSim, w string) []koreanSim {
	dst = dst[:0]
	var buf [4]koreanKey
	for _, k := range koreanKeys(buf[:0], w) {
		for _, m := range ix.korean[k.k] {
			sim := float32(simKorean)
			switch {
			case ix.vocab[m.id].canon == w:
				sim = 1
			case k.weak || m.weak:
				sim = simKoreanWeak
			}
			seen := false
			for e := range dst {
				if dst[e].id == m.id {
					dst[e].sim = max(dst[e].sim, sim)
					seen = true
					break
				}
			}
			if !seen {
				dst = append(dst, koreanSim{m.id, sim})
			}
		}
	}
	return dst
}

// koreanSim is a listed spelling of a syllable and its similarity.
type koreanSim struct {
	id  uint32
	sim float32
}

// koreanLevels are the similarities of koreanMates, best first: combos are
// offered in this order until maxKoreanCombos.
var koreanLevels = [...]float32{1, simKorean, simKoreanWeak}

// koreanJoinedCands offers query word i, written as Korean syllables, as
// the adjacent listed words that spell them: two (unitSplitFirst) for a
// given name written as one word, three (unitSplit3) for a whole name
// (koreanLoneName). A pair's similarity is simJoin times its weaker
// syllable's.
func (ix *Index) koreanJoinedCands(s *scratch, i int) {
	w := s.qt[i].tok.text
	budget := maxKoreanCombos
	if len(s.qt) > 1 {
		koreanCuts(w, func(x, y string) {
			s.kmA = ix.koreanMates(s.kmA, x)
			s.kmB = ix.koreanMates(s.kmB, y)
			ix.koreanPairs(s, i, unitSplitFirst, &budget)
		})
		return
	}
	for k := 2; k <= 5 && k+4 <= len(w); k++ {
		if !koreanFamilies[w[:k]] {
			continue
		}
		s.kmF = ix.koreanMates(s.kmF, w[:k])
		koreanCuts(w[k:], func(x, y string) {
			s.kmA = ix.koreanMates(s.kmA, x)
			s.kmB = ix.koreanMates(s.kmB, y)
			ix.koreanTriples(s, i, &budget)
		})
	}
}

// koreanResplitCands offers two adjacent query words that the analysis
// cut from one word (split 1 and 2) cut elsewhere into Korean syllables
// ("Jon Gun" for "Jong Un"), as two adjacent listed words (unitResplit).
func (ix *Index) koreanResplitCands(s *scratch) {
	budget := maxKoreanCombos
	for i := 0; i+1 < len(s.qt); i++ {
		a, b := &s.qt[i].tok, &s.qt[i+1].tok
		if a.split != 1 || b.split != 2 || len(a.text)+len(b.text) > maxKoreanJoined {
			continue
		}
		s.cb = append(append(s.cb[:0], a.text...), b.text...)
		koreanCuts(string(s.cb), func(x, y string) {
			if len(x) == len(a.text) {
				return // the analysis's own cut: its words have their candidates
			}
			s.kmA = ix.koreanMates(s.kmA, x)
			s.kmB = ix.koreanMates(s.kmB, y)
			ix.koreanPairs(s, i, unitResplit, &budget)
		})
	}
}

// koreanPairs adds the pairs of s.kmA and s.kmB as candidates of query
// unit (i, unit), best first, while budget lasts.
func (ix *Index) koreanPairs(s *scratch, i int, unit uint8, budget *int) {
	p := &ix.params
	for _, lv := range koreanLevels {
		for _, a := range s.kmA {
			for _, b := range s.kmB {
				if min(a.sim, b.sim) != lv {
					continue
				}
				if *budget <= 0 {
					return
				}
				*budget--
				how := howKoreanCode
				if lv == 1 {
					how = howJoinedCode
				}
				s.addCand(i, unit, a.id, p.simJoin*lv, how, b.id)
			}
		}
	}
}

// koreanTriples adds the triples of s.kmF, s.kmA and s.kmB as unitSplit3
// candidates of query word i, best first, while budget lasts.
func (ix *Index) koreanTriples(s *scratch, i int, budget *int) {
	p := &ix.params
	for _, lv := range koreanLevels {
		for _, f := range s.kmF {
			for _, a := range s.kmA {
				for _, b := range s.kmB {
					if min(f.sim, a.sim, b.sim) != lv {
						continue
					}
					if *budget <= 0 {
						return
					}
					*budget--
					how := howKoreanCode
					if lv == 1 {
						how = howJoinedCode
					}
					s.split3 = append(s.split3, [2]uint32{a.id, b.id})
					s.addCand(i, unitSplit3, f.id, p.simJoin*lv, how, uint32(len(s.split3)-1))
				}
			}
		}
	}
}

// koreanMate is a vocabulary word with a Korean key, and whether the key
// is one of its weak ones.
type koreanMate struct {
	id   uint32
	weak bool
}

// buildKorean indexes the listed words that read as one Korean syllable by
// their keys.
func (ix *Index) buildKorean() {
	ix.korean = map[string][]koreanMate{}
	var buf [4]koreanKey
	for id := range ix.vocab {
		v := &ix.vocab[id]
		if v.kind != kindWord {
			continue
		}
		for _, k := range koreanKeys(buf[:0], v.canon) {
			ix.korean[k.k] = append(ix.korean[k.k], koreanMate{uint32(id), k.weak})
		}
	}
}
