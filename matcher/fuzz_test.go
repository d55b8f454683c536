package matcher

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzScreen screens arbitrary strings against the small test list: no
// panic, scores in [MinScore, 1], at most Limit matches, one per record.
// The seeds run as a unit test; go test -fuzz=FuzzScreen ./matcher/
// explores further.
func FuzzScreen(f *testing.F) {
	for _, s := range []string{
		"", " ", "Kaspersky Lab", "ООО Лаборатория Касперского", "Παπαδόπουλος", "Kasp3rsky L4b", "((((", "a.k.a.",
		"\u0092\u0091'’`", "\x00\xff", "😀 Kaspersky 😀", "كاسبرسكي", "卡巴斯基实验室", strings.Repeat("Kaspersky ", 300),
		strings.Repeat("x", 5000), "A B C D E F G H I J K L M N O P Q R S T U V W X Y Z", "1111 0000 5555", "-- -- --",
		"Co. Ltd. LLC JSC OOO AO", "al al al al", "Abdulabdulabdul", "Dr. Dr. Mr. Sheikh",
		"بشار الأسد", "ال", "ـــ", "\u200cعلی\u200c", "نصر الله الله", "דן גרטלר", "华为Huawei技术", "김정은", "조선련봉총회사",
		"トヨタッ", "ッ", "ャ", "ー", "ा", "भारत्", "Երևան ու", "ᲛᲐᲠᲒᲝ", "ኢትዮጵያ", "ትምህርት ቤት",
	} {
		f.Add(s)
	}
	ix := testIndex()
	f.Fuzz(func(t *testing.T, name string) {
		if !utf8.ValidString(name) && len(name) > 2000 {
			return
		}
		ms := ix.Screen(Query{Name: name, Limit: 5})
		if len(ms) > 5 {
			t.Fatalf("%q: %d matches, limit 5", name, len(ms))
		}
		seen := map[int]bool{}
		for _, m := range ms {
			if m.Score < DefaultThreshold || m.Score > 1 {
				t.Fatalf("%q: score %v", name, m.Score)
			}
			if seen[m.Record] {
				t.Fatalf("%q: record %d twice", name, m.Record)
			}
			seen[m.Record] = true
		}
	})
}
