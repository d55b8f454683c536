package matcher

import (
	"hash/maphash"
	"math/bits"
)

// filter is a set of 64-bit hashes that answers "no" or "maybe": has never
// says no for a hash that was added, and says maybe for a few others. It
// stands in front of a map whose misses each cost a cache miss or two, in
// the look-ups that mostly miss, and is small enough to stay in cache.
//
// Each hash sets two bits in one 64-bit word (a blocked Bloom filter with
// one block per look-up): the word from the hash's bits 12 and up, the two
// bits from bits 0-5 and 6-11. Hashes must be mixed in their low bits. The
// three users feed it their own hashes, each made the way its look-up
// already has them: strFilter a maphash of the string, partSet a
// polynomial hash of every prefix and suffix of a word made in one pass
// (bestCut), fuzzySet the deletion hashes (deletions.go).
type filter struct {
	words []uint64 // a power of two long
}

// newFilter returns an empty filter with room for n hashes at about
// bitsEach bits each, rounded up to a power of two words. With 16 bits,
// about one absent hash in sixty passes; with 32, one in two hundred
// (fewer when the size rounds up).
func newFilter(n, bitsEach int) filter {
	w := (n*bitsEach + 63) / 64
	lg := 0
	if w > 1 {
		lg = bits.Len(uint(w - 1))
	}
	return filter{words: make([]uint64, 1<<lg)}
}

func (f *filter) add(h uint64) {
	f.words[int(h>>12)&(len(f.words)-1)] |= 1<<(h&63) | 1<<((h>>6)&63)
}

// has reports whether h may have been added; false means it was not. It
// repeats add's arithmetic rather than share a helper, which keeps it, and
// its callers, within the compiler's inlining budget.
func (f *filter) has(h uint64) bool {
	b := uint64(1)<<(h&63) | uint64(1)<<((h>>6)&63)
	return f.words[int(h>>12)&(len(f.words)-1)]&b == b
}

// strFilter is a filter over a set of strings, the keys of a map.
type strFilter struct {
	seed maphash.Seed
	f    filter
}

func newStrFilter[V any](m map[string]V) strFilter {
	f := strFilter{seed: maphash.MakeSeed(), f: newFilter(max(len(m), 64), 16)}
	for k := range m {
		f.f.add(maphash.String(f.seed, k))
	}
	return f
}

// has reports whether s may be in the set.
func (f *strFilter) has(s string) bool {
	return f.f.has(maphash.String(f.seed, s))
}

// hasBytes is has for a string held in a byte slice.
func (f *strFilter) hasBytes(s []byte) bool {
	return f.f.has(maphash.Bytes(f.seed, s))
}
