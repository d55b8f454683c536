package matcher

import "strings"

// Legal forms are a table of equivalents across languages and scripts. Each
// written form, short or long, becomes one class token ("#llc", "#jsc"), so
// "OOO", "ООО", "LLC" and "Obshchestvo S Ogranichennoi Otvetstvennostyu" are
// the same word to the scorer. Class tokens weigh little: a missing or
// changed legal form costs a few points, and a legal form alone never makes
// a match (see score.go).
//
// Phrases are compared by romanisation key, so the Cyrillic "Джоинт Стокк
// Компаны" (a transcription of "Joint Stock Company") and spelling variants
// such as "Ogranichennoy" still read as a legal form; long words also
// tolerate a typo ("Organichennoi").

// legalForm is one class of equivalent legal forms.
type legalForm struct {
	class string
	label string
	// any lists forms recognised anywhere in a name.
	any []string
	// edge lists short forms that are also ordinary words or initials
	// ("AO", "PT") and count as legal forms only at the start or the end of
	// a name.
	edge []string
	// tail lists short forms that count only at the end of a name: "AS",
	// "SA" or "AD" at the start are more often an Arabic article or
	// initials than a Scandinavian or Spanish company.
	tail []string
}

var legalForms = []legalForm{
	{class: "#llc", label: "limited liability company",
		any: []string{
			"llc", "l l c", "limited liability company", "limited liability co", "limited liability corporation",
			"ltd liability company", "ltd liability co", "limited liabilities company",
			"ooo", "obshchestvo s ogranichennoi otvetstvennostyu", "obshestvo s ogranichennoi otvetstvennostyu",
			"obshchestvo s ogranichennoy otvetstvennostyu", "obshchestvom s ogranichennoi otvetstvennostyu",
			"tovarishchestvo s ogranichennoi otvetstvennostyu", "tovarystvo z obmezhenoyu vidpovidalnistyu",
			"gmbh", "g m b h", "gesellschaft mit beschrankter haftung", "mbh",
			"sarl", "s a r l", "societe a responsabilite limitee", "srl", "s r l", "sro", "s r o",
			"sociedad de responsabilidad limitada", "societa a responsabilita limitata",
			"spolka z ograniczona odpowiedzialnoscia", "sp z o o", "sp zoo", "kft",
			"ltda", "limitada", "besloten vennootschap", "wll", "w l l", "with limited liability",
			"mchj", "tzov", "s de rl", "s de r l", "s de rl de cv", "s de r l de c v", "sociedad de responsabilidad limitada de capital variable",
		},
		edge: []string{"tov", "too"},
		tail: []string{"doo", "d o o", "bv", "b v", "sl", "s l", "eood", "ood"}},
	{class: "#jsc", label: "joint-stock company",
		any: []string{
			"jsc", "j s c", "joint stock company", "joint stock co", "joint stock corporation", "stock company",
			"aktsionernoe obshchestvo", "aktsionernoye obshchestvo", "aktsionernoe obshestvo", "aktsionernaya kompaniya",
			"public joint stock company", "pjsc", "publichnoe aktsionernoe obshchestvo", "publichnoye aktsionernoye obshchestvo", "pao",
			"open joint stock company", "ojsc", "otkrytoe aktsionernoe obshchestvo", "otkrytoye aktsionernoye obshchestvo", "oao",
			"closed joint stock company", "cjsc", "zakrytoe aktsionernoe obshchestvo", "zakrytoye aktsionernoye obshchestvo", "zao",
			"non public joint stock company", "nepublichnoe aktsionernoe obshchestvo",
			"public joint stock co", "open joint stock co", "closed joint stock co",
			"aktiengesellschaft", "sociedad anonima", "societe anonyme", "societa per azioni",
			"naamloze vennootschap", "aktiebolag", "aktieselskab", "aksjeselskap", "osakeyhtio",
			"kabushiki kaisha", "kabushiki gaisha", "perseroan terbatas",
			"sociedade anonima", "anonim sirketi", "anonim shirketi",
			"sa de cv", "s a de c v", "sa de c v", "s a de cv", "sab de cv", "s a b de c v", "sapi de cv", "s a p i de c v",
			"sa de rl", "societe anonyme libanaise",
		},
		edge: []string{"ao", "a o", "pt", "nao", "aozt"},
		tail: []string{"ag", "a g", "sa", "s a", "nv", "n v", "ab", "as", "a s", "asa", "oy", "oyj",
			"spa", "s p a", "sas", "s a s", "sasu", "s a s u", "sal", "s a l", "sae", "saog", "saoc", "bsc", "psc", "qsc", "qpsc", "tbk",
			"kk", "k k", "jsco", "ojsco", "ead", "ad", "a d", "dd", "d d"}},
	{class: "#plc", label: "public limited company",
		any: []string{"plc", "p l c", "public limited company", "public company limited", "pcl"}},
	{class: "#ltd", label: "limited company",
		any: []string{
			"ltd", "limited", "co ltd", "company limited", "co limited", "company ltd", "limited company", "ltd co",
			"pvt ltd", "private limited", "pvt limited", "private ltd", "private limited company", "pvt",
			"pte ltd", "pte", "pty ltd", "pty", "proprietary limited", "pty limited",
			"sdn bhd", "sendirian berhad", "sdn", "bhd", "berhad", "co ltd co",
		}},
	{class: "#co", label: "company",
		any: []string{"co", "company", "companies", "cos", "compania", "compagnie", "cie", "kompaniya", "kompanii"}},
	{class: "#corp", label: "corporation",
		any: []string{"inc", "incorporated", "corp", "corporation", "corpn", "incorporation", "korporatsiya"}},
	{class: "#lp", label: "partnership",
		any:  []string{"llp", "l l p", "limited partnership", "limited liability partnership", "kommanditgesellschaft"},
		tail: []string{"lp", "l p", "kg", "ohg", "snc", "gbr"}},
	{class: "#fz", label: "free zone company",
		any:  []string{"fze", "fzco", "fzc", "fz llc", "fzllc", "fz co", "fz e", "free zone establishment", "free zone company", "free zone co", "free zone llc", "fzd"},
		tail: []string{"fz"}},
	{class: "#sue", label: "unitary enterprise",
		any: []string{
			"fgup", "fsue", "federal state unitary enterprise", "federalnoe gosudarstvennoe unitarnoe predpriyatie",
			"state unitary enterprise", "gosudarstvennoe unitarnoe predpriyatie", "municipal unitary enterprise",
			"munitsipalnoe unitarnoe predpriyatie", "federal state unitary enterprise of the", "unitary enterprise",
		},
		edge: []string{"gup", "sue", "mup"}},
	{class: "#ano", label: "autonomous non-profit organisation",
		any: []string{
			"autonomous non profit organization", "autonomous nonprofit organization", "autonomous non commercial organization",
			"autonomous noncommercial organization", "avtonomnaya nekommercheskaya organizatsiya",
		},
		edge: []string{"ano"}},
	{class: "#alc", label: "additional liability company",
		any: []string{
			"additional liability company", "obshchestvo s dopolnitelnoi otvetstvennostyu", "obshchestvo s dopolnitelnoy otvetstvennostyu",
			"tavarystva z dadatkovay adkaznastsyu",
		},
		edge: []string{"odo", "alc"}},
}

// legalFragments are words of the long legal forms. Standing alone, when
// the rest of the phrase is missing, misspelt or out of order ("Open Joint
// Company", "Aktsionernoe Otkrytoe Obshchestvo"), they still say nothing
// about identity and weigh as little as a legal form.
var legalFragments = setOf(
	"joint", "stock", "liability", "public", "open", "closed", "obshchestvo", "obshestvo", "aktsionernoe",
	"aktsionernoye", "otkrytoe", "otkrytoye", "zakrytoe", "zakrytoye", "publichnoe", "publichnoye", "nepublichnoe",
	"ogranichennoi", "ogranichennoy", "otvetstvennostyu", "dopolnitelnoi", "dopolnitelnoy", "tovarishchestvo",
	"tovarystvo", "unitary", "unitarnoe", "gesellschaft", "haftung", "anonima", "anonyme", "beschrankter",
)

// legalPhrase is one written legal form, as romanisation keys.
type legalPhrase struct {
	words []string
	keys  []string
	class string
	pos   uint8 // where it may stand: posAny, posEdge or posTail
}

const (
	posAny uint8 = iota
	posEdge
	posTail
)

var (
	legalWordsFuzzy fuzzySet // keys of every word of every legal form
	legalWordSet    map[string]bool
	legalTexts      map[string]bool           // every word of every legal form, as written
	fragmentsFuzzy  fuzzySet                  // keys of legalFragments
	legalByFirst    map[string][]*legalPhrase // first word's key -> phrases, longest first
	legalFirstFuzzy fuzzySet                  // first words (keys and spellings) long enough for a typo
	legalFirstOf    = map[string]string{}     // a member of legalFirstFuzzy -> its first-word key
	legalLabels     map[string]string         // class -> label
)

func init() {
	legalByFirst = map[string][]*legalPhrase{}
	legalLabels = map[string]string{}
	var buf []byte
	add := func(form, class string, pos uint8) {
		p := &legalPhrase{class: class, pos: pos}
		for _, w := range strings.Fields(form) {
			buf = romanKey(buf, w)
			p.keys = append(p.keys, string(buf))
			p.words = append(p.words, w)
		}
		legalByFirst[p.keys[0]] = append(legalByFirst[p.keys[0]], p)
	}
	for _, f := range legalForms {
		legalLabels[f.class] = f.label
		for _, s := range f.any {
			add(s, f.class, posAny)
		}
		for _, s := range f.edge {
			add(s, f.class, posEdge)
		}
		for _, s := range f.tail {
			add(s, f.class, posTail)
		}
	}
	legalWordSet = map[string]bool{}
	legalTexts = map[string]bool{}
	for _, ps := range legalByFirst {
		for _, p := range ps {
			for _, w := range p.words {
				legalTexts[w] = true
			}
			for j, k := range p.keys {
				if !legalWordSet[k] {
					legalWordSet[k] = true
					if len(k) >= 4 {
						legalWordsFuzzy.add(k)
					}
				}
				if w := p.words[j]; len(w) >= 4 && !legalWordSet[w] {
					legalWordSet[w] = true
					legalWordsFuzzy.add(w)
				}
			}
		}
	}
	for w := range legalFragments {
		buf = romanKey(buf, w)
		fragmentsFuzzy.add(string(buf))
		if string(buf) != w {
			fragmentsFuzzy.add(w)
		}
	}
	for k, ps := range legalByFirst {
		// Longest first, so "joint stock company" wins over "stock company".
		for a := 1; a < len(ps); a++ {
			for b := a; b > 0 && len(ps[b].keys) > len(ps[b-1].keys); b-- {
				ps[b], ps[b-1] = ps[b-1], ps[b]
			}
		}
		if len(k) >= 4 {
			legalFirstFuzzy.add(k)
			legalFirstOf[k] = k
		}
		for _, p := range ps {
			if w := p.words[0]; len(w) >= 4 && legalFirstOf[w] == "" {
				legalFirstFuzzy.add(w)
				legalFirstOf[w] = k
			}
		}
	}
	legalWordsFuzzy.seal()
	fragmentsFuzzy.seal()
	legalFirstFuzzy.seal()
}

// fuzzyKeyEqual reports whether a query word a (a key or a spelling) is
// the legal-form word b: equal, or one edit apart when b has at least four
// letters and the first letters agree ("Jiont", "Cmpany", "Limtied"), two
// when b is long ("Obshcehstvo") or, for a word the list does not know
// (loose), when b has seven letters or more ("Cmoeany").
func fuzzyKeyEqual(a, b string, row []int) bool { return fuzzyLegalEqual(a, b, false, row) }

func fuzzyLegalEqual(a, b string, loose bool, row []int) bool {
	if a == b {
		return true
	}
	if len(b) < 4 || len(a) < 3 || a[0] != b[0] {
		return false
	}
	max := 1
	if len(b) >= 10 || (loose && len(b) >= 7) {
		max = 2
	}
	return editDistance(a, b, max, row) <= max
}

// isLegalWord reports whether w (a key or a spelling) is, up to a typo, a
// word of some legal form; such a word is never cut in two as if it were
// two joined words.
// dm, when not nil, remembers w's deletion neighbourhood for the other
// legal-form look-ups of the same query.
func isLegalWord(w string, row []int, dm *delMemo) bool {
	if legalWordSet[w] {
		return true
	}
	return len(w) >= 4 && legalWordsFuzzy.has(w, row, dm)
}

// isLegalFragment reports whether key is (up to a typo) one of
// legalFragments.
func isLegalFragment(key string, row []int, dm *delMemo) bool {
	return fragmentsFuzzy.has(key, row, dm)
}

// legalWordEqual reports whether a name's word (text, key) is the legal-form
// word (ptext, pkey). Short words must be spelt the same ("LLC" is not
// "LKCK", though their keys agree); longer ones are compared by key, with a
// typo allowed.
func legalWordEqual(text, key, ptext, pkey string, row []int) bool {
	if len(text) <= 4 && len(ptext) <= 4 {
		// Same letters, or the same key at the same length ("LLK" and
		// "Ko", transcriptions of Cyrillic "ЛЛК" and "Ко", are "LLC" and
		// "Co").
		return text == ptext || (len(text) == len(ptext) && len(text) >= 2 && key == pkey)
	}
	return fuzzyKeyEqual(key, pkey, row) || fuzzyKeyEqual(text, ptext, row)
}

// matchLegal finds the longest legal form starting at word i of a name
// (texts are the folded words, keys their romanisation keys); it returns the
// class and the number of words, or "" and 0. last is the position of the
// name's last word outside parentheses, for the edge and tail rules. known,
// when not nil, marks words the list has as ordinary words: they are not
// read as misspelt legal forms. glued, when not nil, marks the letters
// written together with the letter before them (gluedLetters): a form
// written in letters ("S.p.A.", "C.A.") must be all of its group, not the
// end or the middle of a longer acronym ("A.S.P.", "U.S.A.").
func matchLegal(texts, keys []string, known, glued []bool, i, last int, row []int, dm *delMemo) (string, int) {
	k := keys[i]
	best, bestLen := "", 0
	try := func(ps []*legalPhrase) {
		for _, p := range ps {
			if len(p.keys) <= bestLen || i+len(p.keys) > len(keys) {
				continue
			}
			// Every word must agree, except that in a phrase of three
			// words or more one word after the first may be garbled
			// ("S.A. de C.ff.", "Limited Liability Kompanie").
			// A garbled letter is a letter or two ("C.ff." for "C.V."),
			// not a word: "A.S.P. BUILDERS" holds no S.p.A.
			misses := 0
			for j := 0; j < len(p.keys) && misses <= 1; j++ {
				if !legalWordEqual(texts[i+j], keys[i+j], p.words[j], p.keys[j], row) {
					misses++
					if j == 0 || len(p.keys) < 3 || len(p.words[j]) == 1 && len(texts[i+j]) > 2 {
						misses = 2
					}
				}
			}
			if misses > 1 {
				continue
			}
			if glued != nil && (len(p.words[0]) == 1 && glued[i] ||
				len(p.words[len(p.words)-1]) == 1 && i+len(p.words) < len(glued) && glued[i+len(p.words)]) {
				continue
			}
			end := i+len(p.keys)-1 >= last
			if (p.pos == posEdge && i != 0 && !end) || (p.pos == posTail && (!end || i == 0)) {
				continue
			}
			best, bestLen = p.class, len(p.keys)
		}
	}
	try(legalByFirst[k])
	if len(k) >= 3 && (known == nil || !known[i]) {
		// A word the list lacks may be a legal form with two typos
		// ("Cmoeany"); in the list's own names, one.
		loose := known != nil
		seen := ""
		visit := func(m string) bool {
			f := legalFirstOf[m]
			if f == k || f == seen {
				return true
			}
			seen = f
			// A lone word read as a legal form despite a typo must be long
			// enough not to be some other word.
			ps := legalByFirst[f]
			if len(f) < 6 {
				var multi []*legalPhrase
				for _, p := range ps {
					if len(p.keys) > 1 {
						multi = append(multi, p)
					}
				}
				ps = multi
			}
			try(ps)
			return true
		}
		legalFirstFuzzy.eachLoose(k, loose, row, dm, visit)
		if texts[i] != k {
			legalFirstFuzzy.eachLoose(texts[i], loose, row, dm, visit)
		}
	}
	return best, bestLen
}
