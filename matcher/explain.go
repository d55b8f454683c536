package matcher

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Explanations are built only for the matches returned, by re-running the
// alignment of the winning name with its pairs kept and re-reading the
// listed name's words, so the index need not store any surface text.

// explain describes why name ni matched the query held in s.
func (ix *Index) explain(s *scratch, ni uint32, countryPenalty float32) Explanation {
	score, _ := ix.scoreName(s, ni, true)
	nr := &ix.names[ni]
	listed := ix.texts[nr.off : nr.off+uint32(nr.n)]
	chosen := append([]edge(nil), s.chosen...)
	sort.Slice(chosen, func(a, b int) bool { return chosen[a].qi < chosen[b].qi })

	var total float32
	for _, e := range chosen {
		total += pairWeight(&e)
	}
	usedQ := make([]bool, len(s.qt))
	usedN := make([]bool, nr.n)
	var ex Explanation
	for _, e := range chosen {
		q := s.qt[e.qi].tok.text
		if e.qn == 2 {
			q += " " + s.qt[e.qi+1].tok.text
			usedQ[e.qi+1] = true
		}
		usedQ[e.qi] = true
		l := listed[e.nj]
		if e.nn == 2 {
			l += " " + listed[e.nj+1]
		}
		usedN[e.nj] = true
		if e.nn == 2 {
			usedN[e.nj+1] = true
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
			Weight: round3(float64(pairWeight(&e) / max(total, 1e-9))),
		})
	}
	for i, u := range usedQ {
		if !u {
			ex.UnmatchedQuery = append(ex.UnmatchedQuery, s.qt[i].tok.text)
		}
	}
	for j, u := range usedN {
		if !u {
			ex.UnmatchedListed = append(ex.UnmatchedListed, listed[j])
		}
	}
	ex.CountryPenalty = round3(float64(countryPenalty))
	ex.Summary = summarise(&ex, len(s.qt), float64(score))
	return ex
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

// nameText returns the string name ni was analysed from.
func (ix *Index) nameText(ni uint32) string {
	nr := &ix.names[ni]
	name := ix.recs[nr.rec].names[nr.nameIdx]
	if nr.sub == 0 {
		return name
	}
	parts := subNames(name)
	if int(nr.sub) <= len(parts) {
		return parts[nr.sub-1]
	}
	return name
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// summarise writes the one-sentence summary, e.g.
// "2 of 2 query words match; 'kasperskiy' ~ 'kaspersky' by transliteration".
func summarise(ex *Explanation, nq int, score float64) string {
	var b strings.Builder
	matched := 0
	for _, w := range ex.Words {
		matched += len(strings.Fields(w.Query))
	}
	fmt.Fprintf(&b, "%d of %d query words match", matched, nq)
	var notes []string
	for _, w := range ex.Words {
		if w.How == HowExact {
			continue
		}
		notes = append(notes, fmt.Sprintf("'%s' ~ '%s' by %s", w.Query, w.Listed, strings.ReplaceAll(w.How, "_", " ")))
	}
	if len(notes) > 0 {
		b.WriteString("; ")
		b.WriteString(strings.Join(notes, ", "))
	}
	if len(ex.UnmatchedQuery) > 0 {
		fmt.Fprintf(&b, "; not in the listed name: %s", strings.Join(ex.UnmatchedQuery, ", "))
	}
	if len(ex.UnmatchedListed) > 0 {
		fmt.Fprintf(&b, "; listed but not queried: %s", strings.Join(ex.UnmatchedListed, ", "))
	}
	if ex.CountryPenalty > 0 {
		fmt.Fprintf(&b, "; country differs (-%.2f)", ex.CountryPenalty)
	}
	_ = score
	return b.String()
}
