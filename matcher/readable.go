package matcher

import (
	"sync"
	"unicode"
	"unicode/utf8"
)

// Readability says whether the matcher can compare a name with the list
// at all. A compliance answer must not call a name clear when the matcher
// could not read it: a name in a script it does not transliterate, or one
// made only of punctuation, emoji, legal forms or function words.
type Readability struct {
	// Words counts the name's words that carry it: not legal forms,
	// function words or titles.
	Words int
	// Unread names the scripts of letters the matcher does not read
	// ("Arabic", "Han"), in order of first appearance.
	Unread []string
}

// Comparable reports whether anything of the name is left to compare.
func (r Readability) Comparable() bool { return r.Words > 0 }

// UnreadScripts returns the scripts of the letters in name that the matcher
// does not read, in order of first appearance; nil for most names (an ASCII
// name is checked without decoding).
func UnreadScripts(name string) []string {
	i := 0
	for i < len(name) && name[i] < utf8.RuneSelf {
		i++
	}
	if i == len(name) {
		return nil
	}
	var out []string
	kana, han := false, false
	for _, r := range name[i:] {
		if r < utf8.RuneSelf || !unicode.IsLetter(r) {
			continue
		}
		sc := scriptOf(r)
		switch sc {
		case scriptKana:
			kana = true
		case scriptHan:
			han = true
		}
		if sc != scriptOther || readsAsLatin(r) {
			continue
		}
		out = appendScriptName(out, scriptName(r))
	}
	// Chinese characters in a Japanese name (one with kana) have Japanese
	// readings, which the matcher does not know: it reads them as Chinese.
	if kana && han {
		out = appendScriptName(out, "Han")
	}
	return out
}

// appendScriptName appends s to out unless out has it.
func appendScriptName(out []string, s string) []string {
	for _, o := range out {
		if o == s {
			return out
		}
	}
	return append(out, s)
}

// readsAsLatin reports letters outside the Latin block that normalisation
// folds to Latin anyway (look-alikes, fullwidth forms, letter-like symbols).
func readsAsLatin(r rune) bool {
	var buf [16]byte
	out := appendDecomposed(buf[:0], r)
	if len(out) == 0 {
		return false
	}
	for _, b := range out {
		if !('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9') {
			return false
		}
	}
	return true
}

// scriptName names r's Unicode script, for messages.
func scriptName(r rune) string {
	for name, table := range unicode.Scripts {
		if name != "Common" && name != "Inherited" && unicode.Is(table, r) {
			return name
		}
	}
	return "unknown"
}

// readAnalysers recycles Read's scratch space: a fresh analyser allocates
// its buffers on every call, and Read runs for every name that matched
// nothing.
var readAnalysers = sync.Pool{New: func() any { return new(analyser) }}

// Read analyses name as a query would be and says how much of it the
// matcher can compare. It costs about one query's analysis; callers ask
// only when a name matched nothing.
func Read(name string) Readability {
	r := Readability{Unread: UnreadScripts(name)}
	a := readAnalysers.Get().(*analyser)
	defer readAnalysers.Put(a)
	for _, t := range a.analyse(name) {
		if t.kind == kindWord && hasLatinLetterOrDigit(t.text) {
			r.Words++
		}
	}
	return r
}

func hasLatinLetterOrDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			return true
		}
	}
	return false
}
