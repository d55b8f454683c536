package matcher

import (
	"unicode"
	"unicode/utf8"
)

// Scripts other than Latin, Cyrillic and Greek are read into Latin here,
// each by the romanisation the lists' own spellings follow most often:
//
//   - Arabic, Persian and Hebrew are written without short vowels. A word
//     in them gets a plain Latin spelling (for the ordinary look-ups) and
//     keeps its letters, which are compared with listed words'
//     romanisation keys, short vowels free (translit_abjad.go, abjad.go).
//   - Chinese characters are read in pinyin, each character a word of its
//     own; common business words are translated (translit_han.go).
//   - Korean Hangul is read syllable by syllable, as the lists spell North
//     Korean names (translit_hangul.go).
//   - Japanese kana (Hepburn), Georgian, Armenian, Devanagari and Ethiopic
//     by tables (translit_tables.go). Thai is not read.
//
// A letter of these scripts has its own script value, so UnreadScripts
// (readable.go) counts it as read.

// Scripts beyond Latin, Cyrillic and Greek that normalisation reads.
const (
	scriptArabic script = scriptGreek + 1 + iota
	scriptHebrew
	scriptHan
	scriptHangul
	scriptKana
	scriptGeorgian
	scriptArmenian
	scriptDevanagari
	scriptEthiopic
)

// otherScript returns the script of a letter outside Latin, Cyrillic and
// Greek, or scriptOther when normalisation does not read it.
func otherScript(r rune) script {
	if r >= 0x531 && r <= 0x556 || r >= 0x1C90 && r <= 0x1CBF {
		r = unicode.ToLower(r) // Armenian and Georgian capitals
	}
	switch {
	case r < 0x530:
		return scriptOther
	case r < 0x590:
		if armenianLetter(r) != "" {
			return scriptArmenian
		}
	case r < 0x600:
		if _, ok := hebrewLetters[r]; ok {
			return scriptHebrew
		}
	case r < 0x700:
		if _, ok := arabicLetters[r]; ok {
			return scriptArabic
		}
	case r >= 0x900 && r < 0x980:
		if _, ok := devanagariLetter(r); ok {
			return scriptDevanagari
		}
	case r >= 0x10D0 && r < 0x1100:
		if georgianLetter(r) != "" {
			return scriptGeorgian
		}
	case r >= 0x1200 && r < 0x1380:
		if _, ok := ethiopicSyllable(r); ok {
			return scriptEthiopic
		}
	case r >= 0x3040 && r < 0x3100:
		if _, ok := kanaSyllable(r); ok {
			return scriptKana
		}
	case r >= 0xAC00 && r < 0xD7A4:
		return scriptHangul
	case r >= 0x3400 && r < 0xA000 || r >= 0xF900 && r < 0xFB00 || r >= 0x20000 && r < 0x32000:
		if hanKnown(r) {
			return scriptHan
		}
	}
	return scriptOther
}

// ownWordScript reports letters that make a word each (a Chinese
// character, a Hangul syllable): the lists write their readings as
// separate words or joined in pairs, which the matcher pairs up
// (joinCands).
func ownWordScript(r rune) bool {
	if r < 0x3400 {
		return false
	}
	s := otherScript(r)
	return s == scriptHan || s == scriptHangul
}

// appendScript appends the Latin reading of rs[0], a letter of script s
// (otherScript), looking at the letters after it where the script needs
// them; it returns how many letters it read (at least one).
func appendScript(out []byte, rs []rune, s script) ([]byte, int) {
	switch s {
	case scriptArabic, scriptHebrew:
		return append(out, abjadLatin(rs[0])...), 1
	case scriptKana:
		return appendKana(out, rs)
	case scriptGeorgian:
		return append(out, georgianLetter(unicode.ToLower(rs[0]))...), 1
	case scriptArmenian:
		return appendArmenian(out, rs)
	case scriptDevanagari:
		return appendDevanagari(out, rs)
	case scriptEthiopic:
		t, _ := ethiopicSyllable(rs[0])
		return append(out, t...), 1
	case scriptHan:
		return append(out, hanReading(rs[0])...), 1
	case scriptHangul:
		return appendHangul(out, rs[0], false, false), 1
	}
	return out, 1
}

// splitOwnWords cuts the run of Chinese characters and Hangul syllables
// that starts at s[i] into words, and returns where the run ends.
func (sp *splitter) splitOwnWords(s string, i int, paren bool) int {
	rs := sp.own[:0]
	end := i
	for end < len(s) {
		r, n := utf8.DecodeRuneInString(s[end:])
		if !ownWordScript(r) {
			break
		}
		rs = append(rs, r)
		end += n
	}
	sp.own = rs
	for k := 0; k < len(rs); {
		if otherScript(rs[k]) == scriptHan {
			k += sp.splitHan(rs[k:], paren)
		} else {
			k += sp.splitHangul(rs[k:], paren)
		}
	}
	return end
}
