package matcher

import (
	"strings"
	"testing"
)

// TestKoreanKeys checks that the spellings of one Korean syllable in the
// North's and the South's romanisations, and the South's own spellings of
// family names, share a key, and that other syllables do not.
func TestKoreanKeys(t *testing.T) {
	same := [][]string{
		{"kim", "gim"},
		{"jong", "jeong", "chong", "chung", "jung"},
		{"un", "eun"},
		{"ri", "lee", "yi", "i", "rhee"},
		{"pak", "park", "bak"},
		{"choe", "choi", "chwe"},
		{"ryong", "ryeong", "yong"},
		{"hyok", "hyeok", "hyuk"},
		{"chol", "cheol", "chul"},
		{"myong", "myeong", "myung"},
		{"ryu", "yu", "yoo"},
		{"rim", "lim", "im", "yim"},
		{"song", "seong", "sung"},
		{"o", "oh"},
		{"kwon", "gwon"},
	}
	shares := func(a, b string) bool {
		for _, k := range koreanKeys(nil, a) {
			for _, l := range koreanKeys(nil, b) {
				if k.k == l.k {
					return true
				}
			}
		}
		return false
	}
	for _, g := range same {
		for _, w := range g[1:] {
			if !shares(g[0], w) {
				t.Errorf("%q and %q: no common key (%v, %v)", g[0], w, koreanKeys(nil, g[0]), koreanKeys(nil, w))
			}
		}
	}
	for _, p := range [][2]string{{"kim", "kum"}, {"jong", "jang"}, {"un", "il"}, {"pak", "paek"}, {"chol", "chon"}, {"ri", "rim"}} {
		if shares(p[0], p[1]) {
			t.Errorf("%q and %q share a key", p[0], p[1])
		}
	}
	for _, w := range []string{"kaspersky", "trading", "xu", "fox", "strong", "li", "chen", "deng"} {
		if ks := koreanKeys(nil, w); len(ks) > 0 {
			t.Errorf("%q read as a Korean syllable: %v", w, ks)
		}
	}
}

// TestKoreanQuery checks which queries read as Korean names.
func TestKoreanQuery(t *testing.T) {
	ix := personIndex()
	for _, c := range []struct {
		q    string
		want bool
	}{
		{"Kim Jong Un", true},
		{"Lee Jae-yong", true},
		{"김정은", true},
		{"Park", false},    // one word
		{"Big Man", false}, // syllables, but no family name
		{"Pig Tan Bo", false},
		{"Song Trading Co", false}, // not every word a syllable
		{"Kim Jong Un LLC", false}, // a legal form
		{"Jong Un", true},          // "Jong" is a family name too
		{"Kim Jongun", true},       // a given name written as one word
		{"Jeongeun Kim", true},
		{"Kim Bongnam Seongeun", false}, // two such words
		{"Kimjongun", true},             // a whole name as one word
		{"Gimjeongeun", true},
		{"Kimono", false},    // a family name, but "ono" is no two syllables of two letters
		{"Kimberley", false}, // "berley" no two syllables
		{"Union", false},     // too short for a whole name
		{"Kim Kaspersky", false},
		{"Pablo Lee", false}, // "Pab-lo" is no Korean spelling
	} {
		s := ix.pool.Get().(*scratch)
		ix.prepareQuery(s, c.q)
		got := s.koreanQuery()
		ix.release(s)
		if got != c.want {
			t.Errorf("%q: Korean %v, want %v", c.q, got, c.want)
		}
	}
}

// TestKoreanCuts checks the cuts of a word into two Korean syllables: both
// where "ng" may end one syllable or start the next's "g".
func TestKoreanCuts(t *testing.T) {
	for _, c := range []struct {
		w    string
		cuts string
	}{
		{"jongun", "jon gun, jong un"},
		{"myongchol", "myong chol"},
		{"jeongeun", "jeon geun, jeong eun"},
		{"yongwon", "yon gwon, yong won"},
		{"bongnam", "bong nam"},
		{"kaspersky", ""},
		{"jong", ""},  // one syllable
		{"ono", ""},   // parts of two letters or more
		{"pablo", ""}, // no final b: "Pab-lo"
		{"hakbong", "hak bong"},
		{"sigmun", ""},
	} {
		var got []string
		koreanCuts(c.w, func(x, y string) { got = append(got, x+" "+y) })
		if g := strings.Join(got, ", "); g != c.cuts {
			t.Errorf("%q: cuts %q, want %q", c.w, g, c.cuts)
		}
	}
}
