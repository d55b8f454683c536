package batch

import (
	"context"
	"errors"
)

// Row is one data row of an upload.
type Row struct {
	// Line is the physical, 1-based line of the file where the row starts
	// (the CSV header is line 1).
	Line      int
	Reference string
	Name      string
	Country   string
	Type      string
	// Extra holds the values of the passed-through columns the row has.
	Extra []Field
	// Err says why the row could not be read ("" when it could). Such a
	// row is not screened; its result is an error naming Err.
	Err string
}

// Field is one passed-through value: Col indexes Job.Columns.
type Field struct {
	Col   int
	Value string
}

// Row outcomes, the status column of the results.
const (
	StatusClear = "clear"
	StatusMatch = "match"
	StatusError = "error"
)

// TopMatches is how many matches a result row carries.
const TopMatches = 3

// Outcome is what screening made of one row.
type Outcome struct {
	Status    string // StatusClear, StatusMatch or StatusError
	BestScore float64
	// MatchCount is the number of matches at or above the threshold (the
	// screener may cap it, as single requests are capped).
	MatchCount int
	// Matches are the best TopMatches, best first.
	Matches []TopMatch
	// Error says why the row is an error.
	Error string
}

// TopMatch is one listed party in a result row.
type TopMatch struct {
	ID          string
	List        string
	Name        string
	MatchedName string
	Score       float64
}

// Result is one row with its outcome.
type Result struct {
	Row
	Outcome
}

// ScreenFunc screens one row that was read without error. It is called from
// several goroutines at once.
type ScreenFunc func(r *Row) Outcome

// Screener judges rows; package service implements it so batch rows are
// validated and matched exactly like single requests.
type Screener interface {
	// CurrentVersion returns the list version a new job is screened against.
	CurrentVersion() (string, error)
	// Version returns a function screening rows against list version id.
	// An error wrapping ErrVersionGone fails the job; any other error is
	// taken as passing (the chunk is handed back and tried again).
	Version(ctx context.Context, id string) (ScreenFunc, error)
}

// ErrVersionGone is wrapped by a Screener that can no longer load a job's
// list version: the job cannot finish and fails.
var ErrVersionGone = errors.New("the job's list version is no longer available")
