package screening

import (
	"time"

	"github.com/cslscreen/screener/lists"
)

// SuppressFunc returns the id of the decision that suppresses entry e for
// the screened name (an analyst found the pair a false positive), or "".
type SuppressFunc func(name string, e *lists.Entry) string

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
		if id := by(r.Query.Name, &snap.List.Entries[m.Record]); id != "" {
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
