package matcher

import (
	"reflect"
	"strings"
	"sync"
	"testing"
)

// A small list, written for these tests, with one entry per kind of name the
// real lists hold: a Russian individual written "LAST, First Patronymic", a
// Russian plant with a romanised alias, a Chinese company, an Arab
// individual, English-named institutions, a vessel, a Greek shipping firm,
// Ukrainian and Belarusian individuals, and some common-word distractors.
func testRecords() []Record {
	sdn := "Specially Designated Nationals (SDN) - Treasury Department"
	el := "Entity List (EL) - Bureau of Industry and Security"
	return []Record{
		0:  {ID: "petrov", Source: sdn, Type: "Individual", Countries: []string{"RU"}, Names: []string{"PETROV, Ivan Sergeyevich", "PETROFF, Ivan"}},
		1:  {ID: "novo", Source: el, Countries: []string{"RU"}, Names: []string{"Joint Stock Company Novosibirsk Instrument Making Plant", "AO Novosibirskiy Priborostroitelnyy Zavod"}},
		2:  {ID: "shen", Source: el, Countries: []string{"CN"}, Names: []string{"Shenzhen Bright Optical Technology Co., Ltd."}},
		3:  {ID: "rashid", Source: sdn, Type: "Individual", Countries: []string{"SY"}, Names: []string{"AL-RASHID, Ahmad Hassan"}},
		4:  {ID: "cdr", Source: el, Countries: []string{"IR"}, Names: []string{"International Centre for Defence Research"}},
		5:  {ID: "nont", Source: el, Countries: []string{"PK"}, Names: []string{"National Organization for Nuclear Technology"}},
		6:  {ID: "breeze", Source: sdn, Type: "Vessel", Countries: []string{"KP"}, Names: []string{"OCEAN BREEZE"}},
		7:  {ID: "khalid", Source: sdn, Type: "Individual", Countries: []string{"IQ"}, Names: []string{"ABD AL-RAHMAN, Khalid Mahmoud"}},
		8:  {ID: "papa", Source: sdn, Type: "Entity", Countries: []string{"GR"}, Names: []string{"Papadopoulos Shipping Company S.A."}},
		9:  {ID: "melnyk", Source: sdn, Type: "Individual", Countries: []string{"UA"}, Names: []string{"MELNYK, Serhiy Oleksandrovych"}},
		10: {ID: "lukash", Source: sdn, Type: "Individual", Countries: []string{"BY"}, Names: []string{"LUKASHENKA, Viktar Aliaksandravich"}},
		// The same entity on a second list keeps its id: a separate record.
		11: {ID: "petrov", Source: "Sectoral Sanctions Identifications List (SSI) - Treasury Department", Type: "Individual", Countries: []string{"RU"}, Names: []string{"PETROV, Ivan Sergeyevich"}},
		12: {ID: "petrov-bg", Source: sdn, Type: "Individual", Countries: []string{"BG"}, Names: []string{"PETROV, Ivan"}},
		13: {ID: "bright", Source: el, Countries: []string{"AE"}, Names: []string{"Bright Star Trading LLC"}},
		14: {ID: "ocean", Source: el, Countries: []string{"AE"}, Names: []string{"Ocean Shipping Lines FZE"}},
		15: {ID: "zarubezh", Source: el, Countries: []string{"RU"}, Names: []string{"Zarubezhneftegaz Holding"}},
		16: {ID: "kasp", Source: el, Countries: []string{"RU"}, Names: []string{"AO Kaspersky Lab", "Kaspersky Laboratory"}},
	}
}

var testIndex = sync.OnceValue(func() *Index { return Build(testRecords()) })

// TestVariationClasses checks that each kind of variation the matcher must
// tolerate finds the intended record, with the default threshold.
func TestVariationClasses(t *testing.T) {
	ix := testIndex()
	cases := []struct{ class, query, want string }{
		{"exact", "Shenzhen Bright Optical Technology Co., Ltd.", "shen"},
		{"exact", "PETROV, Ivan Sergeyevich", "petrov"},
		{"case_punct", "shenzhen bright-optical technology co ltd", "shen"},
		{"case_punct", "AL RASHID AHMAD HASSAN", "rashid"},
		{"case_punct", "Papadopoulos  Shipping Company, S. A.", "papa"},
		{"typo1", "Shenzen Bright Optical Technology", "shen"},
		{"typo1", "Novosibirsk Instrumnet Making Plant", "novo"},
		{"typo1", "Zarubezhneftegas Holding", "zarubezh"},
		{"typo2", "Novosibrisk Instrument Makign Plant", "novo"},
		{"typo2", "Papadopolous Shiping Company", "papa"},
		{"legal_form", "Novosibirsk Instrument Making Plant JSC", "novo"},
		{"legal_form", "Shenzhen Bright Optical Technology Limited", "shen"},
		{"legal_form", "Papadopoulos Shipping Company Sociedad Anonima", "papa"},
		{"legal_form", "Open Joint Stock Company Novosibirsk Instrument Making Plant", "novo"},
		{"reorder", "Sergeyevich Petrov Ivan", "petrov"},
		{"reorder", "Ivan Sergeyevich Petrov", "petrov"},
		{"reorder", "Optical Bright Shenzhen Technology Co Ltd", "shen"},
		{"token_drop", "Ivan Petrov", "petrov"},
		{"token_drop", "Novosibirsk Instrument Making JSC", "novo"},
		{"noise_token", "Shenzhen Bright Optical Technology Trading Co.", "shen"},
		{"noise_token", "Novosibirsk Instrument Making Plant International", "novo"},
		{"concat", "ShenzhenBright Optical Technology", "shen"},
		{"concat", "Novosibirsk InstrumentMaking Plant", "novo"},
		{"concat", "Zarubezh Neftegaz Holding", "zarubezh"},
		{"translit", "Petrov Ivan Sergeevich", "petrov"},
		{"translit", "Ivan Sergeievich Petroff", "petrov"},
		{"translit", "Novosibirskii Priborostroitelnyi Zavod", "novo"},
		{"translit", "Kasperskiy Laboratoriya", "kasp"},
		{"arabic_variant", "Ahmed Hasan AL-RASHID", "rashid"},
		{"arabic_variant", "Abdul Rahman, Khaled Mahmud", "khalid"},
		{"arabic_variant", "ABDEL RAHMAN, Khalid Mahmood", "khalid"},
		{"arabic_variant", "EL RASHID, Ahmed Hassan", "rashid"},
		{"cyrillic", "Петров Иван Сергеевич", "petrov"},
		{"cyrillic", "АО Новосибирский приборостроительный завод", "novo"},
		{"cyrillic", "Мельник Сергій Олександрович", "melnyk"},
		{"cyrillic", "Лукашэнка Віктар Аляксандравіч", "lukash"},
		{"greek", "Παπαδόπουλος Shipping Company", "papa"},
		{"diacritics", "Shénzhen Bríght Optícal Technology", "shen"},
		{"diacritics", "Petrov, Iván Sergéyevich", "petrov"},
		{"honorific", "Dr. Ivan Petrov", "petrov"},
		{"honorific", "Sheikh Ahmad Hassan al-Rashid", "rashid"},
		{"honorific", "Gen. Ivan Sergeyevich Petrov", "petrov"},
		{"honorific", "Mr Khalid Mahmoud Abd al-Rahman", "khalid"},
		{"lookalike", "5henzhen Br1ght 0ptical Techn0logy", "shen"},
		{"lookalike", "P3TROV, 1van", "petrov"},
		{"lookalike", "0CEAN BREEZE", "breeze"},
		{"british_american", "International Center for Defense Research", "cdr"},
		{"british_american", "National Organisation for Nuclear Technology", "nont"},
		{"abbreviation", "Intl Centre for Defence Research", "cdr"},
		{"abbreviation", "Natl Organization for Nuclear Tech", "nont"},
		{"abbreviation", "Shenzhen Bright Optical Tech Co", "shen"},
		{"homoglyph", "Shеnzhеn Bright Оptical Technology", "shen"}, // Cyrillic е and О among Latin letters
	}
	for _, c := range cases {
		ms := ix.Screen(Query{Name: c.query})
		found := false
		for _, m := range ms {
			if m.ID == c.want {
				found = true
			}
		}
		if !found {
			got := "nothing"
			if len(ms) > 0 {
				got = ms[0].MatchedName + " (" + ms[0].Explanation.Summary + ")"
			}
			t.Errorf("%s: %q: want %s, got %s", c.class, c.query, c.want, got)
		}
	}
}

// TestNoFalseAlerts checks queries that resemble listed names only in
// common words, legal forms or a single shared given name.
func TestNoFalseAlerts(t *testing.T) {
	ix := testIndex()
	for _, q := range []string{
		"Global Trading LLC", "Star Trading LLC", "Bank of America Corporation", "Ivan Ivanov", "Anna Petrova Kuznetsova",
		"Ocean Trading", "Shipping Company", "Joint Stock Company", "OOO", "Dr.", "International Trading Centre",
		"National Technology Company", "Kasparov Chess Foundation", "Ahmad Khan", "Holding", "Co., Ltd.", "",
		"   ", "-", "Shenzhen Dragon Electronics Co., Ltd.",
	} {
		if ms := ix.Screen(Query{Name: q}); len(ms) > 0 {
			t.Errorf("%q: want no match, got %q (%.3f: %s)", q, ms[0].MatchedName, ms[0].Score, ms[0].Explanation.Summary)
		}
	}
}

func TestCountryRanksLowerNeverRemoves(t *testing.T) {
	ix := testIndex()
	base := ix.Screen(Query{Name: "Ivan Petrov"})
	if len(base) < 2 {
		t.Fatalf("Ivan Petrov: want both Petrov records, got %v", idsOf(base))
	}
	bg := ix.Screen(Query{Name: "Ivan Petrov", Country: "bg"})
	if bg[0].ID != "petrov-bg" {
		t.Errorf("country BG: want petrov-bg first, got %v", idsOf(bg))
	}
	ru := ix.Screen(Query{Name: "Ivan Petrov", Country: "RU"})
	if ru[0].ID != "petrov" {
		t.Errorf("country RU: want petrov first, got %v", idsOf(ru))
	}
	if len(bg) != len(base) || len(ru) != len(base) {
		t.Errorf("a country must not remove matches: %d without, %d with BG, %d with RU", len(base), len(bg), len(ru))
	}
	for _, m := range bg {
		if m.ID != "petrov-bg" && m.Explanation.CountryPenalty == 0 {
			t.Errorf("country BG: %s (countries RU) has no country penalty", m.ID)
		}
		if m.ID == "petrov-bg" && m.Explanation.CountryPenalty != 0 {
			t.Errorf("country BG: petrov-bg penalised")
		}
	}
	// A penalty never drops a match below the threshold.
	for _, m := range ix.Screen(Query{Name: "Shenzhen Bright Optical Technology", Country: "US"}) {
		if m.Score < DefaultThreshold {
			t.Errorf("%s scored %.3f below the threshold after a country penalty", m.ID, m.Score)
		}
	}
	if ms := ix.Screen(Query{Name: "Shenzhen Bright Optical Technology", Country: "US"}); len(ms) == 0 {
		t.Errorf("a country mismatch removed the only match")
	}
}

func TestTypeFilter(t *testing.T) {
	ix := testIndex()
	if ms := ix.Screen(Query{Name: "Ocean Breeze", Type: "vessel"}); len(ms) == 0 || ms[0].ID != "breeze" {
		t.Errorf("type vessel: want breeze, got %v", idsOf(ms))
	}
	if ms := ix.Screen(Query{Name: "Ocean Breeze", Type: "Individual"}); len(ms) != 0 {
		t.Errorf("type individual: want nothing, got %v", idsOf(ms))
	}
	// Records without a type (most Entity List rows) are kept.
	if ms := ix.Screen(Query{Name: "Shenzhen Bright Optical Technology", Type: "Entity"}); len(ms) == 0 {
		t.Errorf("type entity: untyped record dropped")
	}
	if ms := ix.Screen(Query{Name: "Ivan Petrov", Type: "Entity"}); len(ms) != 0 {
		t.Errorf("type entity: individuals returned: %v", idsOf(ms))
	}
}

func TestLimitThresholdAndOneMatchPerRecord(t *testing.T) {
	ix := testIndex()
	all := ix.Screen(Query{Name: "Ivan Petrov", MinScore: 0.3})
	seen := map[int]bool{}
	for i, m := range all {
		if seen[m.Record] {
			t.Errorf("record %d returned twice", m.Record)
		}
		seen[m.Record] = true
		if i > 0 && m.Score > all[i-1].Score {
			t.Errorf("not sorted: %.3f after %.3f", m.Score, all[i-1].Score)
		}
		if m.Score < 0.3 || m.Score > 1 {
			t.Errorf("score %.3f outside [MinScore, 1]", m.Score)
		}
		rec := testRecords()[m.Record]
		if rec.ID != m.ID || rec.Names[m.NameIndex] != m.MatchedName {
			t.Errorf("match %+v does not point at its record's name", m)
		}
	}
	// Both records of the entity listed twice under one id come back.
	n := 0
	for _, m := range all {
		if m.ID == "petrov" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("want both records with id petrov, got %d", n)
	}
	if ms := ix.Screen(Query{Name: "Ivan Petrov", MinScore: 0.3, Limit: 1}); len(ms) != 1 {
		t.Errorf("limit 1: got %d", len(ms))
	}
	if ms := ix.Screen(Query{Name: "Ivan Petrovv", MinScore: 0.999}); len(ms) != 0 {
		t.Errorf("min score 0.999: got %v", idsOf(ms))
	}
}

func TestExplanation(t *testing.T) {
	ix := testIndex()
	ms := ix.Screen(Query{Name: "Kasperskiy Labs Ltd"})
	if len(ms) == 0 {
		t.Fatal("no match")
	}
	ex := ms[0].Explanation
	hows := map[string]string{}
	for _, w := range ex.Words {
		hows[w.Query] = w.How
		if w.Weight <= 0 || w.Weight > 1 || w.Score <= 0 || w.Score > 1 {
			t.Errorf("word %+v: weight and score must be in (0,1]", w)
		}
	}
	if hows["kasperskiy"] != HowTransliteration {
		t.Errorf("kasperskiy: how %q, want %q (%+v)", hows["kasperskiy"], HowTransliteration, ex.Words)
	}
	if hows["labs"] != HowSynonym {
		t.Errorf("labs: how %q, want %q (%+v)", hows["labs"], HowSynonym, ex.Words)
	}
	if !strings.Contains(ex.Summary, "kasperskiy") || !strings.Contains(ex.Summary, "transliteration") {
		t.Errorf("summary %q does not say how kasperskiy matched", ex.Summary)
	}
	// The best name is "Kaspersky Laboratory": only the query's legal form
	// is left over.
	if ms[0].MatchedName != "Kaspersky Laboratory" || !reflect.DeepEqual(ex.UnmatchedQuery, []string{"ltd"}) || len(ex.UnmatchedListed) != 0 {
		t.Errorf("matched %q; unmatched: query %v, listed %v; want Kaspersky Laboratory, [ltd] and []", ms[0].MatchedName, ex.UnmatchedQuery, ex.UnmatchedListed)
	}

	for _, c := range []struct{ query, how string }{
		{"Shenzen Bright Optical Technology Co Ltd", HowTypo},
		{"Kaspersky Lab OOO", HowExact},
		{"KasperskyLab", HowJoined},
		{"Shenzhen Bright Optical Technology Company Limited", HowLegalForm},
		{"Intl Centre for Defence Research", HowSynonym},
		{"International Center for Defence Research", HowSynonym},
		{"Kasp3rsky Lab", HowLookalike},
		{"Ahmed Hassan al-Rashid", HowTransliteration},
	} {
		ms := ix.Screen(Query{Name: c.query})
		if len(ms) == 0 {
			t.Errorf("%q: no match", c.query)
			continue
		}
		found := false
		for _, w := range ms[0].Explanation.Words {
			if w.How == c.how {
				found = true
			}
		}
		if !found {
			t.Errorf("%q: no word matched by %s: %+v", c.query, c.how, ms[0].Explanation.Words)
		}
	}
}

// TestNoExplanation checks that a query with NoExplanation returns the same
// matches, scores and order, with every Explanation left empty: on the
// small list, and on the full list over the tuning set when it is present.
func TestNoExplanation(t *testing.T) {
	check := func(ix *Index, q Query) {
		t.Helper()
		want := ix.Screen(q)
		q.NoExplanation = true
		got := ix.Screen(q)
		if len(got) != len(want) {
			t.Fatalf("%q: %d matches without explanations, %d with", q.Name, len(got), len(want))
		}
		for k := range got {
			if !reflect.DeepEqual(got[k].Explanation, Explanation{}) {
				t.Errorf("%q: match %d has an explanation: %+v", q.Name, k, got[k].Explanation)
			}
			w := want[k]
			w.Explanation = Explanation{}
			if !reflect.DeepEqual(got[k], w) {
				t.Errorf("%q: match %d is %+v without explanations, %+v with", q.Name, k, got[k], w)
			}
		}
	}
	for _, n := range []string{"Kasperskiy Labs Ltd", "Ivan Petrov", "Shenzen Bright Optical Technology Co Ltd", "Ocean Breeze"} {
		check(testIndex(), Query{Name: n, MinScore: 0.5})
	}
	if testing.Short() {
		return
	}
	_, ix := fullList(t)
	for i, c := range tuningSet(t) {
		if raceEnabled && i%8 != 0 {
			continue
		}
		check(ix, Query{Name: c.Query.Name})
		check(ix, Query{Name: c.Query.Name, Country: "RU", MinScore: 0.6, Limit: 3})
	}
}

// TestConcurrentScreen runs queries from several goroutines against one
// Index (run with -race) and checks they agree with sequential runs.
func TestConcurrentScreen(t *testing.T) {
	ix := Build(testRecords())
	queries := []string{"Ivan Petrov", "Shenzhen Bright Optical", "Kaspersky Lab", "Петров Иван", "Global Trading LLC",
		"AL RASHID Ahmad", "Novosibirsk Instrument Plant", "Ocean Breeze", "Intl Centre for Defence Research"}
	want := make([][]Match, len(queries))
	for i, q := range queries {
		want[i] = ix.Screen(Query{Name: q, MinScore: 0.5})
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for r := 0; r < 50; r++ {
				i := (g + r) % len(queries)
				if got := ix.Screen(Query{Name: queries[i], MinScore: 0.5}); !reflect.DeepEqual(got, want[i]) {
					t.Errorf("%q: concurrent result differs", queries[i])
					return
				}
			}
		}(g)
	}
	wg.Wait()
}

func TestEmptyIndexAndLen(t *testing.T) {
	var nilIx *Index
	if nilIx.Len() != 0 || nilIx.Screen(Query{Name: "x"}) != nil {
		t.Error("nil index must be empty")
	}
	ix := Build(nil)
	if ix.Len() != 0 || len(ix.Screen(Query{Name: "Ivan Petrov"})) != 0 {
		t.Error("empty index must match nothing")
	}
	if got := testIndex().Len(); got != len(testRecords()) {
		t.Errorf("Len = %d, want %d", got, len(testRecords()))
	}
	// Records without names, and names without words, are harmless.
	ix = Build([]Record{{ID: "a"}, {ID: "b", Names: []string{"", "()", "-"}}, {ID: "c", Names: []string{"Ivan Petrov"}}})
	if ms := ix.Screen(Query{Name: "Ivan Petrov"}); len(ms) != 1 || ms[0].ID != "c" {
		t.Errorf("got %v", idsOf(ms))
	}
}
