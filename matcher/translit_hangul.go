package matcher

import "strings"

// Korean Hangul is read syllable by syllable, each syllable a word, the
// way the lists write Korean names: North Korean ones, most of the listed,
// in the McCune-Reischauer style without its marks that the DPRK itself
// uses (Kim Jong Un, Choe Ryong Hae, Pak Pong Nam, Ri Hong Il): initial
// ㄱ k, ㄷ t, ㅂ p, ㅈ j, ㄹ r, ㅓ o, ㅡ u. Two syllables written as one
// listed word (Ryonbong, Kwangson) are met by joinCands. Names listed in
// the South's Revised Romanization (g, d, b, eo, eu) or its own spellings
// (Lee, Park, Choi) are met by korean.go, which reads both systems'
// syllables alike.

var (
	hangulInitials = [19]string{"k", "kk", "n", "t", "tt", "r", "m", "p", "pp", "s", "ss", "", "j", "jj", "ch", "kh", "th", "ph", "h"}
	hangulVowels   = [21]string{"a", "ae", "ya", "yae", "o", "e", "yo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we", "wi", "yu", "u", "ui", "i"}
	hangulFinals   = [28]string{"", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p", "p", "t", "t", "ng", "t", "t", "k", "t", "p", "t"}
)

// hangulWords are Korean business words and their English, as listed
// North Korean companies are named ("Korea Ryonbong General Corporation"
// is 조선련봉총회사).
var hangulWords = map[string]string{
	"조선":   "korea",
	"총회사":  "general corporation",
	"주식회사": "company limited",
	"회사":   "company",
	"무역":   "trading",
	"은행":   "bank",
	"해운":   "shipping",
	"개발":   "development",
	"공업":   "industry",
	"연합":   "united",
}

// maxHangulWord is the most syllables a hangulWords key has.
const maxHangulWord = 4

// appendHangul appends the reading of a Hangul syllable; first is set for
// the first syllable of a name, where 이 and 리 are the surname Ri, and
// voiced after a vowel or n, m, ng or l inside a word, where an initial
// k, t or p sounds g, d or b (Ryonbong, Tangun).
func appendHangul(out []byte, r rune, first, voiced bool) []byte {
	s := int(r - 0xAC00)
	if s < 0 || s >= 11172 {
		return out
	}
	l, v, t := s/588, (s%588)/28, s%28
	if first && l == 11 && v == 20 && t == 0 { // 이
		return append(out, "ri"...)
	}
	ini := hangulInitials[l]
	if voiced {
		switch ini {
		case "k":
			ini = "g"
		case "t":
			ini = "d"
		case "p":
			ini = "b"
		}
	}
	out = append(out, ini...)
	out = append(out, hangulVowels[v]...)
	return append(out, hangulFinals[t]...)
}

// voicesNext reports a syllable after which an initial k, t or p is
// voiced: one ending in a vowel, n, m, ng or l.
func voicesNext(r rune) bool {
	s := int(r - 0xAC00)
	if s < 0 || s >= 11172 {
		return false
	}
	switch hangulFinals[s%28] {
	case "", "n", "m", "ng", "l":
		return true
	}
	return false
}

// splitHangul cuts the run of Hangul syllables at the start of rs into
// words: business words translated, each other syllable its reading. It
// returns how many runes it read.
//
// A company's name (one holding a business word) is read with the voicing
// inside words that the lists write in its joined words (Ryonbong); a
// person's is not, as the lists write given names syllable by syllable
// (Kim Kyong Hak, Pak Pong Nam).
func (sp *splitter) splitHangul(rs []rune, paren bool) int {
	n := 0
	for n < len(rs) && otherScript(rs[n]) == scriptHangul {
		n++
	}
	type cut struct{ at, l int }
	var cuts []cut
	for i := 0; i < n; {
		l := hangulWordAt(rs[i:n])
		if l > 0 {
			cuts = append(cuts, cut{i, l})
			i += l
			continue
		}
		i++
	}
	company := len(cuts) > 0
	var buf []byte
	for i := 0; i < n; {
		if len(cuts) > 0 && cuts[0].at == i {
			for _, w := range strings.Fields(hangulWords[string(rs[i:i+cuts[0].l])]) {
				sp.emitText(w, paren)
			}
			i += cuts[0].l
			cuts = cuts[1:]
			continue
		}
		voiced := company && i > 0 && voicesNext(rs[i-1]) && !(len(cuts) > 0 && cuts[0].at == i)
		if i > 0 && hangulWordEnds(rs[:i]) {
			voiced = false
		}
		buf = appendHangul(buf[:0], rs[i], i == 0, voiced)
		sp.emitText(string(buf), paren)
		i++
	}
	return n
}

// hangulWordAt returns the length of the business word rs starts with,
// longest first, or 0.
func hangulWordAt(rs []rune) int {
	for l := min(maxHangulWord, len(rs)); l >= 2; l-- {
		if _, ok := hangulWords[string(rs[:l])]; ok {
			return l
		}
	}
	return 0
}

// hangulWordEnds reports whether rs ends with a business word, after
// which a syllable starts a new word.
func hangulWordEnds(rs []rune) bool {
	for l := 2; l <= min(maxHangulWord, len(rs)); l++ {
		if _, ok := hangulWords[string(rs[len(rs)-l:])]; ok {
			return true
		}
	}
	return false
}
