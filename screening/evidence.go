package screening

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/cslscreen/screener/lists"
	"github.com/cslscreen/screener/matcher"
)

// Beyond the name: a query may carry a date of birth, a nationality and an
// identifier (passport, registration or tax number). After the matcher has
// scored the names, each candidate's score is adjusted by how these agree
// with the entry's dates_of_birth, nationalities/citizenships and ids, and
// the explanation says which fact moved it and by how much. Agreement
// raises a score, a clear conflict lowers it, and a missing fact on either
// side says nothing. A strong name match is never hidden by a conflict: it
// stays reported for a person to look at.

// How a query fact compares with the entry's.
const (
	FactAgrees    = "agrees"
	FactConflicts = "conflicts"
)

// Fields a FactCheck names; the request fields of the same names.
const (
	FieldDateOfBirth = "date_of_birth"
	FieldNationality = "nationality"
	FieldIdentifier  = "identifier"
)

// Score adjustments. They are small beside the name score: facts confirm or
// cast doubt on a name match, they do not make one (except an identifier,
// which names one party).
const (
	adjustDOBExact       = 0.05  // the same full date
	adjustDOBAgrees      = 0.02  // the same year (or month) at the precision both give
	adjustDOBNear        = -0.04 // the same year, another month or day; or a year off by one
	adjustDOBConflict    = -0.10 // years two or more apart (outside a listed range by two)
	adjustNationality    = 0.03
	adjustNationalityOff = -0.05
	adjustIdentifier     = 0.10 // at least; an identifier match lifts the score to the threshold

	// strongName is the name score a conflict never takes below the
	// query's threshold.
	strongName = 0.95
	// factsMargin and identifierMargin are how far below the threshold the
	// matcher is asked for candidates when facts might lift them.
	factsMargin      = 0.10
	identifierMargin = 0.30
	maxIdentifier    = 100 // characters
)

// FactCheck is one query fact compared with what the list says of the
// entry.
type FactCheck struct {
	// Field is the request field: date_of_birth, nationality or identifier.
	Field string `json:"field"`
	// Query is the value asked for, as checked.
	Query string `json:"query"`
	// Listed is what the entry has on record, e.g. "1962-04-30" or
	// "Passport BC166787 (CA)".
	Listed string `json:"listed"`
	// How is FactAgrees or FactConflicts.
	How string `json:"how"`
	// Adjust is what the comparison added to the score (negative when it
	// took off), before the score was kept within [0,1].
	Adjust float64 `json:"adjust"`
}

// Explanation is why an entry matched: the matcher's account of the name,
// and the query's other facts compared with the entry's.
type Explanation struct {
	matcher.Explanation
	// Facts are the query's date of birth, nationality and identifier
	// compared with the entry's; only comparisons that moved the score.
	Facts []FactCheck `json:"facts,omitempty"`
}

// dob is a date of birth at year, month or day precision; a listed one may
// be a range of years ("1969 to 1971", "circa 1960").
type dob struct {
	y1, y2 int // y1 == y2 unless a range
	m, d   int // 0 when not given
}

// parseQueryDOB reads YYYY, YYYY-MM or YYYY-MM-DD.
func parseQueryDOB(s string) (dob, error) {
	var layout string
	switch len(s) {
	case 4:
		layout = "2006"
	case 7:
		layout = "2006-01"
	case 10:
		layout = "2006-01-02"
	default:
		return dob{}, fmt.Errorf("%q is not a date as YYYY, YYYY-MM or YYYY-MM-DD", s)
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return dob{}, fmt.Errorf("%q is not a date as YYYY, YYYY-MM or YYYY-MM-DD", s)
	}
	if t.Year() < 1800 {
		return dob{}, fmt.Errorf("%q is before 1800", s)
	}
	d := dob{y1: t.Year(), y2: t.Year()}
	if len(s) >= 7 {
		d.m = int(t.Month())
	}
	if len(s) == 10 {
		d.d = t.Day()
	}
	return d, nil
}

// parseListedDOB reads a CSL date of birth: "1958-02-08", "1958-02",
// "1958", "circa 1958" (read as 1957 to 1959) or "1969 to 1971". It
// reports false for anything else.
func parseListedDOB(s string) (dob, bool) {
	s = strings.TrimSpace(s)
	if y, ok := strings.CutPrefix(strings.ToLower(s), "circa "); ok {
		d, err := parseQueryDOB(strings.TrimSpace(y))
		if err != nil || d.m != 0 {
			return dob{}, false
		}
		return dob{y1: d.y1 - 1, y2: d.y1 + 1}, true
	}
	if a, b, ok := strings.Cut(s, " to "); ok {
		from, err1 := parseQueryDOB(strings.TrimSpace(a))
		to, err2 := parseQueryDOB(strings.TrimSpace(b))
		if err1 != nil || err2 != nil || to.y1 < from.y1 {
			return dob{}, false
		}
		return dob{y1: from.y1, y2: to.y1}, true
	}
	d, err := parseQueryDOB(s)
	return d, err == nil
}

// compareDOB compares a query's date with one listed date, and returns the
// adjustment: positive when they agree at the precision both give, negative
// when they conflict, 0 when the listed date cannot say.
func compareDOB(q, l dob) float64 {
	if l.y1 != l.y2 { // a range of years
		switch {
		case q.y1 >= l.y1 && q.y1 <= l.y2:
			return adjustDOBAgrees
		case q.y1 < l.y1-1 || q.y1 > l.y2+1:
			return adjustDOBConflict
		default:
			return adjustDOBNear
		}
	}
	switch diff := q.y1 - l.y1; {
	case diff >= 2 || diff <= -2:
		return adjustDOBConflict
	case diff != 0:
		return adjustDOBNear
	}
	if q.m == 0 || l.m == 0 {
		return adjustDOBAgrees
	}
	if q.m != l.m {
		return adjustDOBNear
	}
	if q.d == 0 || l.d == 0 {
		return adjustDOBAgrees
	}
	if q.d != l.d {
		return adjustDOBNear
	}
	return adjustDOBExact
}

// checkDOB compares the query's date with every date listed for e and
// keeps the best: any agreement wins, then the mildest conflict.
func checkDOB(q dob, query string, e *lists.Entry) (FactCheck, bool) {
	best, listed, found := 0.0, "", false
	for _, s := range e.DatesOfBirth {
		l, ok := parseListedDOB(s)
		if !ok {
			continue
		}
		a := compareDOB(q, l)
		if !found || a > best {
			best, listed, found = a, s, true
		}
	}
	if !found || best == 0 {
		return FactCheck{}, false
	}
	how := FactAgrees
	if best < 0 {
		how = FactConflicts
		if best == adjustDOBConflict {
			// No listed date comes near: show them all.
			listed = strings.Join(e.DatesOfBirth, "; ")
		}
	}
	return FactCheck{Field: FieldDateOfBirth, Query: query, Listed: listed, How: how, Adjust: best}, true
}

// checkNationality compares the query's nationality with e's nationalities
// and citizenships, and its address countries. Only a nationality or
// citizenship on record can conflict: a person may live anywhere.
func checkNationality(c string, e *lists.Entry) (FactCheck, bool) {
	var held []string
	for _, list := range [][]string{e.Nationalities, e.Citizenships} {
		for _, n := range list {
			n = strings.ToUpper(strings.TrimSpace(n))
			if n == c {
				return FactCheck{Field: FieldNationality, Query: c, Listed: n, How: FactAgrees, Adjust: adjustNationality}, true
			}
			if n != "" && !containsString(held, n) {
				held = append(held, n)
			}
		}
	}
	for _, a := range e.Addresses {
		if strings.EqualFold(strings.TrimSpace(a.Country), c) {
			return FactCheck{Field: FieldNationality, Query: c, Listed: c + " (address)", How: FactAgrees, Adjust: adjustNationality}, true
		}
	}
	if len(held) == 0 {
		return FactCheck{}, false
	}
	return FactCheck{Field: FieldNationality, Query: c, Listed: strings.Join(held, "; "), How: FactConflicts, Adjust: adjustNationalityOff}, true
}

// normaliseIdentifier keeps an identifier's letters and digits, upper case:
// "bc-166 787" and "BC166787" are the same number.
func normaliseIdentifier(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToUpper(r))
		}
	}
	return b.String()
}

// identifierLike reports whether a normalised listed number can be an
// identifier: four characters or more with a digit ("Male, Gender" and
// website or sanctions notes are not).
func identifierLike(n string) bool {
	return len(n) >= 4 && strings.ContainsFunc(n, unicode.IsDigit)
}

// checkIdentifier looks for the query's (normalised) identifier among e's
// ids. A mismatch says nothing: an entry has many documents, and a
// counterparty many more.
func checkIdentifier(norm, query string, e *lists.Entry) (FactCheck, bool) {
	for _, id := range e.IDs {
		n := normaliseIdentifier(id.Number)
		if n != norm || !identifierLike(n) {
			continue
		}
		listed := id.Number
		if id.Type != "" {
			listed = id.Type + " " + listed
		}
		if id.Country != "" {
			listed += " (" + id.Country + ")"
		}
		return FactCheck{Field: FieldIdentifier, Query: query, Listed: listed, How: FactAgrees, Adjust: adjustIdentifier}, true
	}
	return FactCheck{}, false
}

// personFacts reports whether a date of birth and a nationality speak to
// e: individuals, and untyped entries with a date of birth on record.
func personFacts(e *lists.Entry) bool {
	return e.Type == "Individual" || (e.Type == "" && len(e.DatesOfBirth) > 0)
}

// hasFacts reports whether q carries anything besides the name to compare.
func (q *Query) hasFacts() bool {
	return q.DateOfBirth != "" || q.Nationality != "" || q.Identifier != ""
}

// weigh compares q's facts with e and returns the adjusted score and the
// comparisons that moved it.
func (q *Query) weigh(e *lists.Entry, score float64) (float64, []FactCheck) {
	var facts []FactCheck
	if personFacts(e) {
		if q.dob.y1 != 0 {
			if f, ok := checkDOB(q.dob, q.DateOfBirth, e); ok {
				facts = append(facts, f)
			}
		}
		if q.Nationality != "" {
			if f, ok := checkNationality(q.Nationality, e); ok {
				facts = append(facts, f)
			}
		}
	}
	idMatch := false
	if q.identifier != "" {
		if f, ok := checkIdentifier(q.identifier, q.Identifier, e); ok {
			facts = append(facts, f)
			idMatch = true
		}
	}
	if len(facts) == 0 {
		return score, nil
	}
	adjusted := score
	for _, f := range facts {
		adjusted += f.Adjust
	}
	if idMatch && adjusted < q.MinScore {
		// The same document number names the party: reported, whatever
		// the name's spelling.
		adjusted = q.MinScore
	}
	if score >= strongName && adjusted < q.MinScore {
		adjusted = q.MinScore
	}
	adjusted = min(max(adjusted, 0), 1)
	for i := range facts {
		facts[i].Adjust = round4(facts[i].Adjust)
	}
	return round4(adjusted), facts
}

func round4(x float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', 4, 64), 64)
	return v
}

func containsString(xs []string, x string) bool {
	for _, s := range xs {
		if s == x {
			return true
		}
	}
	return false
}
