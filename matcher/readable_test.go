package matcher

import (
	"slices"
	"testing"
)

func TestRead(t *testing.T) {
	tests := []struct {
		name       string
		comparable bool
		unread     []string
	}{
		{"Huawei Technologies", true, nil},
		{"Лаборатория Касперского", true, nil},
		{"Ελληνική Εταιρεία", true, nil},
		{"Société Générale", true, nil},
		{"ＫＡＳＰＥＲＳＫＹ", true, nil},
		{"!!!", false, nil},
		{"😀", false, nil},
		{"LLC", false, nil},
		{"The", false, nil},
		{"OOO", false, nil},
		{"华为技术有限公司", true, nil},
		{"김정은", true, nil},
		{"トヨタ", true, nil},
		{"トヨタ自動車", true, []string{"Han"}}, // kanji with kana: Japanese readings
		{"ქართული", true, nil},
		{"भारत", true, nil},
		{"ประเทศไทย", false, []string{"Thai"}},
		{"بشار الأسد", true, nil},
		{"דן גרטלר", true, nil},
		{"தமிழ்நாடு", false, []string{"Tamil"}},
		{"Huawei 华为", true, nil},
		{"Huawei தமிழ்", true, []string{"Tamil"}},
	}
	for _, tt := range tests {
		r := Read(tt.name)
		if r.Comparable() != tt.comparable || !slices.Equal(r.Unread, tt.unread) {
			t.Errorf("Read(%q) = %+v; want comparable %v, unread %v", tt.name, r, tt.comparable, tt.unread)
		}
	}
}

func BenchmarkUnreadScriptsASCII(b *testing.B) {
	for i := 0; i < b.N; i++ {
		UnreadScripts("Kaspersky Labs Limited")
	}
}
