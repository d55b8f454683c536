package matcher

import (
	"fmt"
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

// TestExactTokensHaveTheirEntrysKey checks what retrieve relies on to take
// a listed word's key matches from Build (Index.mates): a query token found
// as is in the vocabulary has that entry's key.
func TestExactTokensHaveTheirEntrysKey(t *testing.T) {
	check := func(ix *Index, names []string) {
		t.Helper()
		for _, n := range names {
			s := ix.pool.Get().(*scratch)
			ix.prepareQuery(s, n)
			ix.retrieve(s)
			for _, qt := range s.qt {
				if qt.exact && qt.tok.key != ix.vocab[qt.id].key {
					t.Errorf("%q: token %q has key %q, its entry %q has %q", n, qt.tok.text, qt.tok.key, ix.vocab[qt.id].canon, ix.vocab[qt.id].key)
				}
			}
			ix.release(s)
		}
	}
	names := []string{"Kasperskiy Labs Ltd", "KasperskyLab", "Ar-Rahman Trading", "Abdulrahman Kasp3rsky", "Intl Centre", "C0MPANY L1MITED Petrov"}
	for _, r := range testRecords() {
		names = append(names, r.Names...)
	}
	check(testIndex(), names)
	if testing.Short() {
		return
	}
	recs, ix := fullList(t)
	names = names[:0]
	for i, c := range tuningSet(t) {
		if !raceEnabled || i%8 == 0 {
			names = append(names, c.Query.Name)
		}
	}
	for i, r := range recs {
		if i%7 == 0 && (!raceEnabled || i%49 == 0) {
			names = append(names, r.Names...)
		}
	}
	check(ix, names)
}
