package matcher

import (
	"slices"
	"strings"
)

// A name becomes a list of tokens: normalised words (normalise.go) read
// against the legal-form table (legalform.go) and the synonym tables
// (synonyms.go), each with its romanisation key (romankey.go) and a kind that
// decides how much it weighs.

// kind is what a token is, as far as weighing goes.
type kind uint8

const (
	kindWord  kind = iota // an ordinary word
	kindLegal             // a legal form class ("#llc")
	kindStop              // a function word ("of", "al")
	kindTitle             // an honorific or rank ("Dr", "Sheikh", leading "General")
)

// token is one word of a name after normalisation.
type token struct {
	// text is the folded surface form ("kasperskiy"; for a legal form, all
	// its words: "obshchestvo s ogranichennoi otvetstvennostyu").
	text string
	// canon is the canonical form words are compared on: the legal class,
	// the synonym, the Arabic name's common spelling, the singular.
	canon string
	// key is canon's romanisation key.
	key string
	// alt is the canonical form with a look-alike '1' read as 'i' instead
	// of 'l'; "" when not applicable.
	alt string
	// how canon was reached from text: "", HowSynonym or HowTransliteration.
	how string
	// legalAlt is the legal-form class the word would be outside the
	// start or end of a name ("Icarus AS Design"); "" for most words.
	legalAlt  string
	kind      kind
	paren     bool
	lookalike bool
	// split is 1 or 2 when the word is the first or second part of a
	// longer query word that was cut ("KasperskyLab"), else 0.
	split uint8
	// expanded is set when the token is one of several a word stands for
	// ("Abdul" = "abd", "al").
	expanded bool
	// canonID is canon's vocabulary entry plus one, -1 when the list
	// lacks it, or 0 when not known yet (retrieve looks it up).
	canonID int32
	// abjad is the word's Arabic or Hebrew letters (rawWord.abjad).
	abjad string
	// acronym is set for a word joined from a run of single letters
	// (rawWord.acronym).
	acronym bool
}

// analyser holds the scratch space of one name's analysis.
type analyser struct {
	sp    splitter
	texts []string
	keys  []string
	kbuf  []byte
	row   []int
	toks  []token
	// split, when set, cuts a word the list does not know into two it
	// does ("OOOBitreit", "KasperskyLab"); only queries use it.
	split func(w string) (a, b string, ok bool)
	// known, when set, reports that the list has w as an ordinary word;
	// such a word skips the fuzzy legal-form reading (only queries use it:
	// it is the costliest part of reading a word, and a word the list
	// already has as a word is not a misspelt legal form).
	known   func(w string) bool
	knownDF func(w string) int // records holding w (-1: none); set with known
	isKnown []bool
	// keyBytes holds the words' keys one after another, keyEnds their
	// ends: analyse makes them one string.
	keyBytes []byte
	keyEnds  []int32
	// cur is the word addWord is reading, with its key and whether the
	// list knows it (analyse has them already).
	cur, curKey string
	curKnown    bool
	cut         []rawWord
	// facts, when set, fills in what Build already read of a word the
	// list has (wordFacts) and reports whether it had; only queries use
	// it.
	facts   func(w string, f *wordFacts) bool
	wfacts  []*wordFacts // per word of the name being analysed, after cuts
	factBuf []wordFacts  // what wfacts points to
	// dm remembers deletion hashes for the legal-form look-ups of one
	// query (queries only: used when known is set).
	dm    delMemo
	memo  *analyserMemo // Build only
	glued []bool        // gluedLetters
	// letters is set by analyse when a letter of a run (acronymRuns)
	// was read as a word of its own, not as part of a legal form ("S.A."
	// at the end of a name): the name reads otherwise as an acronym.
	letters bool
}

// sunLetterArticles are the forms "al-" takes before a "sun letter"
// ("ar-Rahman", "as-Sayyid", "ad-Din"); they count as "al" when the next
// word starts with the assimilated letter.
var sunLetterArticles = map[string]string{
	"ad": "d", "ar": "r", "as": "s", "ash": "sh", "at": "t", "az": "z", "an": "n", "ath": "th", "adh": "dh", "ad-": "d",
	"ul": "", "ud": "d", "ur": "r", "us": "s", "un": "n",
}

// analyse cuts a name into tokens. The returned slice is a's scratch space,
// valid until the next call.
func (a *analyser) analyse(name string) []token {
	words := a.sp.split(name)
	a.toks = a.toks[:0]
	a.letters = false
	a.dm.reset()
	if len(words) == 0 {
		return a.toks
	}
	if a.known != nil {
		for k := range words {
			if words[k].raw != "" {
				a.readLookalikes(&words[k])
			}
		}
	}
	a.wfacts = a.wfacts[:0]
	a.factBuf = a.factBuf[:0]
	if a.split != nil {
		a.cut = a.cut[:0]
		for _, w := range words {
			if w.acronym {
				// Letters are not cut into other words.
				a.cut = append(a.cut, w)
				a.wfacts = append(a.wfacts, nil)
				continue
			}
			if a.facts != nil {
				if f := a.factsOf(w.text); f != nil {
					// Build found that the word is not cut.
					a.cut = append(a.cut, w)
					a.wfacts = append(a.wfacts, f)
					continue
				}
			}
			if x, y, ok := a.split(w.text); ok && w.abjad == "" {
				w1, w2 := w, w
				w1.text, w1.alt, w1.hyphen, w1.split = x, "", false, 1
				w2.text, w2.alt, w2.split = y, "", 2
				a.cut = append(a.cut, w1, w2)
				a.wfacts = append(a.wfacts, a.factsOf(x), a.factsOf(y))
				continue
			}
			a.cut = append(a.cut, w)
			a.wfacts = append(a.wfacts, nil)
		}
		words = a.cut
	} else {
		for range words {
			a.wfacts = append(a.wfacts, nil)
		}
	}
	a.keys = a.keys[:0]
	a.texts = a.texts[:0]
	a.isKnown = a.isKnown[:0]
	for k, w := range words {
		if f := a.wfacts[k]; f != nil {
			a.keys = append(a.keys, f.key)
			a.texts = append(a.texts, w.text)
			a.isKnown = append(a.isKnown, f.known)
			a.keyEnds = append(a.keyEnds, -1)
			continue
		}
		if a.memo == nil {
			// One string for all the words' keys, made below.
			a.kbuf = romanKey(a.kbuf, w.text)
			a.keyBytes = append(a.keyBytes, a.kbuf...)
			a.keyEnds = append(a.keyEnds, int32(len(a.keyBytes)))
			a.keys = append(a.keys, "")
		} else {
			a.keys = append(a.keys, a.keyOf(w.text))
		}
		a.texts = append(a.texts, w.text)
		a.isKnown = append(a.isKnown, a.known != nil && a.known(w.text))
	}
	if a.memo == nil {
		all := string(a.keyBytes)
		from := int32(0)
		for k, end := range a.keyEnds {
			if end >= 0 {
				a.keys[k] = all[from:end]
				from = end
			}
		}
		a.keyBytes, a.keyEnds = a.keyBytes[:0], a.keyEnds[:0]
	}
	if a.row == nil {
		a.row = make([]int, 3*64)
	}
	last := len(words) - 1
	for last > 0 && words[last].paren {
		last--
	}
	var glued []bool
	if a.sp.hasRun {
		glued = a.gluedLetters(name, words)
	}
	for i := 0; i < len(words); {
		if class, n := matchLegal(a.texts, a.keys, a.isKnown, glued, i, last, a.row, a.delMemo()); n > 0 {
			text := words[i].text
			if n > 1 {
				parts := make([]string, n)
				for j := range parts {
					parts[j] = words[i+j].text
				}
				text = strings.Join(parts, " ")
			}
			a.toks = append(a.toks, token{text: text, canon: class, key: class, kind: kindLegal, paren: words[i].paren})
			i += n
			continue
		}
		if words[i].run {
			a.letters = true
		}
		if f := a.wfacts[i]; f != nil && f.plain && !sunArticle(words, i) && !words[i].acronym {
			a.pushFacts(words[i], f)
			i++
			continue
		}
		// push reuses what was just read of this word.
		a.cur, a.curKey, a.curKnown = words[i].text, a.keys[i], a.isKnown[i]
		a.addWord(words[i], words, i)
		i++
	}
	a.markTitles()
	return a.toks
}

// gluedLetters returns, for each word, whether it is a letter of a run
// (acronymRuns) joined to the letter before it by a dot alone, with no
// space: "A.S.P." is one group of letters, "G.L.G. S.A." two. A legal form
// written in letters is the whole of its group (matchLegal): the "S.P." of
// "A.S.P. BUILDERS" and the "S.A." of "U.S.A." are no S.p.A. or S.A.
func (a *analyser) gluedLetters(name string, words []rawWord) []bool {
	a.glued = a.glued[:0]
	for k := range words {
		g := false
		if k > 0 {
			p, w := &words[k-1], &words[k]
			g = p.run && w.run && p.end > 0 && w.start == p.end+1 && int(p.end) < len(name) && name[p.end] == '.'
		}
		a.glued = append(a.glued, g)
	}
	return a.glued
}

// readLookalikes settles how a query word that mixes digits and letters
// reads: as written when the list has it so ("3M", "A320"); else the first
// reading of its digits as letters that the list or the legal-form table
// knows ("C0" = "Co", "L1M1TED" = "Limited", "S34n" = "Sean"); else the
// conservative reading normalise.go made.
func (a *analyser) readLookalikes(w *rawWord) {
	if a.knownDF(w.raw) >= 0 {
		w.text, w.alt, w.lookalike = w.raw, "", false
		return
	}
	best, bestDF := "", -1
	legal := ""
	lookalikeVariants(w.raw, func(v string) bool {
		if df := a.knownDF(v); df > bestDF {
			best, bestDF = v, df
		} else if legal == "" && (legalTexts[v] || len(v) >= 5 && isLegalWord(v, a.rowScratch(), nil)) {
			legal = v
		}
		return false
	})
	if best == "" {
		best = legal
	}
	if best != "" {
		w.text, w.alt, w.lookalike = best, "", true
	}
}

// addWord appends the token(s) of one ordinary word.
func (a *analyser) addWord(w rawWord, words []rawWord, i int) {
	t := w.text
	if exp, ok := multiWordsOf(t); ok {
		for _, e := range exp {
			a.push(w, t, e, HowSynonym)
			a.toks[len(a.toks)-1].expanded = true
		}
		return
	}
	if rest := splitAbd(t); rest != "" {
		a.push(w, t, "abd", HowTransliteration)
		a.push(w, t, "al", HowTransliteration)
		c, _ := canonicalWord(rest)
		a.push(w, rest, c, "")
		a.toks[len(a.toks)-1].expanded = true
		a.toks[len(a.toks)-2].expanded = true
		a.toks[len(a.toks)-3].expanded = true
		return
	}
	if sunArticle(words, i) {
		a.push(w, t, "al", HowTransliteration)
		return
	}
	if w.acronym {
		// An acronym stands for several words ("N.I.I." expanded
		// above), never for one ("C.T.R." is not "ctr", a centre).
		a.push(w, t, t, "")
		return
	}
	c, how := canonicalWord(t)
	a.push(w, t, c, how)
}

// sunArticle reports whether word i is "al" written as it sounds before
// the next word's first letter ("ar-Rahman").
func sunArticle(words []rawWord, i int) bool {
	lead, ok := sunLetterArticles[words[i].text]
	return ok && i+1 < len(words) && lead != "" && strings.HasPrefix(words[i+1].text, lead) && len(words[i+1].text) > len(lead)+1
}

// wordFacts is what reading one word of a query gives, apart from its
// place among the other words: whether it is cut in two, its key, whether
// the list knows it, and the token addWord makes of it. Build reads every
// word of the list's names so (Index.facts), since most query words are
// listed words; a query reads only the others.
type wordFacts struct {
	key      string // the word's romanisation key
	canon    string // its canonical form (canonicalWord)
	canonKey string // the canonical form's key
	canonID  int32  // token.canonID
	how      uint8  // how canon was reached: factHows[how]
	legalAlt uint8  // the token's legalAlt: factLegal[legalAlt]
	known    bool   // analyser.known
	// plain is set when the word is a single token of its own: neither
	// an abbreviation of several words nor a name glued to "Abd".
	plain bool
	kind  kind
}

// factHows and factLegal are the values wordFacts codes in a byte.
var (
	factHows  = []string{"", HowSynonym, HowTransliteration}
	factLegal = func() []string {
		out := []string{""}
		for _, f := range legalForms {
			out = append(out, f.class)
		}
		return out
	}()
)

// readWord returns what analysing w alone gives, as analyse would read it
// in a query; ok is false for a word analyse cuts in two. a must be a
// query's analyser.
func (a *analyser) readWord(w string) (f wordFacts, ok bool) {
	if _, _, cut := a.split(w); cut {
		return f, false
	}
	a.kbuf = romanKey(a.kbuf, w)
	f.key = string(a.kbuf)
	f.known = a.known(w)
	_, multi := multiWordsOf(w)
	f.plain = !multi && splitAbd(w) == ""
	c, how := canonicalWord(w)
	f.canon = c
	a.cur, a.curKey, a.curKnown = w, f.key, f.known
	a.toks = a.toks[:0]
	a.push(rawWord{text: w}, w, c, how)
	t := a.toks[0]
	a.toks = a.toks[:0]
	f.kind, f.canonKey = t.kind, t.key
	hi, li := slices.Index(factHows, how), slices.Index(factLegal, t.legalAlt)
	if hi < 0 || li < 0 {
		return f, false // not expected: such a word is read in full
	}
	f.how, f.legalAlt = uint8(hi), uint8(li)
	return f, true
}

// factsOf returns what Build read of w, or nil.
func (a *analyser) factsOf(w string) *wordFacts {
	if a.facts == nil {
		return nil
	}
	// A pointer into factBuf stays valid when append moves factBuf: it
	// keeps the old array, which is not written again in this analysis.
	a.factBuf = append(a.factBuf, wordFacts{})
	f := &a.factBuf[len(a.factBuf)-1]
	if !a.facts(w, f) {
		a.factBuf = a.factBuf[:len(a.factBuf)-1]
		return nil
	}
	return f
}

// pushFacts is addWord for a plain word Build has read.
func (a *analyser) pushFacts(w rawWord, f *wordFacts) {
	tok := token{text: w.text, canon: f.canon, key: f.canonKey, how: factHows[f.how], legalAlt: factLegal[f.legalAlt], kind: f.kind, canonID: f.canonID, paren: w.paren, lookalike: w.lookalike, split: w.split, abjad: w.abjad}
	if w.alt != "" {
		tok.alt, _ = canonicalWord(w.alt)
	}
	a.toks = append(a.toks, tok)
}

func (a *analyser) push(w rawWord, text, canon, how string) {
	tok := token{text: text, canon: canon, how: how, paren: w.paren, lookalike: w.lookalike, split: w.split, abjad: w.abjad, acronym: w.acronym}
	if w.alt != "" {
		tok.alt, _ = canonicalWord(w.alt)
	}
	switch {
	case honorifics[text] || honorifics[canon]:
		tok.kind = kindTitle
	case stopwords[canon]:
		tok.kind = kindStop
	}
	if canon == a.cur {
		tok.key = a.curKey
	} else {
		tok.key = a.keyOf(canon)
	}
	if tok.kind == kindWord && (legalFragments[canon] || (a.known == nil || !a.knownText(text)) && a.isFragment(tok.key)) {
		tok.kind = kindLegal
	}
	if tok.kind == kindWord {
		for _, p := range legalByFirst[tok.key] {
			if len(p.keys) == 1 && legalWordEqual(text, tok.key, p.words[0], p.keys[0], a.rowScratch()) {
				tok.legalAlt = p.class
				break
			}
		}
	}
	a.toks = append(a.toks, tok)
}

// markTitles decides which honorific-looking tokens are titles: honorifics
// anywhere and ranks at the start, as long as two ordinary words remain
// (so a company called "General Trading" keeps its "General"). Honorifics
// that would leave no ordinary word are read as words.
func (a *analyser) markTitles() {
	words := 0
	for _, t := range a.toks {
		if t.kind == kindWord {
			words++
		}
	}
	if words == 0 {
		// "Sheikh" alone, or a name made only of honorifics: keep them.
		for k := range a.toks {
			if a.toks[k].kind == kindTitle {
				a.toks[k].kind = kindWord
			}
		}
		return
	}
	for k := range a.toks {
		t := &a.toks[k]
		if t.kind == kindTitle || t.kind == kindStop || t.kind == kindLegal {
			continue
		}
		// A rank written in full may be a word of the name ("General
		// Trading", "General Electric Company"): it is a title only when
		// two ordinary words follow and the next is no business word. An
		// abbreviated one ("Gen.", "Col.") is a title.
		if !(ranks[t.text] || ranks[t.canon]) || words <= 1 {
			break
		}
		if !rankAbbreviations[t.text] && (words <= 2 || a.nextIsGeneric(k)) {
			break
		}
		t.kind = kindTitle
		words--
	}
}

// knownText is a.known(text), from analyse's reading when text is the
// current word.
func (a *analyser) knownText(text string) bool {
	if text == a.cur {
		return a.curKnown
	}
	return a.known(text)
}

// keyOf returns w's romanisation key, remembered when a.memo is set.
func (a *analyser) keyOf(w string) string {
	if a.memo != nil {
		if k, ok := a.memo.keys[w]; ok {
			return k
		}
	}
	a.kbuf = romanKey(a.kbuf, w)
	k := string(a.kbuf)
	if a.memo != nil {
		a.memo.keys[w] = k
	}
	return k
}

// delMemo returns the query's deletion-hash memo, or nil in Build.
func (a *analyser) delMemo() *delMemo {
	if a.known == nil {
		return nil
	}
	return &a.dm
}

// isFragment is isLegalFragment, remembered when a.memo is set.
func (a *analyser) isFragment(key string) bool {
	if a.memo != nil {
		if f, ok := a.memo.fragments[key]; ok {
			return f
		}
	}
	f := isLegalFragment(key, a.rowScratch(), a.delMemo())
	if a.memo != nil {
		a.memo.fragments[key] = f
	}
	return f
}

// analyserMemo remembers per-word results while Build analyses a list,
// whose names repeat their words many times over.
type analyserMemo struct {
	keys      map[string]string
	fragments map[string]bool
}

func newAnalyserMemo() *analyserMemo {
	return &analyserMemo{keys: map[string]string{}, fragments: map[string]bool{}}
}

func (a *analyser) rowScratch() []int {
	if a.row == nil {
		a.row = make([]int, 3*64)
	}
	return a.row
}

// nextIsGeneric reports whether the ordinary word after token k is a
// generic business word.
func (a *analyser) nextIsGeneric(k int) bool {
	for _, t := range a.toks[k+1:] {
		if t.kind == kindWord {
			return genericWords[t.canon] || genericWords[t.text]
		}
	}
	return false
}
