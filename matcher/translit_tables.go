package matcher

import (
	"strings"
	"unicode"
)

// Table-driven romanisations, each the simplest common system for names:
// Japanese kana in Hepburn, Georgian in the national system, Armenian and
// Devanagari (Hindi) close to BGN/PCGN, Ethiopic by its consonant and
// vowel order. Thai, whose letters are not written in the order they are
// read, is left unread.

// kana maps hiragana to Hepburn; katakana is read as hiragana.
var kana = map[rune]string{
	'あ': "a", 'い': "i", 'う': "u", 'え': "e", 'お': "o",
	'か': "ka", 'き': "ki", 'く': "ku", 'け': "ke", 'こ': "ko",
	'が': "ga", 'ぎ': "gi", 'ぐ': "gu", 'げ': "ge", 'ご': "go",
	'さ': "sa", 'し': "shi", 'す': "su", 'せ': "se", 'そ': "so",
	'ざ': "za", 'じ': "ji", 'ず': "zu", 'ぜ': "ze", 'ぞ': "zo",
	'た': "ta", 'ち': "chi", 'つ': "tsu", 'て': "te", 'と': "to",
	'だ': "da", 'ぢ': "ji", 'づ': "zu", 'で': "de", 'ど': "do",
	'な': "na", 'に': "ni", 'ぬ': "nu", 'ね': "ne", 'の': "no",
	'は': "ha", 'ひ': "hi", 'ふ': "fu", 'へ': "he", 'ほ': "ho",
	'ば': "ba", 'び': "bi", 'ぶ': "bu", 'べ': "be", 'ぼ': "bo",
	'ぱ': "pa", 'ぴ': "pi", 'ぷ': "pu", 'ぺ': "pe", 'ぽ': "po",
	'ま': "ma", 'み': "mi", 'む': "mu", 'め': "me", 'も': "mo",
	'や': "ya", 'ゆ': "yu", 'よ': "yo",
	'ら': "ra", 'り': "ri", 'る': "ru", 'れ': "re", 'ろ': "ro",
	'わ': "wa", 'ゐ': "i", 'ゑ': "e", 'を': "o", 'ん': "n", 'ゔ': "vu",
	'ぁ': "a", 'ぃ': "i", 'ぅ': "u", 'ぇ': "e", 'ぉ': "o", 'ゎ': "wa",
	'ゃ': "ya", 'ゅ': "yu", 'ょ': "yo", 'っ': "", 'ー': "",
	// Katakana that have no hiragana.
	'ヷ': "va", 'ヸ': "vi", 'ヹ': "ve", 'ヺ': "vo", 'ヵ': "ka", 'ヶ': "ke",
}

// kanaSyllable returns r's Hepburn reading, katakana as hiragana.
func kanaSyllable(r rune) (string, bool) {
	if r >= 0x30A1 && r <= 0x30F6 {
		r -= 0x60
	}
	t, ok := kana[r]
	return t, ok
}

func isSmallKana(r rune) bool {
	if r >= 0x30A1 && r <= 0x30F6 {
		r -= 0x60
	}
	switch r {
	case 'ぁ', 'ぃ', 'ぅ', 'ぇ', 'ぉ', 'ゃ', 'ゅ', 'ょ', 'ゎ':
		return true
	}
	return false
}

// appendKana appends the reading of the kana at rs[0], with a small kana
// after it (きゃ kya, しゃ sha, ファ fa), and the sokuon (っ) doubling the
// next consonant.
func appendKana(out []byte, rs []rune) ([]byte, int) {
	t, _ := kanaSyllable(rs[0])
	if t == "u" && len(out) > 0 && (out[len(out)-1] == 'o' || out[len(out)-1] == 'u') && !(len(rs) > 1 && isSmallKana(rs[1])) {
		return out, 1 // a long o or u is written once (Kyoto, Tokyo)
	}
	if rs[0] == 'っ' || rs[0] == 'ッ' {
		if len(rs) > 1 {
			if nx, ok := kanaSyllable(rs[1]); ok && nx != "" && !strings.ContainsAny(nx[:1], "aeiou") {
				if strings.HasPrefix(nx, "ch") {
					return append(out, 't'), 1
				}
				return append(out, nx[0]), 1
			}
		}
		return out, 1
	}
	if len(rs) > 1 && isSmallKana(rs[1]) && len(t) > 1 {
		small, _ := kanaSyllable(rs[1])
		base := t[:len(t)-1]
		switch {
		case small[0] == 'y' && t[len(t)-1] == 'i' && (strings.HasSuffix(base, "sh") || strings.HasSuffix(base, "ch") || base == "j"):
			return append(append(out, base...), small[1:]...), 2
		case small[0] == 'y' && t[len(t)-1] == 'i':
			return append(append(out, base...), small...), 2
		case small[0] != 'y':
			return append(append(out, base...), small...), 2
		}
	}
	if len(rs) > 1 && isSmallKana(rs[1]) && t == "u" {
		small, _ := kanaSyllable(rs[1])
		return append(append(out, 'w'), small...), 2 // ウィ wi
	}
	return append(out, t...), 1
}

// georgianLetter is the national romanisation of a Mkhedruli letter.
func georgianLetter(r rune) string {
	if r < 0x10D0 || r > 0x10F6 {
		return ""
	}
	return georgian[r-0x10D0]
}

var georgian = [...]string{
	"a", "b", "g", "d", "e", "v", "z", "t", "i", "k", "l", "m", "n", "o", "p", "zh",
	"r", "s", "t", "u", "p", "k", "gh", "q", "sh", "ch", "ts", "dz", "ts", "ch", "kh", "j",
	"h", "e", "y", "w", "q", "o", "f",
}

// armenian is the romanisation of the lower-case Armenian letters from
// ա (U+0561) to և (U+0587).
var armenian = [...]string{
	"a", "b", "g", "d", "e", "z", "e", "y", "t", "zh", "i", "l", "kh", "ts", "k", "h",
	"dz", "gh", "ch", "m", "y", "n", "sh", "o", "ch", "p", "j", "r", "s", "v", "t", "r",
	"ts", "w", "p", "k", "o", "f", "ev",
}

func armenianLetter(r rune) string {
	if r < 0x561 || r > 0x587 {
		return ""
	}
	return armenian[r-0x561]
}

// appendArmenian appends the reading of the Armenian letter at rs[0]:
// ու is u, and a word's first ե and ո are ye and vo.
func appendArmenian(out []byte, rs []rune) ([]byte, int) {
	r := unicode.ToLower(rs[0])
	switch {
	case r == 'ո' && len(rs) > 1 && (rs[1] == 'ւ' || rs[1] == 'Ւ'):
		return append(out, 'u'), 2
	case r == 'ե' && len(out) == 0:
		return append(out, "ye"...), 1
	case r == 'ո' && len(out) == 0:
		return append(out, "vo"...), 1
	case r == 'և' && len(out) == 0:
		return append(out, "yev"...), 1
	}
	return append(out, armenianLetter(r)...), 1
}

// devanagari maps consonants and independent vowels to Latin (consonants
// without their inherent a), and vowel signs to their vowels.
var devanagari = map[rune]string{
	'क': "k", 'ख': "kh", 'ग': "g", 'घ': "gh", 'ङ': "n",
	'च': "ch", 'छ': "chh", 'ज': "j", 'झ': "jh", 'ञ': "n",
	'ट': "t", 'ठ': "th", 'ड': "d", 'ढ': "dh", 'ण': "n",
	'त': "t", 'थ': "th", 'द': "d", 'ध': "dh", 'न': "n",
	'प': "p", 'फ': "ph", 'ब': "b", 'भ': "bh", 'म': "m",
	'य': "y", 'र': "r", 'ल': "l", 'ळ': "l", 'व': "v",
	'श': "sh", 'ष': "sh", 'स': "s", 'ह': "h",
	'\u0958': "q", '\u0959': "kh", '\u095a': "gh", '\u095b': "z", '\u095c': "r", '\u095d': "rh", '\u095e': "f", '\u095f': "y",
	'अ': "a", 'आ': "a", 'इ': "i", 'ई': "i", 'उ': "u", 'ऊ': "u", 'ऋ': "ri",
	'ए': "e", 'ऐ': "ai", 'ओ': "o", 'औ': "au", 'ऑ': "o", 'ऍ': "e",
	// Vowel signs, and signs for a nasal or an h.
	'ा': "a", 'ि': "i", 'ी': "i", 'ु': "u", 'ू': "u", 'ृ': "ri",
	'े': "e", 'ै': "ai", 'ो': "o", 'ौ': "au", 'ॉ': "o", 'ॅ': "e",
	'ं': "n", 'ँ': "n", 'ः': "h",
}

func devanagariLetter(r rune) (string, bool) {
	t, ok := devanagari[r]
	return t, ok
}

func isDevanagariConsonant(r rune) bool {
	return r >= 'क' && r <= 'ह' || r >= 0x958 && r <= 0x95f || r == 'ळ'
}

func isDevanagariVowelSign(r rune) bool {
	return r >= 'ा' && r <= 'ौ' || r == 'ॅ' || r == 'ॉ'
}

// appendDevanagari appends the reading of the letter at rs[0]: a
// consonant with its vowel sign, or its inherent a unless a virama
// follows or it ends the word (Hindi drops it there: भारत is Bharat).
func appendDevanagari(out []byte, rs []rune) ([]byte, int) {
	r := rs[0]
	t, _ := devanagariLetter(r)
	out = append(out, t...)
	if !isDevanagariConsonant(r) {
		return out, 1
	}
	n := 1
	if n < len(rs) && rs[n] == '़' { // nukta
		n++
	}
	switch {
	case n < len(rs) && rs[n] == '्': // virama
		return out, n + 1
	case n < len(rs) && isDevanagariVowelSign(rs[n]):
		v, _ := devanagariLetter(rs[n])
		return append(out, v...), n + 1
	case n >= len(rs):
		return out, n
	}
	return append(out, 'a'), n
}

// ethiopicConsonants are the consonants of the Ethiopic syllabary's rows
// from U+1200, eight code points a row; the vowel is the column.
var ethiopicConsonants = [...]string{
	"h", "l", "h", "m", "s", "r", "s", "sh", "q", "q", "q", "q", "b", "v", "t", "ch",
	"h", "h", "n", "ny", "", "k", "k", "kh", "kh", "w", "", "z", "zh", "y", "d", "d",
	"j", "g", "g", "g", "t", "ch", "p", "ts", "ts", "f", "p",
}

var ethiopicVowels = [8]string{"e", "u", "i", "a", "e", "", "o", "wa"}

// ethiopicSyllable returns the reading of an Ethiopic syllable.
func ethiopicSyllable(r rune) (string, bool) {
	if r < 0x1200 || r >= 0x1200+8*rune(len(ethiopicConsonants)) {
		return "", false
	}
	k := r - 0x1200
	c, v := ethiopicConsonants[k/8], ethiopicVowels[k%8]
	if c == "" && v == "" {
		return "i", true // the sixth order of አ and ዐ
	}
	if c == "" && k%8 == 0 { // the first order of አ and ዐ is a
		v = "a"
	}
	return c + v, true
}
