package matcher

import "unicode"

// Transliteration turns Cyrillic and Greek letters into Latin ones, so that a
// name typed in its own script meets the romanised form the lists carry.
//
// One romanisation system is enough here: the tables follow the common
// BGN/PCGN-like practice (х = kh, ц = ts, ш = sh, щ = shch, ю = yu, я = ya),
// and every other system's spelling of the same sound is absorbed later by the
// romanisation key (see romankey.go), which folds kh/h, shch/sch/sh, iy/y/i, ks/x,
// zh/j and so on. The tables therefore aim for the most frequent spelling, not
// for reversibility.

// cyrillic maps lower-case Cyrillic letters (Russian, Ukrainian, Belarusian,
// Serbian/Macedonian, Kazakh) to Latin.
var cyrillic = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "yo",
	'ж': "zh", 'з': "z", 'и': "i", 'й': "y", 'к': "k", 'л': "l", 'м': "m",
	'н': "n", 'о': "o", 'п': "p", 'р': "r", 'с': "s", 'т': "t", 'у': "u",
	'ф': "f", 'х': "kh", 'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "shch",
	'ъ': "", 'ы': "y", 'ь': "", 'э': "e", 'ю': "yu", 'я': "ya",
	// Ukrainian and Belarusian.
	'є': "ye", 'і': "i", 'ї': "yi", 'ґ': "g", 'ў': "u",
	// Serbian and Macedonian.
	'ђ': "dj", 'ј': "j", 'љ': "lj", 'њ': "nj", 'ћ': "c", 'џ': "dz", 'ѓ': "gj", 'ќ': "kj", 'ѕ': "dz",
	// Kazakh, Kyrgyz, Tatar, Bashkir and others.
	'ә': "a", 'ғ': "gh", 'қ': "q", 'ң': "ng", 'ө': "o", 'ұ': "u", 'ү': "u", 'һ': "h", 'ҳ': "h", 'ӣ': "i", 'ӯ': "u", 'ҷ': "j",
}

// ukrainianMarkers are letters that only Ukrainian or Belarusian use; a word
// holding one reads г as h (Ukrainian "Гліб" is Hlib, not Glib).
var ukrainianMarkers = map[rune]bool{'є': true, 'і': true, 'ї': true, 'ґ': true, 'ў': true}

// greek maps lower-case unaccented Greek letters to Latin (ELOT 743-like).
var greek = map[rune]string{
	'α': "a", 'β': "v", 'γ': "g", 'δ': "d", 'ε': "e", 'ζ': "z", 'η': "i",
	'θ': "th", 'ι': "i", 'κ': "k", 'λ': "l", 'μ': "m", 'ν': "n", 'ξ': "x",
	'ο': "o", 'π': "p", 'ρ': "r", 'σ': "s", 'ς': "s", 'τ': "t", 'υ': "y",
	'φ': "f", 'χ': "ch", 'ψ': "ps", 'ω': "o",
}

// greekDigraphs are the letter pairs Greek romanisation writes differently
// from their parts ("ου" is u, "μπ" at the start of a word is b).
var greekDigraphs = map[[2]rune]string{
	{'ο', 'υ'}: "ou", {'α', 'υ'}: "av", {'ε', 'υ'}: "ev", {'γ', 'γ'}: "ng", {'γ', 'κ'}: "gk",
}

// homoglyphs maps Cyrillic and Greek letters that look like Latin ones to
// those Latin letters. It is used inside a word that mixes scripts, where a
// Cyrillic "а" among Latin letters is a look-alike, not a transliteration.
var homoglyphs = map[rune]rune{
	'а': 'a', 'в': 'b', 'е': 'e', 'ё': 'e', 'к': 'k', 'м': 'm', 'н': 'h', 'о': 'o',
	'р': 'p', 'с': 'c', 'т': 't', 'у': 'y', 'х': 'x', 'і': 'i', 'ј': 'j', 'ѕ': 's',
	'ԁ': 'd', 'ԛ': 'q', 'ԝ': 'w', 'ү': 'y', 'һ': 'h', 'ѵ': 'v',
	'α': 'a', 'β': 'b', 'ε': 'e', 'η': 'n', 'ι': 'i', 'κ': 'k', 'ν': 'v', 'ο': 'o',
	'ρ': 'p', 'τ': 't', 'υ': 'u', 'χ': 'x', 'ζ': 'z', 'μ': 'm',
}

// specialLatin are Latin letters that Unicode decomposition leaves alone but
// that have a plain ASCII spelling.
var specialLatin = map[rune]string{
	'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'đ': "d", 'ð': "d", 'ł': "l",
	'ı': "i", 'þ': "th", 'ŀ': "l", 'ħ': "h", 'ŋ': "ng", 'ſ': "s", 'ĸ': "k",
	'ə': "e", 'ɑ': "a", 'ɡ': "g", 'ƒ': "f", 'ȷ': "j",
}

func isCyrillic(r rune) bool { return r >= 0x400 && r <= 0x52F }
func isGreek(r rune) bool {
	return (r >= 0x370 && r <= 0x3FF) || (r >= 0x1F00 && r <= 0x1FFF)
}

// script of a letter, as far as folding cares.
type script uint8

const (
	scriptOther script = iota
	scriptLatin
	scriptCyrillic
	scriptGreek
)

func scriptOf(r rune) script {
	switch {
	case r < 0x80:
		if ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') {
			return scriptLatin
		}
		return scriptOther
	case isCyrillic(r):
		return scriptCyrillic
	case isGreek(r):
		return scriptGreek
	case unicode.Is(unicode.Latin, r):
		return scriptLatin
	}
	return otherScript(r)
}
