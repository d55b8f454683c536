package matcher

// The romanisation key of a word folds the spellings that different
// romanisation systems, languages and transcribers give the same sound, so
// that Kasperskiy, Kasperskii and Kaspersky, Khasan and Hasan, Shchukin and
// Schukin, Tsoi and Tsoy, Eksport and Export share a key. Two words with the
// same key are the same word "by transliteration"; words one or two edits
// apart in key space are typos of each other.
//
// The key is for matching only and is never shown. Over-folding is cheap (it
// can only bring two rare words together, and the scorer still weighs the
// surface difference), under-folding loses recall, so the rules lean to
// folding. They apply to both the query and the list, so they need not be
// linguistically right, only consistent.
//
// Upper-case letters in a key stand for sounds written with several letters:
// S = sh/sch/shch, C = ch/tch/cz, J = j/zh/dzh/dj.

// romanKey returns the romanisation key of a lower-case ASCII word, written
// into buf. Non-ASCII words are returned as they are.
func romanKey(buf []byte, w string) []byte {
	for i := 0; i < len(w); i++ {
		if w[i] >= 0x80 {
			return append(buf[:0], w...)
		}
	}
	out := foldSounds(buf[:0], w)
	// Collapse doubled letters (Mohammed = Mohamed, Stokk = Stok).
	out = collapseDoubles(out)
	out = dropGlides(out)
	// -off is -ov (Smirnoff/Smirnov).
	if len(out) >= 3 && out[len(out)-1] == 'f' && isVowel(out[len(out)-2]) {
		out[len(out)-1] = 'v'
	}
	// Collapse again: the rules can create new pairs.
	return collapseDoubles(out)
}

// foldSounds appends to out the key letter of each sound of w, letter by
// letter: a letter group that several systems write for one sound becomes
// one letter.
func foldSounds(out []byte, w string) []byte {
	n := len(w)
	at := func(i int) byte {
		if i < n {
			return w[i]
		}
		return 0
	}
	has := func(i int, s string) bool {
		return i+len(s) <= n && w[i:i+len(s)] == s
	}
	for i := 0; i < n; i++ {
		c := w[i]
		switch c {
		case 's':
			switch {
			case has(i, "shch"):
				out = append(out, 'S')
				i += 3
			case has(i, "sch"):
				out = append(out, 'S')
				i += 2
			case has(i, "sh"):
				out = append(out, 'S')
				i++
			default:
				out = append(out, 's')
			}
		case 't':
			switch {
			case has(i, "tch"):
				out = append(out, 'C')
				i += 2
			case has(i, "th"):
				out = append(out, 't')
				i++
			case has(i, "tz"):
				out = append(out, 't', 's')
				i++
			default:
				out = append(out, 't')
			}
		case 'c':
			switch nx := at(i + 1); {
			case nx == 'h':
				// "ch" before a consonant is the Greek/English k sound
				// (technology, chrome) that Russian writes kh.
				if nn := at(i + 2); nn != 0 && !isVowel(nn) && nn != 'y' {
					out = append(out, 'h')
				} else {
					out = append(out, 'C')
				}
				i++
			case nx == 'k':
				out = append(out, 'k')
				i++
			case nx == 'z':
				out = append(out, 'C')
				i++
			case nx == 's':
				out = append(out, 'k', 's')
				i++
			default:
				out = append(out, 'k')
			}
		case 'k':
			if at(i+1) == 'h' {
				out = append(out, 'h')
				i++
			} else {
				out = append(out, 'k')
			}
		case 'q':
			out = append(out, 'k')
		case 'x':
			out = append(out, 'k', 's')
		case 'g':
			if at(i+1) == 'h' {
				i++
			}
			out = append(out, 'g')
		case 'p':
			if at(i+1) == 'h' {
				out = append(out, 'f')
				i++
			} else {
				out = append(out, 'p')
			}
		case 'd':
			switch {
			case has(i, "dzh"):
				out = append(out, 'J')
				i += 2
			case has(i, "dj"):
				out = append(out, 'J')
				i++
			case has(i, "dh"):
				out = append(out, 'd')
				i++
			default:
				out = append(out, 'd')
			}
		case 'z':
			if at(i+1) == 'h' {
				out = append(out, 'J')
				i++
			} else {
				out = append(out, 'z')
			}
		case 'j':
			out = append(out, 'J')
		case 'w':
			out = append(out, 'v')
		case 'y':
			out = append(out, 'i')
		case 'o':
			switch at(i + 1) {
			case 'u', 'o':
				out = append(out, 'u')
				i++
			default:
				out = append(out, 'o')
			}
		default:
			out = append(out, c)
		}
	}
	return out
}

// collapseDoubles drops every letter of b that repeats the one before it.
func collapseDoubles(b []byte) []byte {
	k := 0
	for i := 0; i < len(b); i++ {
		if k > 0 && b[k-1] == b[i] {
			continue
		}
		b[k] = b[i]
		k++
	}
	return b[:k]
}

// dropGlides drops the i that is a y-glide, which systems write or leave
// out (Yevgeny/Evgeny, Nikolayevich/Nikolaevich, Kiriyenko/Kirienko): an i
// before e, or between vowels, or starting a word before a vowel.
func dropGlides(b []byte) []byte {
	k := 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == 'i' && i+1 < len(b) {
			nx := b[i+1]
			if isVowel(nx) && nx != 'i' && (i == 0 || nx == 'e' || isVowel(b[i-1])) {
				continue
			}
		}
		b[k] = c
		k++
	}
	return b[:k]
}

func isVowel(c byte) bool {
	switch c {
	case 'a', 'e', 'i', 'o', 'u':
		return true
	}
	return false
}

// skeleton returns the consonant skeleton of a key: its first letter and its
// consonants, vowels dropped (Muhammad, Mohamed and Mohammed are all "mhmd").
// It is the loosest key, used only for words long enough that the skeleton
// still says something.
func skeleton(buf []byte, key []byte) []byte {
	out := buf[:0]
	for i, c := range key {
		if i > 0 && (isVowel(c) || c == 'h' && i > 0 && !isVowel(key[i-1])) {
			continue
		}
		if len(out) > 0 && out[len(out)-1] == c {
			continue
		}
		out = append(out, c)
	}
	return out
}
