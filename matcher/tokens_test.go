package matcher

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// canons returns a name's tokens as canonical forms, titles marked "^" and
// function words "_".
func canons(name string) string {
	var out []string
	for _, t := range analyseName(name) {
		c := t.canon
		switch t.kind {
		case kindTitle:
			c = "^" + c
		case kindStop:
			c = "_" + c
		}
		out = append(out, c)
	}
	return strings.Join(out, " ")
}

func TestLegalFormEquivalents(t *testing.T) {
	classes := map[string][]string{
		"#llc": {"LLC", "L.L.C.", "OOO", "ООО", "Limited Liability Company", "Obshchestvo S Ogranichennoi Otvetstvennostyu",
			"Obshchestvo S Ogranichennoy Otvetstvennostyu", "Общество с ограниченной ответственностью", "GmbH", "SARL",
			"S.R.L.", "Ltda", "Sp. z o.o.", "Limited Liability Kompany", "Lmited Liability Company"},
		"#jsc": {"JSC", "AO", "АО", "ZAO", "OAO", "PAO", "CJSC", "OJSC", "PJSC", "Joint Stock Company", "Joint-Stock Company",
			"Aktsionernoe Obshchestvo", "Акционерное общество", "Открытое акционерное общество", "Public Joint Stock Company",
			"Closed Joint Stock Company", "Джоинт Стокк Компаны", "Sociedad Anonima", "Aktiengesellschaft", "Jiont Stock Company"},
		"#ltd": {"Ltd", "Ltd.", "Limited", "Co., Ltd.", "Company Limited", "(Pvt) Ltd", "Private Limited", "(Pty) Ltd", "Pty Ltd",
			"Sdn Bhd", "Sdn. Bhd.", "Pte Ltd", "Limtied"},
		"#corp": {"Inc", "Inc.", "Incorporated", "Corp.", "Corporation"},
		"#co":   {"Co", "Co.", "Company", "Cmpany"},
		"#plc":  {"PLC", "Public Limited Company"},
		"#fz":   {"FZE", "FZCO", "FZ-LLC", "Free Zone Establishment"},
		"#sue":  {"FGUP", "Federal State Unitary Enterprise", "State Unitary Enterprise"},
	}
	for class, forms := range classes {
		for _, f := range forms {
			// At the end of a name, where every form may stand.
			got := canons("Acme Widgets " + f)
			if got != "acme widget "+class {
				t.Errorf("%q: got %q, want %q", "Acme Widgets "+f, got, "acme widget "+class)
			}
		}
	}
	// Forms that are also words count only where legal forms stand.
	for in, want := range map[string]string{
		"AO Kaspersky Lab":          "#jsc kaspersky laboratory",
		"Kaspersky Lab AO":          "kaspersky laboratory #jsc",
		"As Sayed Trading":          "_al sayyid trading", // Arabic article, not Norwegian AS
		"Icarus Design AS":          "icarus design #jsc",
		"SA Mining Resources":       "sa mining resource",
		"LKCK International":        "lkck international", // not LLC, though its key is
		"Нуклин Ллк":                "nuklin #llc",        // a transcription of LLC
		"Consorcio Rirfus SA de CV": "consorcio rirfus #jsc",
	} {
		if got := canons(in); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

// TestLegalFormLetters checks that a legal form written in letters
// ("S.p.A.", "S.A.", "C.A.") is read as one only where it stands as one:
// the whole of its group of letters, at the end of the name, not letters
// inside or at the end of a longer acronym, nor a word read as a garbled
// letter.
func TestLegalFormLetters(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"A.S.P. BUILDERS", "_a _s p builder"}, // no S.p.A., "builders" is no garbled "A."
		{"A S P BUILDERS", "_a _s p builder"},
		{"BUILDERS A.S.P.A.", "builder _a _s p _a"}, // the end of a longer acronym
		{"Bank of the U.S.A.", "bank _of _the _u _s _a"},
		{"D.U.A.S.A.", "d _u _a _s _a"},
		{"Fincantieri S.p.A.", "fincantieri #jsc"},
		{"Fincantieri S.P.A.", "fincantieri #jsc"},
		{"Fincantieri SpA", "fincantieri #jsc"},
		{"Fincantieri S. p. A.", "fincantieri #jsc"},
		{"G.L.G. S.A.", "g l g #jsc"}, // a group of its own after an acronym
		{"M.A.T.S.A. S.A.", "m _a t _s _a #jsc"},
		{"C.I. S.A.S.", "c _i #jsc"},
		{"Consorcio Rirfus S.A. de C.ff.", "consorcio rirfus #jsc"}, // a garbled letter
		{"E.C.A. S.A.", "_e c _a #jsc"},
		{"Banco Venezolano S.C.A.", "bank venezolano #jsc"}, // S.p.A. with a letter garbled, and a legal form (en comandita por acciones)
	} {
		if got := canons(c.in); got != c.want {
			t.Errorf("%q: got %q, want %q", c.in, got, c.want)
		}
	}
}

// TestLegalFormLettersScreen checks the same on screening: letters of an
// acronym read as a legal form made "A.S.P. BUILDERS" the letter "a" and
// a joint-stock company, which any other "a" with such a company matched.
func TestLegalFormLettersScreen(t *testing.T) {
	ix := Build([]Record{
		{ID: "asp", Names: []string{"A.S.P. BUILDERS"}},
		{ID: "fincantieri", Names: []string{"Fincantieri S.p.A."}},
		{ID: "pdvsa", Names: []string{"Petroleos de Venezuela S.A."}},
	})
	for _, c := range []struct{ q, want, not string }{
		{q: "A.S.A.", not: "asp"},
		{q: "A S.A.", not: "asp"},
		{q: "A.S.P. Builders", want: "asp"},
		{q: "ASP Builders", want: "asp"},
		{q: "Fincantieri SpA", want: "fincantieri"},
		{q: "Fincantieri S.A.", want: "fincantieri"},
		{q: "Petroleos de Venezuela", want: "pdvsa"},
		{q: "A.C.A.", not: "asp"},
		{q: "A C.A.", not: "asp"},
	} {
		ids := screenIDs(ix, Query{Name: c.q})
		if c.want != "" && !slices.Contains(ids, c.want) {
			t.Errorf("%q: want %s among %v", c.q, c.want, ids)
		}
		if c.not != "" && slices.Contains(ids, c.not) {
			t.Errorf("%q: %s should not match", c.q, c.not)
		}
	}
}

func TestSynonymsAndSpellings(t *testing.T) {
	for in, want := range map[string]string{
		"International Centre for Defence Research": "international center _for defense research",
		"Intl Center for Defense Research":          "international center _for defense research",
		"National Organisation of Labour":           "national organization _of labor",
		"Natl. Organization of Labor":               "national organization _of labor",
		"Inst. of Aluminium Technologies":           "institute _of aluminum technology",
		"Kaspersky Labs":                            "kaspersky laboratory",
		"Mfg Dept":                                  "manufacturing department",
		"Harbour Theatre Programme":                 "harbor theater program",
		"Specialised Modernisation":                 "specialized modernization",
		"NPO Almaz":                                 "scientific production association almaz",
		"Mohammed Ahmed Husain":                     "muhammad ahmad husayn",
		"Mohamed Ahmad Hussein":                     "muhammad ahmad husayn",
		"Abdul Rahman":                              "abd _al rahman",
		"Abdulrahman":                               "abd _al rahman",
		"Abd al-Rahman":                             "abd _al rahman",
		"El-Sayed":                                  "_al sayyid",
		"Ar-Rashid":                                 "_al rashid",
		"Abdullah":                                  "abdullah",
		"Abdallah":                                  "abdullah",
		"Yousef Bin Laden":                          "yusuf bin laden",
	} {
		if got := canons(in); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

func TestHonorificsAndTitles(t *testing.T) {
	for in, want := range map[string]string{
		"Dr. Ivan Petrov":                "^dr ivan petrov",
		"Mr Ivan Petrov":                 "^mr ivan petrov",
		"Sheikh Ahmad Hassan":            "^sheikh ahmad hasan",
		"Gen. Ivan Petrov":               "^gen ivan petrov",
		"General Ivan Sergeevich Petrov": "^general ivan sergeevich petrov",
		"General Trading":                "general trading", // a rank word that is the name's own
		"General Electric Trading":       "general electric trading",
		"Col. Petrov Ivan":               "^col petrov ivan",
		"PETROV, Dr. Ivan":               "petrov ^dr ivan",
		"Haji Khairullah":                "^haji khairullah",
		"Sheikh":                         "sheikh", // nothing else: the word is the name
	} {
		if got := canons(in); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

func TestSubNames(t *testing.T) {
	got := subNames("Chitron Electronics Company Ltd., a.k.a. Chi-Chung Electronics Company Ltd. (Chitron-Shenzhen)")
	want := []string{"Chitron Electronics Company Ltd", "Chi-Chung Electronics Company Ltd. (Chitron-Shenzhen)"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q, want %q", got, want)
	}
	if subNames("Kaspersky Lab") != nil {
		t.Error("a name without alias markers has no parts")
	}
	if subNames("Alaska Trading") != nil {
		t.Error("'aka' inside a word is no marker")
	}
}

// TestLegalFormAloneNeverMatches: a name made of a legal form, or of a
// legal form and a function word, matches nothing, even against a listed
// name of the same form.
func TestLegalFormAloneNeverMatches(t *testing.T) {
	ix := Build([]Record{{ID: "x", Names: []string{"OOO", "Joint Stock Company", "The Company Limited"}}, {ID: "y", Names: []string{"Acme LLC"}}})
	for _, q := range []string{"OOO", "LLC", "Joint Stock Company", "The Company", "Limited", "ZAO"} {
		if ms := ix.Screen(Query{Name: q}); len(ms) > 0 {
			t.Errorf("%q matched %q", q, ms[0].MatchedName)
		}
	}
	// A changed legal form costs little.
	ms := ix.Screen(Query{Name: "Acme GmbH"})
	if len(ms) != 1 || ms[0].Score < 0.9 {
		t.Errorf("Acme GmbH: got %+v", ms)
	}
	ms = ix.Screen(Query{Name: "Acme Inc"})
	if len(ms) != 1 || ms[0].Score < DefaultThreshold || ms[0].Score >= 1 {
		t.Errorf("Acme Inc: a changed legal form should cost a little, got %+v", ms)
	}
}

// TestWordFactsReadTheSame checks that a query analysed with what Build
// read of the list's words (wordFacts) gives the same tokens as one that
// reads every word itself: on the small list, and on the full list over
// the tuning set when it is present.
func TestWordFactsReadTheSame(t *testing.T) {
	check := func(ix *Index, names []string) {
		t.Helper()
		with := ix.newScratch().(*scratch)
		without := ix.newScratch().(*scratch)
		ix.bindAnalyser(with)
		with.an.facts = ix.loadFacts
		ix.bindAnalyser(without)
		for _, n := range names {
			a := append([]token(nil), with.an.analyse(n)...)
			b := without.an.analyse(n)
			// A word Build read carries its vocabulary entry.
			for k := range a {
				if a[k].canonID == 0 {
					continue
				}
				id, ok := ix.byCanon[a[k].canon]
				if want := map[bool]int32{true: int32(id) + 1, false: -1}[ok]; a[k].canonID != want {
					t.Errorf("%q: token %q has vocabulary entry %d, want %d", n, a[k].text, a[k].canonID, want)
				}
				a[k].canonID = 0
			}
			if !reflect.DeepEqual(a, b) {
				t.Errorf("%q: with word facts %+v, without %+v", n, a, b)
			}
		}
	}
	var names []string
	for _, r := range testRecords() {
		names = append(names, r.Names...)
	}
	names = append(names, "Kasperskiy Labs Ltd", "KasperskyLab", "Ar-Rahman Trading", "Abdulrahman Kasp3rsky", "Intl Centre")
	check(testIndex(), names)
	if testing.Short() {
		return
	}
	_, ix := fullList(t)
	names = names[:0]
	for i, c := range tuningSet(t) {
		if raceEnabled && i%8 != 0 {
			continue
		}
		names = append(names, c.Query.Name)
	}
	check(ix, names)
}

// analyseName returns a copy of the tokens a fresh analyser makes of name.
func analyseName(name string) []token {
	var a analyser
	return append([]token(nil), a.analyse(name)...)
}
