package client

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"iter"
)

// Result row statuses, beyond the screening ones (StatusMatch, StatusClear,
// StatusUnscreenable).
const (
	// StatusError: the row could not be read or was invalid; Error says why.
	StatusError Status = "error"
)

// ResultRow is one row of a job's results in JSON lines (format "jsonl").
type ResultRow struct {
	// Line is the input line where the row starts (a CSV header is line 1).
	Line      int    `json:"line"`
	Reference string `json:"reference"`
	Name      string `json:"name"`
	Country   string `json:"country,omitempty"`
	Type      string `json:"type,omitempty"`
	// Status is match, clear, unscreenable or error.
	Status     Status     `json:"status"`
	Warnings   []Warning  `json:"warnings,omitempty"`
	BestScore  float64    `json:"best_score"`
	MatchCount int        `json:"match_count"`
	Matches    []RowMatch `json:"matches"`
	// Suppressed are the row's matches a false positive decision of the
	// job's key suppressed; they do not count in Status, BestScore,
	// MatchCount or Matches.
	Suppressed  []SuppressedRowMatch `json:"suppressed,omitempty"`
	Error       string               `json:"error,omitempty"`
	ListVersion string               `json:"list_version"`
	// Columns are the passed-through input fields, as JSON.
	Columns map[string]json.RawMessage `json:"columns,omitempty"`
}

// RowMatch is one of a result row's best matches.
type RowMatch struct {
	ID          string  `json:"id"`
	List        string  `json:"list"`
	Name        string  `json:"name"`
	MatchedName string  `json:"matched_name"`
	Score       float64 `json:"score"`
}

// SuppressedRowMatch is a row's match a decision suppressed.
type SuppressedRowMatch struct {
	RowMatch
	// SuppressedBy is the decision's id (Client.Decision).
	SuppressedBy string `json:"suppressed_by"`
}

// UnmarshalJSON reads a warning as an object {"code", "detail"} or as a
// bare code string.
func (w *Warning) UnmarshalJSON(b []byte) error {
	if b = bytes.TrimSpace(b); len(b) > 0 && b[0] == '"' {
		*w = Warning{}
		return json.Unmarshal(b, &w.Code)
	}
	type plain Warning
	return json.Unmarshal(b, (*plain)(w))
}

// ResultRows reads JSON lines results (as Results writes them with format
// "jsonl") row by row. It stops at the first error, which names the row.
//
//	for row, err := range client.ResultRows(r) { … }
func ResultRows(r io.Reader) iter.Seq2[*ResultRow, error] {
	return func(yield func(*ResultRow, error) bool) {
		dec := json.NewDecoder(bufio.NewReaderSize(r, 64<<10))
		for n := 1; ; n++ {
			var row ResultRow
			err := dec.Decode(&row)
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(nil, fmt.Errorf("results row %d: %w", n, err))
				return
			}
			if !yield(&row, nil) {
				return
			}
		}
	}
}
