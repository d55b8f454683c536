package matcher

import (
	"reflect"
	"strings"
	"testing"
)

// texts returns the folded words of a name.
func texts(name string) []string {
	var sp splitter
	var out []string
	for _, w := range sp.split(name) {
		out = append(out, w.text)
	}
	return out
}

func TestSplitAndFold(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Kaspersky Lab", "kaspersky lab"},
		{"KASPERSKY-LAB", "kaspersky lab"},
		{"Kaspersky’s Laboratory", "kaspersky laboratory"}, // U+2019 possessive
		{"Kaspersky's Lab", "kaspersky lab"},
		{"O'Brien & Sons", "obrien and sons"},
		{"'ABD-AL-SAMAD, Muhammad", "abd al samad muhammad"},
		{"Sa'id", "said"},
		{"China?s Academy", "china academy"}, // the lists' lost quote
		{"Obshchestvo ?Gazprom?", "obshchestvo gazprom"},
		{"Nile Pétröleum Corporation", "nile petroleum corporation"},
		{"Dönñy  Lee", "donny lee"},
		{"Straße Ærø Łódź", "strasse aero lodz"},
		{"ＫＡＳＰＥＲＳＫＹ", "kaspersky"}, // full-width (NFKC)
		{"e\u0301cole", "ecole"},   // decomposed accent
		{"Co., Ltd.", "co ltd"},
		{"L.L.C.", "l l c"},
		{"(Pvt) Ltd", "pvt ltd"},
		{"  ;; ", ""},
	} {
		if got := strings.Join(texts(c.in), " "); got != c.want {
			t.Errorf("%q: got %q, want %q", c.in, got, c.want)
		}
	}
}

func TestParenthesesAndHyphens(t *testing.T) {
	var sp splitter
	ws := sp.split("Huawei Technologies (Huawei) al-Rahman")
	var paren, hyphen []string
	for _, w := range ws {
		if w.paren {
			paren = append(paren, w.text)
		}
		if w.hyphen {
			hyphen = append(hyphen, w.text)
		}
	}
	if !reflect.DeepEqual(paren, []string{"huawei"}) || !reflect.DeepEqual(hyphen, []string{"al"}) {
		t.Errorf("paren %v, hyphen %v", paren, hyphen)
	}
}

func TestTransliteration(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Лаборатория Касперского", "laboratoriya kasperskogo"},
		{"Щукин Хрущёв", "shchukin khrushchyov"},
		{"Цой Юрий Ямал", "tsoy yuriy yamal"},
		{"ООО Объединение", "ooo obedinenie"},
		{"Сергій Гліб Їжак", "serhiy hlib yizhak"},                    // Ukrainian: г is h
		{"Лукашэнка Віктар Ўладзімір", "lukashenka viktar uladzimir"}, // Belarusian
		{"Ђорђе Јовановић", "djordje jovanovic"},                      // Serbian
		{"Παπαδόπουλος", "papadopoulos"},                              // Greek, accents dropped, ου = ou
		{"Αθήνα Μπαρ", "athina mpar"},
		{"Kаspersky", "kaspersky"}, // Cyrillic а among Latin letters: a look-alike
		{"СЕО Тесh", "seo tech"},   // all-Cyrillic word transliterates; mixed word reads look-alikes
	} {
		if got := strings.Join(texts(c.in), " "); got != c.want {
			t.Errorf("%q: got %q, want %q", c.in, got, c.want)
		}
	}
}

func TestLookalikeDigits(t *testing.T) {
	for _, c := range []struct{ in, text, alt string }{
		{"kasp3rsky", "kaspersky", ""},
		{"c0mpany", "company", ""},
		{"5ervices", "services", ""},
		{"1nst1tute", "lnstltute", "institute"},
		{"726th", "726th", ""}, // ordinal
		{"a320", "a320", ""},   // model number: digits run
		{"cetc13", "cetc13", ""},
		{"3m", "3m", ""}, // too few letters
	} {
		text, alt, _ := readLookalikeDigits([]byte(c.in))
		if text != c.text || alt != c.alt {
			t.Errorf("%q: got %q/%q, want %q/%q", c.in, text, alt, c.text, c.alt)
		}
	}
	var got []string
	lookalikeVariants("a11", func(v string) bool { got = append(got, v); return false })
	if want := []string{"all", "ali", "ail", "aii"}; !reflect.DeepEqual(got, want) {
		t.Errorf("variants of a11: %v, want %v", got, want)
	}
}

func TestRomanisationKey(t *testing.T) {
	same := [][]string{
		{"kaspersky", "kasperskiy", "kasperskii", "kasperskij"[:9] + "y"},
		{"khasan", "hasan"},
		{"shchukin", "schukin", "shukin"},
		{"tsoy", "tsoi"},
		{"yuriy", "yuri", "iurii"},
		{"yakutsk", "iakutsk"},
		{"zhukov", "jukov", "dzhukov"},
		{"eksport", "export", "ecsport"},
		{"smirnov", "smirnoff", "smirnow"},
		{"yevgeny", "evgeny", "evgenii"},
		{"nikolayevich", "nikolaevich", "nikolaievich"},
		{"andreyev", "andreev"},
		{"technology", "tekhnology"},
		{"mohammed", "mohamed"},
		{"central", "kentral"},
	}
	for _, g := range same {
		k0 := string(romanKey(nil, g[0]))
		for _, w := range g[1:] {
			if k := string(romanKey(nil, w)); k != k0 {
				t.Errorf("key(%q) = %q, key(%q) = %q: want equal", g[0], k0, w, k)
			}
		}
	}
	for _, p := range [][2]string{{"petrov", "petrova"}, {"ivan", "iran"}, {"lab", "lap"}} {
		if string(romanKey(nil, p[0])) == string(romanKey(nil, p[1])) {
			t.Errorf("key(%q) = key(%q): want different", p[0], p[1])
		}
	}
}

func TestSkeleton(t *testing.T) {
	k := func(w string) string { return string(skeleton(nil, romanKey(nil, w))) }
	if k("muhammad") != k("mohamed") || k("muhammad") != k("mohammed") {
		t.Errorf("skeletons differ: %s %s %s", k("muhammad"), k("mohamed"), k("mohammed"))
	}
}

func TestOSA(t *testing.T) {
	row := make([]int, 64)
	for _, c := range []struct {
		a, b string
		max  int
		want int
	}{
		{"kaspersky", "kaspersky", 2, 0},
		{"kaspersky", "kasperksy", 2, 1}, // transposition
		{"kaspersky", "kasprsky", 2, 1},
		{"kaspersky", "kaspersy", 2, 1},
		{"kaspersky", "kaspresky", 2, 1},
		{"kaspersky", "kaspraski", 2, 3}, // beyond max: max+1
		{"abc", "", 3, 3},
		{"flores", "flroes", 1, 1},
	} {
		if got := osa(c.a, c.b, c.max, row); got != c.want {
			t.Errorf("osa(%q, %q, %d) = %d, want %d", c.a, c.b, c.max, got, c.want)
		}
	}
}

// TestAcronymRuns checks which runs of single letters the acronym reading
// joins, and that the plain reading keeps them as letters.
func TestAcronymRuns(t *testing.T) {
	for _, c := range []struct {
		in, plain, acronym string
		run                bool
	}{
		{"N.I.I. Argon", "n i i argon", "nii argon", true},
		{"N. I. I. Argon", "n i i argon", "nii argon", true},
		{"O O O Technopark", "o o o technopark", "ooo technopark", true},
		{"Y.V.Prigozhin", "y v prigozhin", "yv prigozhin", true},
		{"Prigozhin Y. V.", "prigozhin y v", "prigozhin yv", true},
		{"О.О.О. Вектор", "o o o vektor", "ooo vektor", true}, // Cyrillic letters
		{"NII Argon", "nii argon", "nii argon", false},
		{"A & B Trading", "a and b trading", "a and b trading", false},
		{"A-B Trading", "a b trading", "a b trading", false},           // a hyphen is no acronym's
		{"A., B. Trading", "a b trading", "a b trading", false},        // nor a comma
		{"A..B Trading", "a b trading", "a b trading", false},          // nor two dots
		{"X (A. B.) C", "x a b c", "x ab c", true},                     // in parentheses
		{"A (B) C", "a b c", "a b c", false},                           // across a bracket
		{"Plant No. 5 A. B.", "plant no 5 a b", "plant no 5 ab", true}, // digits are not letters
		{"S.A. de C.V.", "s a de c v", "sa de cv", true},
		{"X (f.k.a. Yukos)", "x f k a yukos", "x f k a yukos", false},   // an alias marker
		{"Fleurette I B.V.", "fleurette i b v", "fleurette i bv", true}, // one kind of separator
		{"A B.C.", "a b c", "a bc", true},
	} {
		var sp splitter
		got := strings.Join(wordTexts(sp.split(c.in)), " ")
		if got != c.plain || sp.hasRun != c.run {
			t.Errorf("%q: plain reading %q (run %v), want %q (run %v)", c.in, got, sp.hasRun, c.plain, c.run)
		}
		sp.acronyms = true
		if got := strings.Join(wordTexts(sp.split(c.in)), " "); got != c.acronym {
			t.Errorf("%q: acronym reading %q, want %q", c.in, got, c.acronym)
		}
	}
}

func wordTexts(ws []rawWord) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.text)
	}
	return out
}
