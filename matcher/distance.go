package matcher

import (
	"unicode/utf8"

	"github.com/agnivade/levenshtein"
)

// letters is the length of a word in letters: its bytes when ASCII, its
// runes otherwise. Typo budgets and similarities are per letter.
func letters(w string) int {
	if isASCII(w) {
		return len(w)
	}
	return utf8.RuneCountInString(w)
}

// editDistance is the edit distance between two words, or max+1 when it
// exceeds max. Almost every word is ASCII once normalised (Latin folded,
// Cyrillic and Greek transliterated) and goes to osa, which is bounded,
// allocation-free and counts a swap of neighbours as one edit. A word still
// in another script (Chinese, Arabic, Hebrew) goes to agnivade/levenshtein,
// which counts letters rather than UTF-8 bytes: a one-character typo in
// "华为技术" is one edit, not three.
func editDistance(a, b string, max int, row []int) int {
	if isASCII(a) && isASCII(b) {
		return osa(a, b, max, row)
	}
	if d := levenshtein.ComputeDistance(a, b); d <= max {
		return d
	}
	return max + 1
}

// osa returns the optimal-string-alignment distance between a and b
// (insertions, deletions, substitutions and transpositions of adjacent
// letters, each costing one), or max+1 when it exceeds max. It works on
// bytes, so editDistance only gives it ASCII words.
//
// row is scratch space of at least 3*(len(b)+1) ints; it avoids an
// allocation per comparison on the query path.
func osa(a, b string, max int, row []int) int {
	la, lb := len(a), len(b)
	if d := la - lb; d > max || -d > max {
		return max + 1
	}
	if la == 0 {
		return lb
	}
	if lb == 0 {
		return la
	}
	// Strip a common prefix and suffix: they cost nothing.
	for la > 0 && lb > 0 && a[0] == b[0] {
		a, b = a[1:], b[1:]
		la--
		lb--
	}
	for la > 0 && lb > 0 && a[la-1] == b[lb-1] {
		la--
		lb--
	}
	a, b = a[:la], b[:lb]
	if la == 0 {
		return lb
	}
	if lb == 0 {
		return la
	}
	w := lb + 1
	if len(row) < 3*w {
		row = make([]int, 3*w)
	}
	prev2 := row[0:w]
	prev := row[w : 2*w]
	cur := row[2*w : 3*w]
	for j := 0; j <= lb; j++ {
		prev[j] = j
	}
	for i := 1; i <= la; i++ {
		cur[0] = i
		lo := i
		for j := 1; j <= lb; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := prev[j] + 1
			if x := cur[j-1] + 1; x < v {
				v = x
			}
			if x := prev[j-1] + cost; x < v {
				v = x
			}
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				if x := prev2[j-2] + 1; x < v {
					v = x
				}
			}
			cur[j] = v
			if v < lo {
				lo = v
			}
		}
		if lo > max {
			return max + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	if prev[lb] > max {
		return max + 1
	}
	return prev[lb]
}
