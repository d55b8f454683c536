package batch

import (
	"context"
	"errors"
	"strings"

	"github.com/cslscreen/screener/screening"
)

// ScreenFunc screens one row that was read without error. It is called from
// several goroutines at once.
type ScreenFunc func(r *Row) Outcome

// rowScreener is what the engine needs of screening: the version a new job
// is screened against, and a function screening rows against a version.
// catalogRows is the one the service uses; the engine's tests put a fake
// here to hold, fail or panic rows at will.
type rowScreener interface {
	CurrentVersion() (string, error)
	// Version returns a function screening rows against list version id,
	// leaving out the matches sup suppresses (nil: none). An error
	// wrapping screening.ErrVersionGone fails the job; any other error is
	// taken as passing (the chunk is handed back and tried again).
	Version(ctx context.Context, id string, sup screening.SuppressFunc) (ScreenFunc, error)
}

// ErrNoList is returned by Submit before any list is loaded.
var ErrNoList = errors.New("no list is loaded yet")

// catalogRows screens rows through package screening, with the same checks
// and matching as a single request, against the job's list version on
// whichever replica screens the chunk.
type catalogRows struct {
	catalog   *screening.Catalog
	threshold float64
}

func (s catalogRows) CurrentVersion() (string, error) {
	snap := s.catalog.Current()
	if snap == nil {
		return "", ErrNoList
	}
	return snap.List.Version.ID, nil
}

func (s catalogRows) Version(ctx context.Context, id string, sup screening.SuppressFunc) (ScreenFunc, error) {
	snap, err := s.catalog.Pinned(ctx, id)
	if err != nil {
		return nil, err
	}
	return func(r *Row) Outcome { return screenRow(snap, s.threshold, r, sup) }, nil
}

// screenRow checks and screens one row: a row goes to a screening query
// and its summary straight into the outcome, best first as the matcher
// ranks them. The matches sup suppresses for the row's reference or name
// are left out of the status, the count and the top matches, and kept
// apart in Outcome.Suppressed.
func screenRow(snap *screening.Snapshot, threshold float64, r *Row, sup screening.SuppressFunc) Outcome {
	q, errs := screening.Check(screening.Request{Name: r.Name, Country: r.Country, Type: r.Type,
		DateOfBirth: r.DateOfBirth, Nationality: r.Nationality, Identifier: r.Identifier}, threshold)
	if len(errs) > 0 {
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = e.Error()
		}
		return Outcome{Status: StatusError, Error: strings.Join(msgs, "; ")}
	}
	s, suppressed := screening.SummariseSuppressed(snap, q, TopMatches, r.Reference, sup)
	o := Outcome{Status: string(s.Status), MatchCount: s.Count, Matches: s.Top, Warnings: s.Warnings, Reason: s.Reason, Suppressed: suppressed}
	if s.Count > 0 {
		o.BestScore = s.Top[0].Score
	}
	return o
}
