package matcher

import (
	"fmt"
	"strings"
	"testing"
)

// TestStrFilter checks that the look-up filter never rules out a word of
// its set, whether asked with a string or with bytes, and rules out most
// others.
func TestStrFilter(t *testing.T) {
	m := map[string]int{}
	for i, w := range strings.Fields("kaspersky laboratory kasperskylab ooo bitreit al nasser trading a b") {
		m[w] = i
	}
	f := newStrFilter(m)
	for w := range m {
		if !f.has(w) || !f.hasBytes([]byte(w)) {
			t.Errorf("%q: ruled out, but the set holds it", w)
		}
	}
	passed := 0
	for i := 0; i < 1000; i++ {
		if f.has(fmt.Sprintf("absent%d", i)) {
			passed++
		}
	}
	if passed > 30 {
		t.Errorf("%d of 1000 absent words passed the filter", passed)
	}
}
