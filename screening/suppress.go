package screening

import (
	"time"

	"github.com/cslscreen/screener/lists"
	"github.com/cslscreen/screener/matcher"
)

// SuppressFunc returns the id of the decision that suppresses entry e for
// the screened party (an analyst found the pair a false positive), or "".
// The party is its reference (a batch row's or a monitored
// counterparty's; "" when it has none) and its name.
type SuppressFunc func(ref, name string, e *lists.Entry) string

// SuppressedMatch is a match a decision suppressed: shown, but not counted
// in the status.
type SuppressedMatch struct {
	Match
	SuppressedBy string `json:"suppressed_by"`
}

// Suppress moves the matches that by suppresses out of r.Matches and
// judges r again on what is left: a name whose only matches were decided
// false positives is clear. It returns the suppressed matches, best first;
// nil when by is nil or suppresses nothing.
func (r *Result) Suppress(snap *Snapshot, by SuppressFunc) []SuppressedMatch {
	if by == nil || len(r.Matches) == 0 {
		return nil
	}
	var sup []SuppressedMatch
	kept := make([]Match, 0, len(r.Matches))
	for _, m := range r.Matches {
		if id := by("", r.Query.Name, &snap.List.Entries[m.Record]); id != "" {
			sup = append(sup, SuppressedMatch{Match: m, SuppressedBy: id})
			continue
		}
		kept = append(kept, m)
	}
	if sup == nil {
		return nil
	}
	r.Matches = kept
	r.Verdict = snap.judge(r.Query.Name, len(kept) > 0, time.Now())
	return sup
}

// SuppressedBrief is a match of a summary (a batch row) that a decision
// suppressed.
type SuppressedBrief struct {
	Brief
	SuppressedBy string
}

// MaxSuppressed bounds the suppressed matches a summary reports.
const MaxSuppressed = 10

// SummariseSuppressed is Summarise for a party with a reference (ref, ""
// when none): the matches by suppresses for (ref, q.Name) are left out of
// the count, the top matches and the status, and returned apart, best
// first (at most MaxSuppressed). With by nil it is Summarise.
func SummariseSuppressed(snap *Snapshot, q Query, top int, ref string, by SuppressFunc) (Summary, []SuppressedBrief) {
	if by == nil {
		return Summarise(snap, q, top), nil
	}
	// Ask for more than the limit, so that matches a decision suppressed
	// leave room for the next ones.
	wide := q
	wide.Limit = min(2*q.Limit+MaxSuppressed, 3*MaxLimit)
	ms, _ := candidates(snap, &wide, false)
	var s Summary
	var sup []SuppressedBrief
	forEachDistinct(snap, ms, 0, func(_ int, m *matcher.Match, e *lists.Entry) {
		if id := by(ref, q.Name, e); id != "" {
			if len(sup) < MaxSuppressed {
				sup = append(sup, SuppressedBrief{Brief: Brief{ID: e.ID, List: lists.ListCode(e.Source), Name: e.Name, MatchedName: m.MatchedName, Score: m.Score}, SuppressedBy: id})
			}
			return
		}
		if s.Count == q.Limit && q.Limit > 0 {
			return
		}
		s.Count++
		if len(s.Top) < top {
			s.Top = append(s.Top, Brief{ID: e.ID, List: lists.ListCode(e.Source), Name: e.Name, MatchedName: m.MatchedName, Score: m.Score})
		}
	})
	s.Verdict = snap.judge(q.Name, s.Count > 0, time.Now())
	return s, sup
}
