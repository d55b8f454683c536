package screening

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/cslscreen/screener/matcher"
)

// Request limits. They are part of the API contract (openapi.yaml). The
// longest names on the CSL run to about 400 characters (two defence
// ministries), and a name pasted from the list must be accepted.
const (
	MaxNameRunes = 1000
	DefaultLimit = 10
	MaxLimit     = 100
)

// Request is a screening request as a caller writes it: the body of
// POST /v1/screen, or one row of a batch file.
type Request struct {
	Name    string `json:"name"`
	Country string `json:"country,omitempty"`
	Type    string `json:"type,omitempty"`
	// DateOfBirth (YYYY, YYYY-MM or YYYY-MM-DD), Nationality (ISO 3166-1
	// alpha-2) and Identifier (a passport, registration or tax number)
	// are compared with the entries the name matches (evidence.go).
	DateOfBirth string   `json:"date_of_birth,omitempty"`
	Nationality string   `json:"nationality,omitempty"`
	Identifier  string   `json:"identifier,omitempty"`
	Limit       *int     `json:"limit,omitempty"`
	MinScore    *float64 `json:"min_score,omitempty"`
}

// Query is a checked request: defaults applied, the country upper-cased,
// the type spelled as the lists spell it. Answers echo it. Make it with
// Check: the date of birth and identifier are compared as Check read them.
type Query struct {
	Name        string  `json:"name"`
	Country     string  `json:"country,omitempty"`
	Type        string  `json:"type,omitempty"`
	DateOfBirth string  `json:"date_of_birth,omitempty"`
	Nationality string  `json:"nationality,omitempty"`
	Identifier  string  `json:"identifier,omitempty"`
	Limit       int     `json:"limit"`
	MinScore    float64 `json:"min_score"`

	dob        dob    // DateOfBirth, read
	identifier string // Identifier, normalised
}

// FieldError names one problem with one field of a request.
type FieldError struct {
	Field  string
	Reason string
}

func (e FieldError) Error() string { return e.Field + ": " + e.Reason }

// knownTypes maps the spellings a query may use (as listed, lower or upper
// case; openapi.yaml enumerates them) to the CSL entry type.
var knownTypes = func() map[string]string {
	m := map[string]string{}
	for _, t := range []string{"Entity", "Individual", "Vessel", "Aircraft"} {
		m[t], m[strings.ToLower(t)], m[strings.ToUpper(t)] = t, t, t
	}
	return m
}()

// Check checks a request's fields against the rules of a query and returns
// the query, with threshold as the default minimum score, or the list of
// problems, each naming its field.
func Check(r Request, threshold float64) (Query, []FieldError) {
	var errs []FieldError
	q := Query{Limit: DefaultLimit, MinScore: threshold}
	name := strings.TrimSpace(r.Name)
	switch n := utf8.RuneCountInString(name); {
	case !utf8.ValidString(r.Name):
		errs = append(errs, FieldError{Field: "name", Reason: "is not valid UTF-8"})
	case n == 0:
		errs = append(errs, FieldError{Field: "name", Reason: "is required and must not be blank"})
	case n > MaxNameRunes:
		errs = append(errs, FieldError{Field: "name", Reason: fmt.Sprintf("has %d characters; at most %d are allowed", n, MaxNameRunes)})
	case strings.ContainsFunc(name, isControl):
		errs = append(errs, FieldError{Field: "name", Reason: "contains control characters"})
	}
	q.Name = name
	if r.Country != "" {
		c := strings.ToUpper(strings.TrimSpace(r.Country))
		if !validCountry(c) {
			errs = append(errs, FieldError{Field: "country", Reason: fmt.Sprintf("%q is not an ISO 3166-1 alpha-2 country code", r.Country)})
		}
		q.Country = c
	}
	if r.Type != "" {
		t, ok := knownTypes[r.Type]
		if !ok {
			errs = append(errs, FieldError{Field: "type", Reason: fmt.Sprintf("%q is not one of Entity, Individual, Vessel, Aircraft", r.Type)})
		}
		q.Type = t
	}
	if r.DateOfBirth != "" {
		q.DateOfBirth = strings.TrimSpace(r.DateOfBirth)
		d, err := parseQueryDOB(q.DateOfBirth)
		if err != nil {
			errs = append(errs, FieldError{Field: FieldDateOfBirth, Reason: err.Error()})
		}
		q.dob = d
	}
	if r.Nationality != "" {
		c := strings.ToUpper(strings.TrimSpace(r.Nationality))
		if !validCountry(c) {
			errs = append(errs, FieldError{Field: FieldNationality, Reason: fmt.Sprintf("%q is not an ISO 3166-1 alpha-2 country code", r.Nationality)})
		}
		q.Nationality = c
	}
	if r.Identifier != "" {
		q.Identifier = strings.TrimSpace(r.Identifier)
		q.identifier = normaliseIdentifier(q.Identifier)
		switch n := utf8.RuneCountInString(q.Identifier); {
		case !utf8.ValidString(r.Identifier):
			errs = append(errs, FieldError{Field: FieldIdentifier, Reason: "is not valid UTF-8"})
		case n > maxIdentifier:
			errs = append(errs, FieldError{Field: FieldIdentifier, Reason: fmt.Sprintf("has %d characters; at most %d are allowed", n, maxIdentifier)})
		case strings.ContainsFunc(q.Identifier, isControl):
			errs = append(errs, FieldError{Field: FieldIdentifier, Reason: "contains control characters"})
		case q.identifier == "":
			errs = append(errs, FieldError{Field: FieldIdentifier, Reason: "has no letter or digit"})
		}
	}
	if r.Limit != nil {
		if *r.Limit < 1 || *r.Limit > MaxLimit {
			errs = append(errs, FieldError{Field: "limit", Reason: fmt.Sprintf("must be between 1 and %d", MaxLimit)})
		}
		q.Limit = *r.Limit
	}
	if r.MinScore != nil {
		if math.IsNaN(*r.MinScore) || *r.MinScore < 0 || *r.MinScore > 1 {
			errs = append(errs, FieldError{Field: "min_score", Reason: "must be between 0 and 1"})
		}
		q.MinScore = *r.MinScore
	}
	return q, errs
}

// matcherQuery is q as the matcher takes it.
func (q *Query) matcherQuery(explain bool) matcher.Query {
	mq := matcher.Query{Name: q.Name, Country: q.Country, Type: q.Type, Limit: q.Limit, MinScore: q.MinScore, NoExplanation: !explain}
	if mq.MinScore == 0 {
		// The matcher reads 0 as "default"; a caller asking for
		// everything gets the smallest positive score instead.
		mq.MinScore = math.SmallestNonzeroFloat64
	}
	return mq
}

// isControl reports the characters no name holds: C0 controls (NUL, ESC,
// …) and DEL. Tab and line breaks count as spaces, and C1 controls pass:
// U+0092 and its kin are what Windows-1252 apostrophes and dashes become
// when mis-decoded ("Xi\u0092an"), and the name must still be screened.
func isControl(r rune) bool {
	return (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0x7f
}
