package matcher

import (
	"slices"
	"testing"
)

func TestDeletionIndex(t *testing.T) {
	words := []string{"kaspersky", "laboratory", "petrov", "ivanov", "lab"}
	d := buildDelIndex(func(fn func(uint64, uint32)) {
		for i, w := range words {
			forDeletions(w, seedCanon, 2, func(h uint64) { fn(h, uint32(i)) })
		}
	})
	find := func(q string) map[string]bool {
		got := map[string]bool{}
		forDeletions(q, seedCanon, 2, func(h uint64) {
			d.lookup(h, func(id uint32) { got[words[id]] = true })
		})
		return got
	}
	for q, want := range map[string]string{"kasperky": "kaspersky", "kaspresky": "kaspersky", "laboratroy": "laboratory", "petorv": "petrov", "ivanof": "ivanov"} {
		if !find(q)[want] {
			t.Errorf("%q: %q not among candidates %v", q, want, find(q))
		}
	}
	if got := find("lap"); got["lab"] {
		t.Errorf("three-letter words have no typo budget: %v", got)
	}
}

// TestDeletionHashes checks that forDeletions, which hashes from prefix
// states, gives hashSkip's hashes in hashSkip's order: every deletion of
// one and two letters, a doubled letter's deletions once.
func TestDeletionHashes(t *testing.T) {
	for _, w := range []string{"kaspersky", "mohammed", "aabbcc", "abcd", "abc", "ooo", "laboratoryinstituteofmoscowregionabcdefg"} {
		for _, limit := range []int{1, 2} {
			var want []uint64
			d := min(limit, maxEdits(len(w)))
			if len(w) > maxTypoWord {
				d = 0
			}
			want = append(want, hashSkip(w, -1, -1, seedCanon))
			for i := 0; i < len(w) && d > 0; i++ {
				if i > 0 && w[i] == w[i-1] {
					continue
				}
				want = append(want, hashSkip(w, i, -1, seedCanon))
				for j := i + 1; j < len(w) && d > 1; j++ {
					if j > i+1 && w[j] == w[j-1] {
						continue
					}
					want = append(want, hashSkip(w, i, j, seedCanon))
				}
			}
			got := appendDeletions(nil, w, seedCanon, limit)
			if !slices.Equal(got, want) {
				t.Errorf("%q, limit %d: %d hashes differ from hashSkip's %d", w, limit, len(got), len(want))
			}
		}
	}
}

// lookup calls fn with every spelling id stored under h.
func (d *delIndex) lookup(h uint64, fn func(id uint32)) {
	if len(d.dir) == 0 {
		return
	}
	b := h >> d.shift
	c := d.checkOf(h)
	for _, e := range d.entries[d.dir[b]:d.dir[b+1]] {
		if e.check == c {
			fn(e.id)
		}
	}
}
