package matcher

// Scripts other than Latin, Cyrillic and Greek are read into Latin here,
// each by the romanisation the lists' own spellings follow most often:
//
//   - Arabic, Persian and Hebrew are written without short vowels. A word
//     in them gets a plain Latin spelling (for the ordinary look-ups) and
//     keeps its letters, which are compared with listed words'
//     romanisation keys, short vowels free (translit_abjad.go, abjad.go).
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
	scriptThai
	scriptEthiopic
)

// otherScript returns the script of a letter outside Latin, Cyrillic and
// Greek, or scriptOther when normalisation does not read it.
func otherScript(r rune) script {
	switch {
	case r < 0x590:
		return scriptOther
	case r < 0x600:
		if _, ok := hebrewLetters[r]; ok {
			return scriptHebrew
		}
	case r < 0x700:
		if _, ok := arabicLetters[r]; ok {
			return scriptArabic
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
	}
	return out, 1
}
