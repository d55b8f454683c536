package matcher

import "strings"

// Arabic, Persian and Hebrew write consonants and long vowels only, so a
// word in them cannot be spelt into the one Latin form the list has: بشار
// is Bashar, Beshar or Bachar, and nothing in the letters says which. Each
// letter therefore stands for the key letters (romankey.go) that romanisations
// write for it, and the list's short vowels are free (abjad.go): بشار is
// b, sh, a, r with any vowels between.

// abjadLetter is how a letter of a consonantal script is romanised.
type abjadLetter struct {
	// latin is the letter's plain spelling, for the word's text.
	latin string
	// keys are the spellings the lists use, as romanisation-key letters
	// (romankey.go: "S" is sh, "J" is j, zh or dj, "h" is also kh, "k" also q,
	// "v" is w, "i" is y).
	keys []string
	// optional letters may go unwritten: ayin, hamza, aleph, final -h.
	optional bool
}

var anyVowel = []string{"a", "e", "i", "o", "u"}

// arabicLetters covers Arabic and the letters Persian and Urdu add.
var arabicLetters = map[rune]abjadLetter{
	'ا': {"a", []string{"a", "e", "o"}, false},
	'آ': {"a", []string{"a"}, false},
	'أ': {"a", anyVowel, true},
	'إ': {"i", []string{"i", "e"}, true},
	'ٱ': {"a", anyVowel, true},
	'ء': {"", anyVowel, true},
	'ؤ': {"u", anyVowel, true},
	'ئ': {"i", anyVowel, true},
	'ب': {"b", []string{"b"}, false},
	'ت': {"t", []string{"t"}, false},
	'ث': {"th", []string{"t", "s"}, false},
	'ج': {"j", []string{"J", "g"}, false},
	'ح': {"h", []string{"h"}, false},
	'خ': {"kh", []string{"h", "k"}, false},
	'د': {"d", []string{"d"}, false},
	'ذ': {"dh", []string{"d", "z"}, false},
	'ر': {"r", []string{"r"}, false},
	'ز': {"z", []string{"z"}, false},
	'س': {"s", []string{"s"}, false},
	'ش': {"sh", []string{"S"}, false},
	'ص': {"s", []string{"s"}, false},
	'ض': {"d", []string{"d", "z"}, false},
	'ط': {"t", []string{"t"}, false},
	'ظ': {"z", []string{"z", "d"}, false},
	'ع': {"", anyVowel, true},
	'غ': {"gh", []string{"g"}, false},
	'ف': {"f", []string{"f", "v"}, false},
	'ق': {"q", []string{"k", "g"}, false},
	'ك': {"k", []string{"k"}, false},
	'ک': {"k", []string{"k"}, false},
	'ل': {"l", []string{"l"}, false},
	'م': {"m", []string{"m"}, false},
	'ن': {"n", []string{"n"}, false},
	'ه': {"h", []string{"h"}, true},
	'ة': {"a", []string{"a", "e", "at", "et", "ah", "eh"}, true},
	'و': {"w", []string{"v", "u", "o"}, false},
	'ي': {"y", []string{"i", "e"}, false},
	'ی': {"y", []string{"i", "e"}, false},
	'ى': {"a", []string{"a", "i", "e"}, false},
	'ے': {"e", []string{"e", "a", "i"}, false},
	'پ': {"p", []string{"p"}, false},
	'چ': {"ch", []string{"C"}, false},
	'ژ': {"zh", []string{"J"}, false},
	'گ': {"g", []string{"g"}, false},
	'ڤ': {"v", []string{"v"}, false},
	'ٹ': {"t", []string{"t"}, false},
	'ڈ': {"d", []string{"d"}, false},
	'ڑ': {"r", []string{"r"}, false},
	'ں': {"n", []string{"n"}, true},
	'ھ': {"h", []string{"h"}, true},
	'ہ': {"h", []string{"h", "a", "e"}, true},
	'ـ': {"", nil, true}, // tatweel, a stretch of the line
}

// hebrewLetters covers the Hebrew alphabet with its final forms.
var hebrewLetters = map[rune]abjadLetter{
	'א': {"", anyVowel, true},
	'ב': {"b", []string{"b", "v"}, false},
	'ג': {"g", []string{"g", "J"}, false},
	'ד': {"d", []string{"d"}, false},
	'ה': {"h", []string{"h", "a", "e"}, true},
	'ו': {"v", []string{"v", "o", "u"}, false},
	'ז': {"z", []string{"z"}, false},
	'ח': {"ch", []string{"h", "C", "k"}, false},
	'ט': {"t", []string{"t"}, false},
	'י': {"y", []string{"i", "e"}, false},
	'כ': {"k", []string{"k", "h"}, false},
	'ך': {"kh", []string{"h", "k"}, false},
	'ל': {"l", []string{"l"}, false},
	'מ': {"m", []string{"m"}, false},
	'ם': {"m", []string{"m"}, false},
	'נ': {"n", []string{"n"}, false},
	'ן': {"n", []string{"n"}, false},
	'ס': {"s", []string{"s"}, false},
	'ע': {"", anyVowel, true},
	'פ': {"p", []string{"p", "f", "v"}, false},
	'ף': {"f", []string{"f", "p", "v"}, false},
	'צ': {"ts", []string{"ts", "z", "s", "C"}, false},
	'ץ': {"ts", []string{"ts", "z", "s", "C"}, false},
	'ק': {"k", []string{"k"}, false},
	'ר': {"r", []string{"r"}, false},
	'ש': {"sh", []string{"S", "s"}, false},
	'ת': {"t", []string{"t", "s"}, false},
}

// abjadOf returns how r is romanised, when it is a letter of a
// consonantal script.
func abjadOf(r rune) (abjadLetter, bool) {
	if r >= 0x600 {
		l, ok := arabicLetters[r]
		return l, ok
	}
	l, ok := hebrewLetters[r]
	return l, ok
}

// abjadLatin is r's plain Latin spelling.
func abjadLatin(r rune) string {
	l, _ := abjadOf(r)
	return l.latin
}

// isAbjadWord reports a word whose first letter is Arabic or Hebrew.
func isAbjadWord(rs []rune) bool {
	if len(rs) == 0 || rs[0] < 0x5D0 || rs[0] > 0x6FF {
		return false
	}
	_, ok := abjadOf(rs[0])
	return ok
}

// emitAbjad folds sp.runes, a word in Arabic or Hebrew letters, into one
// word or two: the Arabic article "al-" is a word of its own, as the
// lists write it (al-Assad). Vowel marks, where written, are dropped.
func (sp *splitter) emitAbjad(paren, hyphen bool) {
	rs := sp.runes
	letters := rs[:0:0]
	for _, r := range rs {
		if _, ok := abjadOf(r); ok && r != 'ـ' {
			letters = append(letters, r)
		}
	}
	if len(letters) == 0 {
		return
	}
	// الله (Allah) is one word, not al- and a rest.
	if len(letters) >= 4 && letters[0] == 'ا' && letters[1] == 'ل' && !(len(letters) == 4 && letters[2] == 'ل' && letters[3] == 'ه') {
		sp.pushAbjad([]rune{'ا', 'ل'}, "al", paren, true)
		letters = letters[2:]
	}
	var b strings.Builder
	for k, r := range letters {
		l, _ := abjadOf(r)
		switch {
		case r == 'و' && k > 0:
			b.WriteString("u") // as a vowel, which it mostly is inside a word
		case r == 'ו' && k > 0:
			b.WriteString("o")
		case (r == 'ي' || r == 'ی' || r == 'י') && k > 0:
			b.WriteString("i")
		case k == 0 && l.latin == "":
			b.WriteString("a") // an initial ayin or aleph carries a vowel
		default:
			b.WriteString(l.latin)
		}
	}
	sp.pushAbjad(letters, b.String(), paren, hyphen)
}

// pushAbjad appends an abjad word with its Latin text and its letters.
func (sp *splitter) pushAbjad(letters []rune, text string, paren, hyphen bool) {
	if text == "" {
		// Letters that are all optional (an ayin alone): keep a trace,
		// so the word is not read as nothing at all.
		text = "a"
	}
	sp.words = append(sp.words, rawWord{text: text, paren: paren, hyphen: hyphen, abjad: string(letters)})
	sp.spans = append(sp.spans, -1)
}
