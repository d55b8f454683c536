package matcher

import (
	"math"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// Explanations are built only for the matches returned, by re-running the
// alignment of the winning name with its pairs kept and re-reading the
// listed name's words, so the index need not store any surface text.

// explain describes why name ni matched the query held in s.
func (ix *Index) explain(s *scratch, ni uint32, countryPenalty float32) Explanation {
	ix.scoreName(s, ni, true)
	nr := &ix.names[ni]
	listed := ix.texts[nr.off : nr.off+uint32(nr.n)]
	// In query order. Each query token is in one pair at most, so the
	// order is the same whatever the sort.
	chosen := s.chosen
	for a := 1; a < len(chosen); a++ {
		for b := a; b > 0 && chosen[b].qi < chosen[b-1].qi; b-- {
			chosen[b], chosen[b-1] = chosen[b-1], chosen[b]
		}
	}

	var total float32
	for k := range chosen {
		total += pairWeight(&chosen[k])
	}
	usedQ := resetBools(s.usedQ, len(s.qt))
	usedN := resetBools(s.usedN, int(nr.n))
	s.usedQ, s.usedN = usedQ, usedN
	ex := Explanation{Words: make([]WordMatch, 0, len(chosen))}
	for k := range chosen {
		e := &chosen[k]
		q := s.qt[e.qi].tok.text
		for k := uint8(1); k < e.qn; k++ {
			q += " " + s.qt[e.qi+k].tok.text
			usedQ[e.qi+k] = true
		}
		usedQ[e.qi] = true
		l := listed[e.nj]
		for k := uint16(1); k < e.nn; k++ {
			l += " " + listed[e.nj+k]
		}
		for k := uint16(0); k < e.nn; k++ {
			usedN[e.nj+k] = true
		}
		how := howNames[e.how]
		if e.how == howExactCode || e.how == howLegalCode {
			qt := &s.qt[e.qi].tok
			switch {
			case qt.split != 0:
				how = HowJoined
			case qt.text == listed[e.nj]:
				how = HowExact
			case e.how == howLegalCode:
				how = HowLegalForm
			case qt.how != "":
				how = qt.how
			default:
				// Same canonical form from different spellings: the listed
				// word was the one brought to it.
				how = listedHow(listed[e.nj])
			}
		}
		ex.Words = append(ex.Words, WordMatch{
			Query:  q,
			Listed: l,
			How:    how,
			Score:  round3(float64(e.sim)),
			Weight: round3(float64(pairWeight(e) / max(total, 1e-9))),
		})
	}
	if n := countFalse(usedQ); n > 0 {
		ex.UnmatchedQuery = make([]string, 0, n)
		for i, u := range usedQ {
			if !u {
				ex.UnmatchedQuery = append(ex.UnmatchedQuery, s.qt[i].tok.text)
			}
		}
	}
	if n := countFalse(usedN); n > 0 {
		ex.UnmatchedListed = make([]string, 0, n)
		for j, u := range usedN {
			if !u {
				ex.UnmatchedListed = append(ex.UnmatchedListed, listed[j])
			}
		}
	}
	ex.CountryPenalty = round3(float64(countryPenalty))
	s.sb = appendSummary(s.sb[:0], &ex)
	ex.Summary = string(s.sb)
	return ex
}

func countFalse(bs []bool) int {
	n := 0
	for _, b := range bs {
		if !b {
			n++
		}
	}
	return n
}

// listedHow says how a listed word reached the canonical form a query word
// has as written.
func listedHow(text string) string {
	if _, how := canonicalWord(text); how != "" {
		return how
	}
	return HowSynonym
}

func pairWeight(e *edge) float32 {
	if e.how == howInitial {
		return min(e.wq, e.wn)
	}
	return (e.wq + e.wn) / 2
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// appendSummary appends the one-sentence summary, e.g.
// "2 of 2 query words match; 'kasperskiy' ~ 'kaspersky' by transliteration".
// Both counts are of words as written: a multi-word legal form ("limited
// liability company") is one query token but three words, so the query's
// words are counted over its paired and unmatched tokens alike.
func appendSummary(b []byte, ex *Explanation) []byte {
	matched := 0
	for _, w := range ex.Words {
		matched += countFields(w.Query)
	}
	nq := matched
	for _, u := range ex.UnmatchedQuery {
		nq += countFields(u)
	}
	b = strconv.AppendInt(b, int64(matched), 10)
	b = append(b, " of "...)
	b = strconv.AppendInt(b, int64(nq), 10)
	b = append(b, " query words match"...)
	first := true
	for _, w := range ex.Words {
		if w.How == HowExact {
			continue
		}
		if first {
			b = append(b, "; "...)
			first = false
		} else {
			b = append(b, ", "...)
		}
		b = append(b, '\'')
		b = append(b, w.Query...)
		b = append(b, "' ~ '"...)
		b = append(b, w.Listed...)
		b = append(b, "' by "...)
		for i := 0; i < len(w.How); i++ {
			if c := w.How[i]; c == '_' {
				b = append(b, ' ')
			} else {
				b = append(b, c)
			}
		}
	}
	b = appendList(b, "; not in the listed name: ", ex.UnmatchedQuery)
	b = appendList(b, "; listed but not queried: ", ex.UnmatchedListed)
	if ex.CountryPenalty > 0 {
		b = append(b, "; country differs (-"...)
		b = strconv.AppendFloat(b, ex.CountryPenalty, 'f', 2, 64)
		b = append(b, ')')
	}
	return b
}

// appendList appends label and the words, comma-separated, when there are
// any.
func appendList(b []byte, label string, words []string) []byte {
	if len(words) == 0 {
		return b
	}
	b = append(b, label...)
	for k, w := range words {
		if k > 0 {
			b = append(b, ", "...)
		}
		b = append(b, w...)
	}
	return b
}

// countFields is len(strings.Fields(s)), without the slice.
func countFields(s string) int {
	n := 0
	in := false
	for i := 0; i < len(s); {
		var space bool
		if c := s[i]; c < utf8.RuneSelf {
			space = c == ' ' || '\t' <= c && c <= '\r'
			i++
		} else {
			r, size := utf8.DecodeRuneInString(s[i:])
			space = unicode.IsSpace(r)
			i += size
		}
		if space {
			in = false
		} else if !in {
			in = true
			n++
		}
	}
	return n
}
