package matcher

import (
	"strings"
	"testing"
)

// TestPartFilter checks that the parts filter never rules out a part the
// set holds, with hashes made the way bestCut makes them (every prefix and
// suffix in one pass), and that it rules out most strings the set lacks.
func TestPartFilter(t *testing.T) {
	words := strings.Fields("al nasser kaspersky lab ooo bitreit master card kronshtadt obshchestvo trading group")
	p := partSet{df: map[string]int32{}}
	for _, w := range words {
		p.df[w] = 1
	}
	p.seal()
	for _, w := range words {
		if !p.maybe(partHash(w), len(w)) {
			t.Errorf("%q: ruled out, but the set holds it", w)
		}
	}
	ix := Build([]Record{{ID: "k", Names: []string{"Kaspersky Lab", "Al Nasser Trading"}}})
	s := ix.pool.Get().(*scratch)
	defer ix.pool.Put(s)
	for _, w := range []string{"kasperskylab", "alnasser", "nassertrading", "labkaspersky"} {
		a, b, ok := ix.bestCut(s, w, len(w))
		if !ok || a+b != w {
			t.Errorf("bestCut(%q) = %q, %q, %v", w, a, b, ok)
		}
		for k := 2; k <= len(w)-2; k++ {
			if s.pre[k] != partHash(w[:k]) || s.suf[k] != partHash(w[k:]) {
				t.Fatalf("%q cut at %d: prefix or suffix hash differs from partHash", w, k)
			}
		}
	}
	passed := 0
	for _, w := range words {
		for k := 1; k < len(w); k++ {
			if _, ok := p.df[w[:k]]; !ok && p.maybe(partHash(w[:k]), k) {
				passed++
			}
		}
	}
	if passed > 5 {
		t.Errorf("%d strings the set lacks passed the filter", passed)
	}
}
