package matcher

import (
	"strings"
	"testing"
)

// TestCountFields checks the summary's word count against strings.Fields.
func TestCountFields(t *testing.T) {
	for _, s := range []string{"", "a", "kaspersky lab", " a  b\tc\n", "obshchestvo s ogranichennoi otvetstvennostyu", "华为 技术", "a\u00a0b", "x\u0085y\u2003z"} {
		if got, want := countFields(s), len(strings.Fields(s)); got != want {
			t.Errorf("countFields(%q) = %d, want %d", s, got, want)
		}
	}
}

// TestSummaryCountsWordsAsWritten checks the summary's "n of m query words"
// when a multi-word legal form is one query token: it once said "5 of 3".
func TestSummaryCountsWordsAsWritten(t *testing.T) {
	ix := Build([]Record{
		{ID: "1", Names: []string{"Veteran Avia LLC"}},
		{ID: "2", Names: []string{"Kaspersky Lab"}},
	})
	for _, tc := range []struct{ query, want string }{
		{"Veteran Avia Limited Liability Company", "5 of 5 query words match"},
		{"Veteran Avia LLC", "3 of 3 query words match"},
		{"Kaspersky Lab Limited Liability Company", "2 of 5 query words match"},
		{"Kasper Sky Lab", "3 of 3 query words match"},
	} {
		ms := ix.Screen(Query{Name: tc.query, MinScore: 0.5, Limit: 1})
		if len(ms) == 0 {
			t.Fatalf("%q: no match", tc.query)
		}
		if s := ms[0].Explanation.Summary; !strings.HasPrefix(s, tc.want) {
			t.Errorf("%q: summary %q, want it to start %q", tc.query, s, tc.want)
		}
	}
}
