package matcher

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
)

// scriptCase is a name written in another script: want is a word of the
// listed record it must find (case-insensitive, in any of its names), or
// "" for a name that is not listed and must match nothing.
type scriptCase struct {
	script, query, want string
}

// scriptCases are listed names as they are written in their own scripts,
// and unlisted names in the same scripts. The lists carry no names in
// these scripts (the CSL and OFAC's alternate names are romanised), so
// the spellings are ours: the ones the entities' own press, governments
// and newspapers use.
var scriptCases = []scriptCase{
	{"Arabic", "بشار الأسد", "ASSAD, Bashar"},
	{"Arabic", "قاسم سليماني", "SOLEIMANI, Qasem"},
	{"Arabic", "حسن نصر الله", "NASRALLAH, Hasan"},
	{"Arabic", "حسن نصرالله", "NASRALLAH, Hasan"},
	{"Arabic", "حزب الله", "HIZBALLAH"},
	{"Arabic", "أسامة بن لادن", "BIN LADIN, Usama"},
	{"Arabic", "أيمن الظواهري", "ZAWAHIRI, Ayman"},
	{"Arabic", "حماس", "HAMAS"},
	{"Arabic", "هانيبال القذافي", "GADDAFI, Hannibal"},
	{"Persian", "علی خامنه\u200cای", "KHAMENEI, Ali"},
	{"Persian", "بانک ملی ایران", "BANK MELLI IRAN"},
	{"Persian", "بانک صادرات ایران", "BANK SADERAT IRAN"},
	{"Persian", "ماهان ایر", "MAHAN AIR"},
	{"Persian", "محمد جواد ظریف", "ZARIF, Mohammad Javad"},
	{"Persian", "ابراهیم رئیسی", "RAISI, Ebrahim"},
	{"Persian", "علی شمخانی", "SHAMKHANI, Ali"},
	{"Persian", "سپاه پاسداران انقلاب اسلامی", "PASDARAN"},
	{"Hebrew", "דן גרטלר", "GERTLER, Dan"},
	{"Han", "华为技术有限公司", "HUAWEI TECHNOLOGIES"},
	{"Han", "华为", "HUAWEI"},
	{"Han", "李方伟", "LI, Fangwei"},
	{"Han", "中国电信", "CHINA TELECOM"},
	{"Han", "中国移动", "CHINA MOBILE"},
	{"Han", "中国联通", "CHINA UNICOM"},
	{"Han", "中国电子科技集团公司", "CHINA ELECTRONICS TECHNOLOGY GROUP"},
	{"Han", "曙光信息产业", "SHUGUANG"},
	{"Hangul", "김정은", "KIM, Jong Un"},
	{"Hangul", "최룡해", "CHOE, Ryong Hae"},
	{"Hangul", "박봉남", "PAK, Bong Nam"},
	{"Hangul", "김경학", "KIM, Kyong Hak"},
	{"Hangul", "조연준", "JO, Yon Jun"},
	{"Hangul", "리홍일", "RI, Hong-il"},
	{"Hangul", "김여정", "KIM, Yo Jong"},
	{"Kana", "ヤマキ株式会社", "YAMAKI, K.K."},
	{"Georgian", "თარხან ბატირაშვილი", "BATIRASHVILI, Tarkhan"},
	{"Georgian", "იოსებ ხარაბაძე", "Kharabadze"},
	{"Georgian", "მურად მარგოშვილი", "MARGOSHVILI, Murad"},
	{"Georgian", "ГРИГОРИЙ ЛЕПСВЕРИДЗЕ", "LEPSVERIDZE"},
	{"Armenian", "Թեննի Շախդարյան", "SHAKHDARIAN, Tenny"},
	{"Armenian", "Տեննի Դարյան", "DARIAN, Tenny"},
	{"Devanagari", "अजय गुप्ता", "GUPTA, Ajay"},
	{"Devanagari", "राजेश गुप्ता", "GUPTA, Rajesh"},
	{"Devanagari", "अखिलेश कुमार", "KUMAR, Akhilesh"},
	{"Ethiopic", "አብርሃ ካሳ", "KASSA, Abraha"},
	{"Hangul", "조선련봉총회사", "KOREA RYONBONG GENERAL"},
	{"Hangul", "조선단군무역회사", "KOREA TANGUN TRADING"},

	{"Arabic", "شركة الخليج للمقاولات", ""},
	{"Arabic", "جامعة القاهرة", ""},
	{"Arabic", "بنك مسقط", ""},
	{"Arabic", "مطعم الياسمين", ""},
	{"Arabic", "السلام عليكم", ""},
	{"Persian", "دانشگاه تهران", ""},
	{"Persian", "فروشگاه کتاب", ""},
	{"Hebrew", "בנק לאומי", ""},
	{"Hebrew", "תל אביב", ""},
	{"Hebrew", "בית ספר", ""},
	{"Han", "阿里巴巴", ""},
	{"Han", "腾讯控股", ""},
	{"Han", "百度在线网络技术有限公司", ""},
	{"Han", "北京饭店", ""},
	{"Han", "上海汽车集团", ""},
	{"Han", "陈静", ""},
	{"Han", "刘洋", ""},
	{"Hangul", "삼성전자", ""},
	{"Hangul", "현대자동차", ""},
	{"Hangul", "서울대학교", ""},
	{"Kana", "スズキ", ""},
	{"Kana", "さくら銀行", ""},
	{"Georgian", "საქართველოს ბანკი", ""},
	{"Georgian", "გიორგი ბერიძე", ""},
	{"Armenian", "Հայաստանի Կենտրոնական Բանկ", ""},
	{"Armenian", "Արամ Պետրոսյան", ""},
	{"Devanagari", "भारतीय स्टेट बैंक", ""},
	{"Devanagari", "सुनीता शर्मा", ""},
	{"Ethiopic", "የኢትዮጵያ ንግድ ባንክ", ""},
	{"Ethiopic", "ሰላም ተስፋዬ", ""},
	{"Hebrew", "ספרים", ""},
}

// TestScriptsFindListedNames screens names written in other scripts
// against the full list at the default threshold: listed ones must be
// found, unlisted ones must match nothing.
func TestScriptsFindListedNames(t *testing.T) {
	recs, ix := fullList(t)
	type tally struct{ found, total, quiet, negatives int }
	per := map[string]*tally{}
	for _, c := range scriptCases {
		tl := per[c.script]
		if tl == nil {
			tl = &tally{}
			per[c.script] = tl
		}
		ms := ix.Screen(Query{Name: c.query})
		if c.want == "" {
			tl.negatives++
			if len(ms) == 0 {
				tl.quiet++
				continue
			}
			t.Errorf("%s %q (not listed) matched %q (%.3f)", c.script, c.query, ms[0].MatchedName, ms[0].Score)
			continue
		}
		tl.total++
		found := false
		for _, m := range ms {
			for _, n := range recs[m.Record].Names {
				if strings.Contains(strings.ToLower(n), strings.ToLower(c.want)) {
					found = true
				}
			}
		}
		if found {
			tl.found++
			continue
		}
		got := "nothing"
		if len(ms) > 0 {
			got = fmt.Sprintf("%q (%.3f)", ms[0].MatchedName, ms[0].Score)
		}
		t.Errorf("%s %q: want %q, got %s; tokens %v", c.script, c.query, c.want, got, tokenTexts(c.query))
	}
	var names []string
	for s := range per {
		names = append(names, s)
	}
	sort.Strings(names)
	for _, s := range names {
		tl := per[s]
		t.Logf("%-10s listed found %d/%d, unlisted quiet %d/%d", s, tl.found, tl.total, tl.quiet, tl.negatives)
	}
}

func tokenTexts(name string) []string {
	var out []string
	for _, tk := range analyseName(name) {
		out = append(out, tk.text)
	}
	return out
}

func TestAbjadMeets(t *testing.T) {
	tests := []struct {
		letters, latin string
		want           bool
	}{
		{"بشار", "Bashar", true},
		{"بشار", "Beshar", true},
		{"محمد", "Muhammad", true},
		{"محمد", "Mohamed", true},
		{"محمد", "Mahmoud", true}, // short vowels are free; the cost of guessing them ranks it lower
		{"محمود", "Mahmoud", true},
		{"محمود", "Mahmud", true},
		{"قاسم", "Qasem", true},
		{"قاسم", "Ghasem", true},
		{"قاسم", "Kasim", true},
		{"جواد", "Javad", true},
		{"جواد", "Jawad", true},
		{"ظريف", "Zarif", true},
		{"علي", "Ali", true},
		{"علي", "Aly", true},
		{"احمدی\u200cنژاد", "Ahmadinejad", true},
		{"فاطمه", "Fatemeh", true},
		{"فاطمة", "Fatima", true},
		{"نصرالله", "Nasrallah", true},
		{"نصرالله", "Nasrollah", true},
		{"גרטלר", "Gertler", true},
		{"שלום", "Shalom", true},
		{"שלום", "Shlomo", true},
		{"حسن", "Hussein", true},
		{"حسن", "Hasan", true},
		{"حسن", "Hussain", true},
		{"بشار", "Bashir", false},
		{"حسن", "Hamas", false},
		{"حسين", "Hussein", true},
		{"حسين", "Husayn", true},
	}
	var kb []byte
	for _, tt := range tests {
		kb = romanKey(kb, strings.ToLower(tt.latin))
		got, _ := abjadMeets(abjadPattern(tt.letters), string(kb))
		if got != tt.want {
			t.Errorf("abjadMeets(%s, %s [key %s]) = %v; want %v", tt.letters, tt.latin, kb, got, tt.want)
		}
	}
	// Guessed vowels rank readings: Hasan before Hussein for حسن.
	guess := func(letters, latin string) int {
		kb = romanKey(kb, strings.ToLower(latin))
		_, g := abjadMeets(abjadPattern(letters), string(kb))
		return g
	}
	if a, b := guess("حسن", "Hasan"), guess("حسن", "Hussein"); a >= b {
		t.Errorf("guess(حسن): Hasan %d, Hussein %d; want Hasan lower", a, b)
	}
}

func TestScriptWords(t *testing.T) {
	tests := []struct {
		name string
		want []string
	}{
		{"بشار الأسد", []string{"bshar", "al", "asd"}},
		{"عبد الله", []string{"abd", "allh"}},
		{"الله", []string{"allh"}},
		{"علی خامنه\u200cای", []string{"ali", "khamnhai"}},
		{"بَشّار", []string{"bshar"}},
		{"דן גרטלר", []string{"dn", "grtlr"}},
		{"华为技术有限公司", []string{"hua", "wei", "technologies", "company", "limited"}},
		{"习近平", []string{"xi", "jin", "ping"}},
		{"Huawei 华为", []string{"huawei", "hua", "wei"}},
		{"김정은", []string{"kim", "jong", "un"}},
		{"이설주", []string{"ri", "sol", "ju"}},
		{"조선련봉총회사", []string{"korea", "ryon", "bong", "general", "corporation"}},
		{"トヨタ", []string{"toyota"}},
		{"きょうと", []string{"kyoto"}},
		{"ホッカイドウ", []string{"hokkaido"}},
		{"シャープ", []string{"shapu"}},
		{"ファミリー", []string{"famiri"}},
		{"მარგოშვილი", []string{"margoshvili"}},
		{"ᲛᲐᲠᲒᲝᲨᲕᲘᲚᲘ", []string{"margoshvili"}},
		{"Երևան", []string{"yerevan"}},
		{"ԱՐԱՄ", []string{"aram"}},
		{"Ոսկան", []string{"voskan"}},
		{"Հարություն", []string{"harutyun"}},
		{"भारत", []string{"bharat"}},
		{"गुप्ता", []string{"gupta"}},
		{"सिंह", []string{"sinh"}},
		{"አበበ", []string{"abebe"}},
		{"ተስፋዬ", []string{"tesfaye"}},
	}
	for _, tt := range tests {
		var sp splitter
		var got []string
		for _, w := range sp.split(tt.name) {
			got = append(got, w.text)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("split(%q) = %q; want %q", tt.name, got, tt.want)
		}
	}
}
