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
