package matcher

import "testing"

func TestEditDistance(t *testing.T) {
	row := make([]int, 64)
	tests := []struct {
		a, b string
		max  int
		want int
	}{
		{"kaspersky", "kaspersky", 2, 0},
		{"kaspersky", "kasperskiy", 2, 1},
		{"kaspersky", "kapsersky", 2, 1}, // a swap is one edit (OSA)
		{"kaspersky", "kasparov", 2, 3},  // over the budget: max+1
		{"华为技术", "华为技木", 2, 1},           // one letter, not three bytes
		{"华为技术", "华为", 2, 2},
		{"华为技术", "中兴通讯", 2, 3},
		{"שלום", "שלומ", 1, 1},
	}
	for _, tc := range tests {
		if got := editDistance(tc.a, tc.b, tc.max, row); got != tc.want {
			t.Errorf("editDistance(%q, %q, %d) = %d, want %d", tc.a, tc.b, tc.max, got, tc.want)
		}
	}
}

// A name that no table transliterates (Tamil here) still tolerates a
// one-letter typo, counted in letters, and still refuses an unrelated name.
func TestNonLatinTypo(t *testing.T) {
	ix := Build([]Record{
		{ID: "tn", Names: []string{"தமிழ்நாடு மின்சார வாரியம்"}},
		{ID: "x", Names: []string{"Northwind Avionics"}},
	})
	got := ix.Screen(Query{Name: "தமிழ்நாடு மின்சார வாரியமு"})
	if len(got) != 1 || got[0].ID != "tn" {
		t.Fatalf("typo in a Tamil name: %+v", got)
	}
	if got := ix.Screen(Query{Name: "சென்னை துறைமுக கழகம்"}); len(got) != 0 {
		t.Fatalf("unrelated Tamil name matched: %+v", got)
	}
}

// A name listed in Chinese characters is found as written and in pinyin,
// and an unrelated Chinese name is not.
func TestChineseListedName(t *testing.T) {
	ix := Build([]Record{
		{ID: "hw", Names: []string{"华为技术有限公司"}},
		{ID: "x", Names: []string{"Northwind Avionics"}},
	})
	for _, q := range []string{"华为技术有限公司", "Huawei Technologies Co., Ltd."} {
		if got := ix.Screen(Query{Name: q}); len(got) != 1 || got[0].ID != "hw" {
			t.Errorf("%s: %+v", q, got)
		}
	}
	if got := ix.Screen(Query{Name: "中兴通讯股份公司"}); len(got) != 0 {
		t.Fatalf("unrelated Chinese name matched: %+v", got)
	}
}
