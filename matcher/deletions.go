package matcher

import (
	"math/bits"
	"slices"
)

// Deletion neighbourhoods find the words within a few edits of a word
// without comparing it against every word, SymSpell-style: every word of a
// set is stored under each string obtained by deleting up to its budget of
// letters from it, and a word looked up reads its own deletions. Two words
// within edit distance d share a deletion of at most d letters on each
// side, so the look-up finds every candidate within the budget; the
// candidates are then verified with a real (OSA) edit distance.
//
// Deletions are hashed, never built as strings (forDeletions). Two sets are
// kept this way:
//   - the list's spellings, for typos of query words (typos.go), in
//     delIndex: the hashes in one sorted array with a directory over their
//     top bits, no per-entry pointers, a few megabytes for the full list,
//     and a look-up that touches one or two cache lines;
//   - the words of legal forms (legalform.go), a few hundred, in fuzzySet,
//     with delMemo remembering a query word's hashes across the sets.

const (
	seedCanon uint64 = 0x9e3779b97f4a7c15
	seedKey   uint64 = 0xc2b2ae3d27d4eb4f
)

// hashSkip is FNV-1a with a seed, over s with up to two positions skipped
// (skip1/skip2 < 0 for none).
func hashSkip(s string, skip1, skip2 int, seed uint64) uint64 {
	h := seed ^ 0xcbf29ce484222325
	for i := 0; i < len(s); i++ {
		if i == skip1 || i == skip2 {
			continue
		}
		h ^= uint64(s[i])
		h *= 0x100000001b3
	}
	h ^= uint64(len(s) - boolInt(skip1 >= 0) - boolInt(skip2 >= 0))
	h *= 0x100000001b3
	return h
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// forDeletions calls fn with the hash of w and of every distinct string made
// by deleting up to min(limit, maxEdits(len(w))) letters from it.
func forDeletions(w string, seed uint64, limit int, fn func(h uint64)) {
	if !isASCII(w) {
		forRuneDeletions(w, seed, limit, fn)
		return
	}
	d := min(limit, maxEdits(len(w)))
	if len(w) > maxTypoWord {
		// No name has such words; the neighbourhood of a runaway one
		// (a pasted blob) would cost time quadratic in its length.
		d = 0
	}
	fn(hashSkip(w, -1, -1, seed))
	if d == 0 {
		return
	}
	// The hashes are hashSkip's, made from the FNV state after each prefix
	// rather than from the start: a third of the work for two deletions.
	n := len(w)
	var pre [maxTypoWord + 1]uint64
	pre[0] = seed ^ fnvOffset
	for k := 0; k < n; k++ {
		pre[k+1] = (pre[k] ^ uint64(w[k])) * fnvPrime
	}
	for i := 0; i < n; i++ {
		// Deleting either letter of a doubled pair gives the same string.
		if i > 0 && w[i] == w[i-1] {
			continue
		}
		fn(fnvFinish(fnvFeed(pre[i], w[i+1:]), n-1))
		if d < 2 {
			continue
		}
		q := pre[i] // w[:i], then w[i+1:j]
		for j := i + 1; j < n; j++ {
			if !(j > i+1 && w[j] == w[j-1]) {
				fn(fnvFinish(fnvFeed(q, w[j+1:]), n-2))
			}
			q = (q ^ uint64(w[j])) * fnvPrime
		}
	}
}

const (
	fnvOffset = 0xcbf29ce484222325
	fnvPrime  = 0x100000001b3
)

// fnvFeed continues an FNV-1a hash over s.
func fnvFeed(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return h
}

// fnvFinish ends a deletion hash with the length of the string hashed.
func fnvFinish(h uint64, n int) uint64 {
	return (h ^ uint64(n)) * fnvPrime
}

// appendDeletions appends to hs the hashes forDeletions gives, in its
// order. The query path collects them first and looks them all up in one
// tight loop (delIndex.appendHits), so that the index's cache misses
// overlap instead of following one another.
func appendDeletions(hs []uint64, w string, seed uint64, limit int) []uint64 {
	forDeletions(w, seed, limit, func(h uint64) { hs = append(hs, h) })
	return hs
}

// forRuneDeletions is forDeletions for a word still in another script
// (Chinese, Arabic, Hebrew: nothing transliterates them): it deletes letters,
// not UTF-8 bytes, so a one-letter typo there is one edit, as it is in Latin.
// Such words are rare in the lists, so this path favours plainness over speed.
func forRuneDeletions(w string, seed uint64, limit int, fn func(h uint64)) {
	rs := []rune(w)
	d := min(limit, maxEdits(len(rs)))
	if len(rs) > maxTypoWord {
		d = 0
	}
	fn(hashSkipRunes(rs, -1, -1, seed))
	if d == 0 {
		return
	}
	for i := range rs {
		if i > 0 && rs[i] == rs[i-1] {
			continue
		}
		fn(hashSkipRunes(rs, i, -1, seed))
		if d < 2 {
			continue
		}
		for j := i + 1; j < len(rs); j++ {
			if j > i+1 && rs[j] == rs[j-1] {
				continue
			}
			fn(hashSkipRunes(rs, i, j, seed))
		}
	}
}

// hashSkipRunes is hashSkip over letters; the high bit set on every letter
// keeps these hashes apart from the ASCII ones.
func hashSkipRunes(rs []rune, skip1, skip2 int, seed uint64) uint64 {
	h := seed ^ 0xcbf29ce484222325
	for i, r := range rs {
		if i == skip1 || i == skip2 {
			continue
		}
		h ^= uint64(r) | 1<<63
		h *= 0x100000001b3
	}
	h ^= uint64(len(rs) - boolInt(skip1 >= 0) - boolInt(skip2 >= 0))
	h *= 0x100000001b3
	return h
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// delIndex maps deletion hashes to spelling ids. Entries are sorted by hash;
// the directory, indexed by a hash's top bits, gives each bucket's range,
// and an entry keeps only the hash's next 32 bits as a check (a rare false
// hit costs one edit-distance verification, nothing more).
type delIndex struct {
	entries []delEntry
	dir     []uint32 // dir[b] is the first entry whose hash's top bits are b
	shift   uint
}

type delEntry struct {
	check uint32
	id    uint32
}

func (d *delIndex) checkOf(h uint64) uint32 { return uint32(h >> (d.shift - 32)) }

// buildDelIndex builds the index from gen, which calls its argument with
// every (hash, spelling) pair, twice over: a counting sort by bucket needs
// no array of pairs and no comparison sort, which keeps Build fast for
// large lists. Within a bucket, order does not matter; repeated pairs are
// dropped.
func buildDelIndex(gen func(fn func(h uint64, id uint32))) delIndex {
	n := 0
	gen(func(uint64, uint32) { n++ })
	// About four entries a bucket: one cache line to scan, and a directory
	// a quarter the size of the entries.
	nb := 1
	if n > 4 {
		nb = bits.Len(uint(n/4 - 1))
	}
	nb = min(max(nb, 1), 30)
	d := delIndex{shift: uint(64 - nb)}
	counts := make([]uint32, (1<<nb)+1)
	gen(func(h uint64, _ uint32) { counts[(h>>d.shift)+1]++ })
	for b := 1; b < len(counts); b++ {
		counts[b] += counts[b-1]
	}
	entries := make([]delEntry, n)
	fill := make([]uint32, 1<<nb)
	copy(fill, counts[:1<<nb])
	gen(func(h uint64, id uint32) {
		b := h >> d.shift
		entries[fill[b]] = delEntry{check: d.checkOf(h), id: id}
		fill[b]++
	})
	// Drop repeats within each bucket, compacting in place.
	d.dir = counts
	w := uint32(0)
	for b := 0; b < 1<<nb; b++ {
		from, to := d.dir[b], d.dir[b+1]
		d.dir[b] = w
		for i := from; i < to; i++ {
			dup := false
			for j := d.dir[b]; j < w; j++ {
				if entries[j] == entries[i] {
					dup = true
					break
				}
			}
			if !dup {
				entries[w] = entries[i]
				w++
			}
		}
	}
	d.dir[1<<nb] = w
	d.entries = slices.Clip(entries[:w])
	return d
}

func (d *delIndex) size() int { return len(d.entries) }

// appendHits appends the spelling ids stored under each of hs, hash by
// hash, each hash's in the index's order.
func (d *delIndex) appendHits(dst []uint32, hs []uint64) []uint32 {
	if len(d.dir) == 0 {
		return dst
	}
	for _, h := range hs {
		b := h >> d.shift
		c := d.checkOf(h)
		for _, e := range d.entries[d.dir[b]:d.dir[b+1]] {
			if e.check == c {
				dst = append(dst, e.id)
			}
		}
	}
	return dst
}

// fuzzySet holds a few hundred keys and finds those within fuzzyKeyEqual of
// a query key through their deletion neighbourhoods, without comparing
// against every member.
type fuzzySet struct {
	members []string
	byDel   map[uint64][]int32
	// f holds every deletion hash stored, so that the common case, a word
	// that is no legal form, costs no map lookup. seal makes it.
	f filter
}

func (f *fuzzySet) add(k string) {
	if f.byDel == nil {
		f.byDel = map[uint64][]int32{}
	}
	id := int32(len(f.members))
	f.members = append(f.members, k)
	forDeletions(k, seedKey, fuzzyEdits(len(k)), func(h uint64) {
		ids := f.byDel[h]
		if len(ids) == 0 || ids[len(ids)-1] != id {
			f.byDel[h] = append(ids, id)
		}
	})
}

// seal builds the filter once every member is added.
func (f *fuzzySet) seal() {
	f.f = newFilter(len(f.byDel), 16)
	for h := range f.byDel {
		f.f.add(h)
	}
}

// fuzzyEdits mirrors fuzzyKeyEqual's budget.
func fuzzyEdits(n int) int {
	switch {
	case n >= 7:
		return 2
	case n >= 3:
		return 1
	}
	return 0
}

// each calls fn with every member within fuzzyKeyEqual of key, stopping
// when fn returns false.
func (f *fuzzySet) each(key string, row []int, dm *delMemo, fn func(m string) bool) {
	f.eachLoose(key, false, row, dm, fn)
}

// eachLoose is each, with the looser budget for words the list lacks. dm,
// when not nil, holds key's deletion hashes, or will.
func (f *fuzzySet) eachLoose(key string, loose bool, row []int, dm *delMemo, fn func(m string) bool) {
	if f.byDel == nil {
		return
	}
	var w fuzzyWalk
	if dm != nil {
		for _, h := range dm.hashes(key) {
			if w.stop {
				return
			}
			f.step(&w, h, key, loose, row, fn)
		}
		return
	}
	forDeletions(key, seedKey, fuzzyEdits(len(key)), func(h uint64) { f.step(&w, h, key, loose, row, fn) })
}

// fuzzyWalk is the state of one eachLoose.
type fuzzyWalk struct {
	seen [32]int32
	n    int
	stop bool
}

// step visits the members stored under deletion hash h.
func (f *fuzzySet) step(w *fuzzyWalk, h uint64, key string, loose bool, row []int, fn func(m string) bool) {
	if w.stop {
		return
	}
	if !f.f.has(h) {
		return
	}
	for _, id := range f.byDel[h] {
		dup := false
		for _, x := range w.seen[:w.n] {
			if x == id {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		if w.n < len(w.seen) {
			w.seen[w.n] = id
			w.n++
		}
		if m := f.members[id]; fuzzyLegalEqual(key, m, loose, row) && !fn(m) {
			w.stop = true
			return
		}
	}
}

func (f *fuzzySet) has(key string, row []int, dm *delMemo) bool {
	found := false
	f.each(key, row, dm, func(string) bool { found = true; return false })
	return found
}

// delMemo remembers, for one query, the deletion hashes (seedKey, the
// legal-form sets' budget) of the words the legal-form look-ups read: a
// word the list lacks is read against three sets, by key and as written.
type delMemo struct {
	words []byte // the words, one after another
	ents  []delMemoEnt
	hs    []uint64
}

type delMemoEnt struct {
	wOff, wLen, hOff, hLen int32
}

func (m *delMemo) reset() {
	m.words, m.ents, m.hs = m.words[:0], m.ents[:0], m.hs[:0]
}

// hashes returns what forDeletions gives for w with the legal-form sets'
// seed and budget; valid until the next reset.
func (m *delMemo) hashes(w string) []uint64 {
	for _, e := range m.ents {
		if string(m.words[e.wOff:e.wOff+e.wLen]) == w {
			return m.hs[e.hOff : e.hOff+e.hLen]
		}
	}
	e := delMemoEnt{wOff: int32(len(m.words)), wLen: int32(len(w)), hOff: int32(len(m.hs))}
	m.words = append(m.words, w...)
	m.hs = appendDeletions(m.hs, w, seedKey, fuzzyEdits(len(w)))
	e.hLen = int32(len(m.hs)) - e.hOff
	m.ents = append(m.ents, e)
	return m.hs[e.hOff:]
}
