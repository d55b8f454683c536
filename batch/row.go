package batch

import "github.com/cslscreen/screener/screening"

// Row is one data row of an upload.
type Row struct {
	// Line is the physical, 1-based line of the file where the row starts
	// (the CSV header is line 1).
	Line      int
	Reference string
	Name      string
	Country   string
	Type      string
	// DateOfBirth, Nationality and Identifier are read from the columns
	// of those names, which are also passed through as they are.
	DateOfBirth, Nationality, Identifier string
	// Extra holds the values of the passed-through columns the row has.
	Extra []Field
	// Err says why the row could not be read ("" when it could). Such a
	// row is not screened; its result is an error naming Err.
	Err string
}

// size is the row's text with room for its encoding (a few bytes of
// lengths a field): what chunks are bounded by.
func (r *Row) size() int {
	n := 16 + len(r.Reference) + len(r.Name) + len(r.Country) + len(r.Type) + len(r.Err)
	for _, f := range r.Extra {
		n += 8 + len(f.Value)
	}
	return n
}

// Field is one passed-through value: Col indexes Job.Columns.
type Field struct {
	Col   int
	Value string
}

// Row outcomes, the status column of the results: a row that was read
// and checked has its screening's status (match, clear or unscreenable);
// one that could not be is an error.
const (
	StatusClear        = string(screening.StatusClear)
	StatusMatch        = string(screening.StatusMatch)
	StatusUnscreenable = string(screening.StatusUnscreenable)
	StatusError        = "error"
)

// TopMatches is how many matches a result row carries.
const TopMatches = 3

// Outcome is what screening made of one row.
type Outcome struct {
	Status    string // StatusClear, StatusMatch, StatusUnscreenable or StatusError
	BestScore float64
	// MatchCount is the number of matches at or above the threshold (the
	// screener may cap it, as single requests are capped).
	MatchCount int
	// Matches are the best TopMatches, best first.
	Matches []TopMatch
	// Error says why the row is an error.
	Error string
	// Warnings say why the outcome can be trusted less (the list was the
	// built-in snapshot or stale; the name could not be read).
	Warnings []screening.Warning
	// Reason says why the status is unscreenable, for metrics; it is not
	// stored with the results.
	Reason string
	// Suppressed are the matches a false positive decision of the job's
	// key suppressed for the row's reference or name, best first (at most
	// screening.MaxSuppressed); they do not count in Status, MatchCount or
	// Matches.
	Suppressed []SuppressedMatch
}

// SuppressedMatch is a match of a row that a decision suppressed.
type SuppressedMatch = screening.SuppressedBrief

// TopMatch is one listed party in a result row.
type TopMatch = screening.Brief

// Result is one row with its outcome.
type Result struct {
	Row
	Outcome
}
