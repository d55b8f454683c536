package client

import (
	"fmt"
	"strings"
	"time"
)

// Problem is an error answer of the API: an RFC 9457 problem document, or,
// when the body is not one (a proxy's HTML page), its status and text.
// Every non-2xx answer the Client reads comes back as a *Problem, so
// callers can tell them apart with errors.As:
//
//	var p *client.Problem
//	if errors.As(err, &p) && p.Status == http.StatusNotFound { … }
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// RequestID ties the error to the server's log line (the X-Request-ID
	// header when the body does not carry it).
	RequestID string `json:"request_id,omitempty"`
	// Errors names each offending field, row or line.
	Errors []FieldError `json:"errors,omitempty"`
	// RetryAfter is the wait the server asked for (Retry-After), 0 when
	// it asked for none.
	RetryAfter time.Duration `json:"-"`
}

// FieldError names one problem with one part of the input.
type FieldError struct {
	// Field is a JSON field ("name", "limit"), a query parameter or an
	// input column.
	Field string `json:"field,omitempty"`
	// Row is the 1-based data row of a file, when the server names it.
	Row int `json:"row,omitempty"`
	// Line is the 1-based input line of a file.
	Line   int    `json:"line,omitempty"`
	Reason string `json:"reason"`
}

func (e FieldError) String() string {
	var where []string
	if e.Line > 0 {
		where = append(where, fmt.Sprintf("line %d", e.Line))
	}
	if e.Row > 0 {
		where = append(where, fmt.Sprintf("row %d", e.Row))
	}
	if e.Field != "" {
		where = append(where, e.Field)
	}
	if len(where) == 0 {
		return e.Reason
	}
	return strings.Join(where, " ") + ": " + e.Reason
}

// Error reads "Title (HTTP 400): detail", then one indented line per field
// error. A field error that only repeats the detail (no field, row or line
// of its own) is left out, so a message is never printed twice.
func (p *Problem) Error() string {
	var b strings.Builder
	title := p.Title
	if title == "" {
		title = "HTTP error"
	}
	fmt.Fprintf(&b, "%s (HTTP %d)", title, p.Status)
	if p.Detail != "" {
		b.WriteString(": " + p.Detail)
	}
	if p.RequestID != "" {
		fmt.Fprintf(&b, " [request %s]", p.RequestID)
	}
	for _, e := range p.Errors {
		if e.Field == "" && e.Row == 0 && e.Line == 0 && strings.Contains(p.Detail, e.Reason) {
			continue
		}
		b.WriteString("\n  " + e.String())
	}
	return b.String()
}

// Temporary reports whether the same request may succeed later: a rate
// limit (429) or an unavailable service (503).
func (p *Problem) Temporary() bool {
	return p.Status == 429 || p.Status == 503
}
