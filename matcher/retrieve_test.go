package matcher

import "testing"

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
