package matcher

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalisation cuts a name into words and folds each word to lower-case
// Latin: case, diacritics (NFKD with marks dropped), Cyrillic and Greek
// (transliterated), look-alike letters from other scripts and look-alike
// digits. Apostrophes join (O'Brien = OBrien, Sa'id = Said), a possessive
// "'s" goes (Kaspersky’s Laboratory = Kaspersky Laboratory), and every other
// punctuation mark, hyphen or space separates words.

// rawWord is one word cut from a name, folded but not yet read against any
// table.
type rawWord struct {
	text string
	// alt is text with a look-alike '1' read as 'i' rather than 'l'; empty
	// unless the word had one. The query side picks whichever the list knows.
	alt string
	// paren is set inside (), [] or {}: abbreviations and asides, which
	// weigh less.
	paren bool
	// hyphen is set when a hyphen joined this word to the next one
	// ("al-Rahman", "ar-Rashid").
	hyphen bool
	// lookalike is set when digits in the word were read as letters.
	lookalike bool
	// raw is the word with its digits as written, when it mixes digits and
	// letters; the query side may read it differently (see tokens.go).
	raw string
	// split is 1 or 2 for the first or second part of a word that was
	// cut in two, else 0.
	split uint8
	// abjad holds the letters of a word written in Arabic or Hebrew,
	// which text spells only roughly (translit_abjad.go).
	abjad string
	// start and end are the word's bytes in the name, end 0 when not
	// known (words of scripts cut otherwise): what separates two words
	// tells a run of letters (acronymRuns).
	start, end int32
	// run is set on the letters of a run the plain reading keeps apart
	// (acronymRuns), acronym on the word the acronym reading joins them
	// into.
	run, acronym bool
}

func isApostrophe(r rune) bool {
	switch r {
	case '\'', '’', '‘', '`', '´', 'ʼ', 'ʻ', '′', 'ʹ', '＇',
		'\u0091', '\u0092': // Windows-1252 quotes read as Latin-1 control characters

		return true
	}
	return false
}

func isWordRune(r rune) bool {
	if r < 0x80 {
		return ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9')
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.In(r, unicode.Mn, unicode.Mc)
}

func isLetterRune(r rune) bool {
	if r < 0x80 {
		return ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z')
	}
	return unicode.IsLetter(r)
}

// symbolLetters are symbols people type for letters inside a word
// ("C@pital", "5ervice$"); between letters they read as the letter.
var symbolLetters = map[rune]rune{'@': 'a', '$': 's', '|': 'l', '€': 'e', '£': 'l'}

// splitter holds the scratch space of one normalisation.
type splitter struct {
	runes []rune
	out   []byte
	words []rawWord
	// all holds the folded words one after another; split makes it one
	// string and the words' texts substrings of it: one allocation per
	// name rather than one per word. spans[k] is word k's end in all, or
	// -1 when its text was made otherwise (digits read as letters).
	all   []byte
	spans []int32
	own   []rune // a run of Chinese or Hangul (splitOwnWords)
	// acronyms, when set, reads every run of single letters as one word
	// ("N.I.I." as "nii"): the acronym reading of a name (acronymRuns).
	acronyms bool
	// hasRun is set by split when the name has such a run.
	hasRun bool
}

// split cuts s into folded words, appending them to sp.words.
func (sp *splitter) split(s string) []rawWord {
	sp.words = sp.words[:0]
	sp.runes = sp.runes[:0]
	sp.all = sp.all[:0]
	sp.spans = sp.spans[:0]
	depth := 0
	wordParen := false
	i, start := 0, 0
	flush := func(hyphen bool) {
		if len(sp.runes) == 0 {
			return
		}
		n := len(sp.words)
		sp.emit(wordParen, hyphen)
		if len(sp.words) == n+1 {
			sp.words[n].start, sp.words[n].end = int32(start), int32(i)
		}
		sp.runes = sp.runes[:0]
	}
	next := func(j int) (rune, int) {
		if j >= len(s) {
			return 0, 0
		}
		return utf8.DecodeRuneInString(s[j:])
	}
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		j := i + n
		switch {
		case r >= 0x3400 && ownWordScript(r):
			// Chinese characters and Hangul syllables make words of
			// their own.
			flush(false)
			j = sp.splitOwnWords(s, i, depth > 0)
		case r == '\u200c' && len(sp.runes) > 0:
			// A zero-width non-joiner inside a Persian word.
		case isWordRune(r):
			if len(sp.runes) == 0 {
				wordParen = depth > 0
				start = i
			}
			sp.runes = append(sp.runes, r)
		case isApostrophe(r) || r == '?':
			r1, n1 := next(j)
			r2, _ := next(j + n1)
			switch {
			case len(sp.runes) > 0 && (r1 == 's' || r1 == 'S') && !isWordRune(r2):
				// A possessive 's ends the word: drop both.
				j += n1
			case r == '?':
				// The lists write lost quotes as '?': a separator.
				flush(false)
			default:
				// Inside a word an apostrophe joins (O'Brien, Sa'id): the
				// word goes on without it. At its edges it is a quote
				// mark and simply goes.
			}
		case r == '-' || r == '‐' || r == '‑' || r == '–':
			flush(true)
		case r == '(' || r == '[' || r == '{':
			flush(false)
			depth++
		case r == ')' || r == ']' || r == '}':
			flush(false)
			if depth > 0 {
				depth--
			}
		case r == '&' || r == '+':
			flush(false)
			sp.runes = append(sp.runes, 'a', 'n', 'd')
			wordParen = depth > 0
			flush(false)
		default:
			if sub, ok := symbolLetters[r]; ok {
				r1, _ := next(j)
				prevLetter := len(sp.runes) > 0 && isLetterRune(sp.runes[len(sp.runes)-1])
				if prevLetter || isLetterRune(r1) {
					if len(sp.runes) == 0 {
						wordParen = depth > 0
					}
					sp.runes = append(sp.runes, sub)
					break
				}
			}
			flush(false)
		}
		i = j
	}
	flush(false)
	if len(sp.all) > 0 {
		all := string(sp.all)
		from := int32(0)
		for k, end := range sp.spans {
			if end >= 0 {
				sp.words[k].text = all[from:end]
				from = end
			}
		}
	}
	sp.acronymRuns(s)
	return sp.words
}

// acronymRuns finds the runs of two or more single letters separated only
// by spaces and at most one dot each ("N.I.I.", "N. I. I.", "O O O", but
// also the initials "Y. V."), setting sp.hasRun; with sp.acronyms set it
// joins each run into one word ("nii"). Whether a run is an acronym or a
// person's initials the letters do not say: Build indexes both readings
// of a name that is not an individual's, and Screen tries both for a
// query that does not say it names an individual.
func (sp *splitter) acronymRuns(s string) {
	sp.hasRun = false
	letter := func(w *rawWord) bool {
		return len(w.text) == 1 && w.text[0] >= 'a' && w.text[0] <= 'z' && w.end > 0 && w.raw == "" && !w.hyphen
	}
	// sep returns how words k and k+1 are separated: 1 by spaces, 2 by
	// one dot and any spaces, 0 otherwise.
	sep := func(k int) int {
		a, b := &sp.words[k], &sp.words[k+1]
		if a.paren != b.paren || b.start < a.end {
			return 0
		}
		dots := 0
		for _, c := range []byte(s[a.end:b.start]) {
			switch c {
			case '.':
				dots++
			case ' ':
			default:
				return 0
			}
		}
		if dots > 1 {
			return 0
		}
		return 1 + dots
	}
	out := sp.words[:0]
	for k := 0; k < len(sp.words); {
		// A run keeps one kind of separator, dots first: in "Fleurette
		// I B.V." the numeral is not part of the legal form. j ends
		// the run at k: a dotted link always joins, a space only between
		// two letters neither of which has a dotted link.
		j := k
		for j+1 < len(sp.words) && letter(&sp.words[j]) && letter(&sp.words[j+1]) {
			d := sep(j)
			if d == 1 && ((j > k && sep(j-1) == 2) || (j+2 < len(sp.words) && letter(&sp.words[j+2]) && sep(j+1) == 2)) {
				break
			}
			if d == 0 {
				break
			}
			j++
		}
		if j == k || j == k+2 && aliasLetters(sp.words[k:j+1]) {
			// Not a run: one letter, or the letters of "a.k.a.".
			out = append(out, sp.words[k:j+1]...)
			k = j + 1
			continue
		}
		sp.hasRun = true
		if !sp.acronyms {
			for _, w := range sp.words[k : j+1] {
				w.run = true
				out = append(out, w)
			}
			k = j + 1
			continue
		}
		b := make([]byte, 0, j-k+1)
		for _, w := range sp.words[k : j+1] {
			b = append(b, w.text[0])
		}
		w := sp.words[k]
		w.text, w.end, w.acronym = string(b), sp.words[j].end, true
		out = append(out, w)
		k = j + 1
	}
	sp.words = out
}

// emit folds sp.runes into a word.
func (sp *splitter) emit(paren, hyphen bool) {
	if sp.runes[0] >= 0x5D0 && isAbjadWord(sp.runes) {
		sp.emitAbjad(paren, hyphen)
		return
	}
	out := sp.out[:0]
	var latin, cyr, grk int
	ukr := false
	ascii := true
	for _, r := range sp.runes {
		if r >= 0x80 {
			ascii = false
		}
		switch scriptOf(r) {
		case scriptLatin:
			latin++
		case scriptCyrillic:
			cyr++
			if ukrainianMarkers[unicode.ToLower(r)] {
				ukr = true
			}
		case scriptGreek:
			grk++
		}
	}
	if ascii {
		for _, r := range sp.runes {
			out = append(out, byte(unicode.ToLower(r)))
		}
	} else {
		mixed := latin > 0 && (cyr > 0 || grk > 0)
		rs := sp.runes
		for k := 0; k < len(rs); k++ {
			r := rs[k]
			if r < 0x80 {
				out = append(out, byte(unicode.ToLower(r)))
				continue
			}
			lr := unicode.ToLower(r)
			if mixed {
				if h, ok := homoglyphs[lr]; ok {
					out = append(out, byte(h))
					continue
				}
			}
			switch {
			case isCyrillic(lr):
				if lr == 'г' && ukr {
					out = append(out, 'h')
					continue
				}
				if t, ok := cyrillic[lr]; ok {
					out = append(out, t...)
					continue
				}
				out = appendDecomposed(out, lr)
			case isGreek(lr):
				base := greekBase(lr)
				if k+1 < len(rs) {
					if t, ok := greekDigraphs[[2]rune{base, greekBase(unicode.ToLower(rs[k+1]))}]; ok {
						out = append(out, t...)
						k++
						continue
					}
				}
				if t, ok := greek[base]; ok {
					out = append(out, t...)
					continue
				}
				out = appendDecomposed(out, lr)
			default:
				if sc := otherScript(lr); sc != scriptOther {
					var n int
					out, n = appendScript(out, rs[k:], sc)
					k += n - 1
					continue
				}
				if t, ok := specialLatin[lr]; ok {
					out = append(out, t...)
					continue
				}
				out = appendDecomposed(out, lr)
			}
		}
	}
	sp.out = out
	if len(out) == 0 {
		return
	}
	w := rawWord{paren: paren, hyphen: hyphen}
	if hasDigit(out) {
		w.text, w.alt, w.lookalike = readLookalikeDigits(out)
		sp.spans = append(sp.spans, -1)
	} else {
		// The text is out as it is: split makes it from sp.all.
		sp.all = append(sp.all, out...)
		sp.spans = append(sp.spans, int32(len(sp.all)))
	}
	if hasDigitAndLetter(out) && !isOrdinal(out) {
		w.raw = string(out)
	}
	sp.words = append(sp.words, w)
}

// greekBase strips accents and breathings from a Greek letter.
func greekBase(r rune) rune {
	if r >= 0x3AC || (r >= 0x1F00 && r <= 0x1FFF) || r == 0x390 {
		d := norm.NFD.String(string(r))
		b, _ := utf8.DecodeRuneInString(d)
		return unicode.ToLower(b)
	}
	return r
}

// appendDecomposed appends r after compatibility decomposition (NFKD), with
// combining marks dropped and letters lower-cased: "é" is "e", "ﬁ" is "fi",
// full-width "Ａ" is "a".
func appendDecomposed(out []byte, r rune) []byte {
	if unicode.In(r, unicode.Mn, unicode.Mc, unicode.Me) {
		return out
	}
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	d := norm.NFKD.Bytes(buf[:n])
	for len(d) > 0 {
		c, m := utf8.DecodeRune(d)
		d = d[m:]
		if unicode.In(c, unicode.Mn, unicode.Mc, unicode.Me) {
			continue
		}
		c = unicode.ToLower(c)
		if c < 0x80 {
			if isWordRune(c) {
				out = append(out, byte(c))
			}
			continue
		}
		if t, ok := specialLatin[c]; ok {
			out = append(out, t...)
			continue
		}
		if isCyrillic(c) {
			if t, ok := cyrillic[c]; ok {
				out = append(out, t...)
				continue
			}
		}
		if unicode.IsLetter(c) || unicode.IsDigit(c) {
			out = utf8.AppendRune(out, c)
		}
	}
	return out
}

// lookalikeDigits are the digits people write for letters ("Kasp3rsky",
// "C0MPANY", "5ERVICES"). '1' is read as 'l' with 'i' as the alternative.
var lookalikeDigits = [10]byte{0: 'o', 1: 'l', 3: 'e', 4: 'a', 5: 's', 7: 't', 8: 'b'}

// readLookalikeDigits reads look-alike digits in a mostly alphabetic word as
// letters. A digit is read as a letter only when it stands alone between
// letters or at the edge of a word of at least three letters, so model
// numbers ("A320", "CETC13") and ordinals ("726th") keep their digits.
func readLookalikeDigits(b []byte) (text, alt string, changed bool) {
	letters, digits := 0, 0
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c >= 'a' && c <= 'z':
			letters++
		}
	}
	if digits == 0 || letters == 0 || isOrdinal(b) {
		return string(b), "", false
	}
	isL := func(i int) bool { return i >= 0 && i < len(b) && b[i] >= 'a' && b[i] <= 'z' }
	isD := func(i int) bool { return i >= 0 && i < len(b) && b[i] >= '0' && b[i] <= '9' }
	var out []byte
	hasOne := false
	for i, c := range b {
		if c < '0' || c > '9' || lookalikeDigits[c-'0'] == 0 || isD(i-1) || isD(i+1) {
			continue
		}
		between := isL(i-1) && isL(i+1)
		edge := (i == 0 && isL(1)) || (i == len(b)-1 && isL(i-1))
		if !between && !(edge && letters >= 3) {
			continue
		}
		if out == nil {
			out = append([]byte(nil), b...)
		}
		out[i] = lookalikeDigits[c-'0']
		if c == '1' {
			hasOne = true
		}
	}
	if out == nil {
		return string(b), "", false
	}
	text = string(out)
	if hasOne {
		a := []byte(text)
		for i, c := range b {
			if c == '1' && a[i] == 'l' {
				a[i] = 'i'
			}
		}
		alt = string(a)
	}
	return text, alt, true
}

func hasDigit(b []byte) bool {
	for _, c := range b {
		if c >= '0' && c <= '9' {
			return true
		}
	}
	return false
}

func hasDigitAndLetter(b []byte) bool {
	d, l := false, false
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			d = true
		case c >= 'a' && c <= 'z':
			l = true
		}
	}
	return d && l
}

// lookalikeVariants calls fn with every reading of raw's look-alike digits
// as letters ('1' as l or i), most digits first, until fn returns true. At
// most four digits are read.
func lookalikeVariants(raw string, fn func(v string) bool) {
	var pos []int
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c >= '0' && c <= '9' && lookalikeDigits[c-'0'] != 0 {
			pos = append(pos, i)
		}
	}
	if len(pos) == 0 || len(pos) > 4 {
		return
	}
	b := []byte(raw)
	var rec func(k int) bool
	rec = func(k int) bool {
		if k == len(pos) {
			return fn(string(b))
		}
		i := pos[k]
		c := raw[i]
		b[i] = lookalikeDigits[c-'0']
		if rec(k + 1) {
			return true
		}
		if c == '1' {
			b[i] = 'i'
			if rec(k + 1) {
				return true
			}
		}
		b[i] = c
		return false
	}
	rec(0)
}

// isOrdinal reports digits followed by st, nd, rd or th ("726th", "2nd").
func isOrdinal(b []byte) bool {
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	if i == 0 || len(b)-i != 2 {
		return false
	}
	switch string(b[i:]) {
	case "st", "nd", "rd", "th":
		return true
	}
	return false
}

// aliasLetters reports whether three one-letter words spell an alias
// marker ("a.k.a.", "f.k.a.", "n.k.a.", "d.b.a.").
func aliasLetters(ws []rawWord) bool {
	switch ws[0].text + ws[1].text + ws[2].text {
	case "aka", "fka", "nka", "dba":
		return true
	}
	return false
}

// aliasMarkers split a listed name that carries its own aliases
// ("X, a.k.a. Y"), so that Y can be found on its own.
var aliasMarkers = []string{"a.k.a.", "a.k.a", "f.k.a.", "f.k.a", "also known as", "formerly known as", "d.b.a.", "doing business as"}

// subNames returns the parts of a listed name around alias markers, or nil
// when it has none.
func subNames(name string) []string {
	lower := strings.ToLower(name)
	var cuts []int
	var ends []int
	for _, m := range aliasMarkers {
		from := 0
		for {
			k := strings.Index(lower[from:], m)
			if k < 0 {
				break
			}
			k += from
			// Only whole markers: not inside a word.
			if (k == 0 || !isWordRune(rune(lower[k-1]))) && (k+len(m) >= len(lower) || !isWordRune(rune(lower[k+len(m)]))) {
				cuts = append(cuts, k)
				ends = append(ends, k+len(m))
			}
			from = k + len(m)
		}
	}
	if len(cuts) == 0 {
		return nil
	}
	// Sort cuts (few) by position.
	for a := 1; a < len(cuts); a++ {
		for b := a; b > 0 && cuts[b] < cuts[b-1]; b-- {
			cuts[b], cuts[b-1] = cuts[b-1], cuts[b]
			ends[b], ends[b-1] = ends[b-1], ends[b]
		}
	}
	var out []string
	start := 0
	for k := range cuts {
		if cuts[k] < start {
			continue
		}
		out = appendPart(out, name[start:cuts[k]])
		start = ends[k]
	}
	out = appendPart(out, name[start:])
	return out
}

func appendPart(out []string, p string) []string {
	p = strings.Trim(p, " ,;:.-")
	// An unbalanced bracket belonged to the text around the marker
	// ("X (a.k.a. Y)").
	if strings.HasSuffix(p, ")") && !strings.Contains(p, "(") {
		p = strings.TrimRight(p, " )")
	}
	if strings.HasPrefix(p, "(") && !strings.Contains(p, ")") {
		p = strings.TrimLeft(p, " (")
	}
	p = strings.Trim(p, " ,;:.-")
	if p == "" {
		return out
	}
	return append(out, p)
}
