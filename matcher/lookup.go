package matcher

import "hash/maphash"

// strFilter is a filter over a set of strings, in front of a map whose
// misses each cost a cache miss or two: a few bits per string, small enough
// to stay in cache. has never says no for a string of the set; it says yes
// for about one string in a hundred that is not.
type strFilter struct {
	seed maphash.Seed
	bits []uint64 // two bits in one word per string; a power of two long
}

func newStrFilter[V any](m map[string]V) strFilter {
	n := 64
	for n < len(m) {
		n *= 2
	}
	f := strFilter{seed: maphash.MakeSeed(), bits: make([]uint64, n/4)}
	for k := range m {
		i, b := f.pos(maphash.String(f.seed, k))
		f.bits[i] |= b
	}
	return f
}

func (f *strFilter) pos(h uint64) (int, uint64) {
	return int(h>>12) & (len(f.bits) - 1), 1<<(h&63) | 1<<((h>>6)&63)
}

// has reports whether s may be in the set.
func (f *strFilter) has(s string) bool {
	i, b := f.pos(maphash.String(f.seed, s))
	return f.bits[i]&b == b
}

// hasBytes is has for a string held in a byte slice.
func (f *strFilter) hasBytes(s []byte) bool {
	i, b := f.pos(maphash.Bytes(f.seed, s))
	return f.bits[i]&b == b
}
