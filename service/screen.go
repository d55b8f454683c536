package service

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/cslscreen/screener/internal/jsontext"
	"github.com/cslscreen/screener/lists"
	"github.com/cslscreen/screener/matcher"
	"github.com/gin-gonic/gin"
)

// Request limits. They are part of the API contract (openapi.yaml).
const (
	MaxNameRunes = 300
	DefaultLimit = 10
	MaxLimit     = 100
)

// ScreenRequest is the body of POST /v1/screen.
type ScreenRequest struct {
	Name     string   `json:"name"`
	Country  string   `json:"country,omitempty"`
	Type     string   `json:"type,omitempty"`
	Limit    *int     `json:"limit,omitempty"`
	MinScore *float64 `json:"min_score,omitempty"`
}

// ScreenQuery echoes the query as the service understood it: defaults
// applied, country upper-cased.
type ScreenQuery struct {
	Name     string  `json:"name"`
	Country  string  `json:"country,omitempty"`
	Type     string  `json:"type,omitempty"`
	Limit    int     `json:"limit"`
	MinScore float64 `json:"min_score"`
}

// ScreenResponse is the body of a 200 from POST /v1/screen. The field
// names are a contract with clients; keep them.
type ScreenResponse struct {
	// ID identifies this screening (the request id), for audit and logs.
	ID          string      `json:"id"`
	ListVersion string      `json:"list_version"`
	ScreenedAt  time.Time   `json:"screened_at"`
	Query       ScreenQuery `json:"query"`
	Matches     []Match     `json:"matches"`
}

// Match is one listed party resembling the query, with the list facts a
// compliance officer needs to act on it.
type Match struct {
	ID                    string              `json:"id"`
	Source                string              `json:"source"`
	List                  string              `json:"list"`
	Name                  string              `json:"name"`
	MatchedName           string              `json:"matched_name"`
	Score                 float64             `json:"score"`
	Type                  string              `json:"type"`
	Programs              []string            `json:"programs"`
	Addresses             []lists.Address     `json:"addresses"`
	FederalRegisterNotice string              `json:"federal_register_notice"`
	StartDate             string              `json:"start_date"`
	EndDate               string              `json:"end_date"`
	LicenseRequirement    string              `json:"license_requirement"`
	LicensePolicy         string              `json:"license_policy"`
	Remarks               string              `json:"remarks"`
	SourceListURL         string              `json:"source_list_url"`
	SourceInformationURL  string              `json:"source_information_url"`
	Explanation           matcher.Explanation `json:"explanation"`

	// facts is the entry's facts as JSON, from the snapshot (render.go).
	facts *encodedFacts
}

// knownTypes maps the spellings a query may use (as listed, lower or upper
// case; openapi.yaml enumerates them) to the CSL entry type.
var knownTypes = func() map[string]string {
	m := map[string]string{}
	for _, t := range []string{"Entity", "Individual", "Vessel", "Aircraft"} {
		m[t], m[strings.ToLower(t)], m[strings.ToUpper(t)] = t, t, t
	}
	return m
}()

// validateQuery checks a request's fields and returns the matcher query, or
// the list of problems, each naming its field.
func validateQuery(r ScreenRequest, threshold float64) (matcher.Query, []FieldError) {
	var errs []FieldError
	q := matcher.Query{Limit: DefaultLimit, MinScore: threshold}
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
		if q.MinScore == 0 {
			// The matcher reads 0 as "default"; a caller asking for
			// everything gets the smallest positive score instead.
			q.MinScore = math.SmallestNonzeroFloat64
		}
	}
	return q, errs
}

// isControl reports the characters no name holds: C0 controls (NUL, ESC,
// …) and DEL. Tab and line breaks count as spaces, and C1 controls pass:
// U+0092 and its kin are what Windows-1252 apostrophes and dashes become
// when mis-decoded ("Xi\u0092an"), and the name must still be screened.
func isControl(r rune) bool {
	return (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0x7f
}

// screen runs q against snap and shapes the matches for the API. Entries
// that share an id within one list (the CSL repeats some) are reported once.
func screen(snap *Snapshot, q matcher.Query) []Match {
	ms := snap.Index.Screen(q)
	out := make([]Match, 0, len(ms))
	seen := make(map[string]bool, len(ms))
	for _, m := range ms {
		e := &snap.List.Entries[m.Record]
		key := e.Source + "\x00" + e.ID
		if seen[key] {
			continue
		}
		seen[key] = true
		if m.Explanation.Words == nil {
			m.Explanation.Words = []matcher.WordMatch{}
		}
		out = append(out, Match{
			ID:                    e.ID,
			Source:                e.Source,
			List:                  lists.ListCode(e.Source),
			Name:                  e.Name,
			MatchedName:           m.MatchedName,
			Score:                 math.Round(m.Score*10000) / 10000,
			Type:                  e.Type,
			Programs:              nonNil(e.Programs),
			Addresses:             nonNilAddr(e.Addresses),
			FederalRegisterNotice: e.FederalRegisterNotice,
			StartDate:             e.StartDate,
			EndDate:               e.EndDate,
			LicenseRequirement:    e.LicenseRequirement,
			LicensePolicy:         e.LicensePolicy,
			Remarks:               e.Remarks,
			SourceListURL:         e.SourceListURL,
			SourceInformationURL:  e.SourceInformationURL,
			Explanation:           m.Explanation,
			facts:                 snap.factsOf(m.Record),
		})
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilAddr(a []lists.Address) []lists.Address {
	if a == nil {
		return []lists.Address{}
	}
	return a
}

// handleScreen serves POST /v1/screen.
func (s *Server) handleScreen(c *gin.Context) {
	var req ScreenRequest
	if !s.decodeJSON(c, &req) {
		return
	}
	q, errs := validateQuery(req, s.threshold)
	if len(errs) > 0 {
		badRequest(c, "the screening request has invalid fields", errs...)
		return
	}
	snap := s.catalog.Current()
	if snap == nil {
		problem(c, http.StatusServiceUnavailable, kindUnavailable, "no list is loaded yet")
		return
	}
	matches := screen(snap, q)
	resp := ScreenResponse{
		ID:          requestID(c),
		ListVersion: snap.List.Version.ID,
		ScreenedAt:  time.Now().UTC(),
		Query:       ScreenQuery{Name: q.Name, Country: q.Country, Type: q.Type, Limit: q.Limit, MinScore: effectiveMinScore(q.MinScore)},
		Matches:     matches,
	}
	s.observeScreening(c, &resp)
	buf := responseBuffers.Get().(*[]byte)
	*buf = appendScreenResponse((*buf)[:0], &resp)
	c.Data(http.StatusOK, "application/json; charset=utf-8", *buf)
	if cap(*buf) <= 1<<20 { // do not keep a rare huge buffer alive
		responseBuffers.Put(buf)
	}
}

// responseBuffers recycles the byte slices responses are rendered into.
var responseBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

func effectiveMinScore(v float64) float64 {
	if v == math.SmallestNonzeroFloat64 {
		return 0
	}
	return v
}

// decodeJSON reads a JSON request body strictly: the media type must be
// JSON, the body valid UTF-8 within the size limit, one object with only
// known fields of the right types. On failure it answers the problem and
// returns false.
func (s *Server) decodeJSON(c *gin.Context, dst any) bool {
	ct := c.GetHeader("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		problem(c, http.StatusUnsupportedMediaType, kindUnsupportedMedia,
			fmt.Sprintf("Content-Type must be application/json, got %q", ct))
		return false
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, s.maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			problem(c, http.StatusRequestEntityTooLarge, kindTooLarge, fmt.Sprintf("request body is larger than %d bytes", s.maxBody))
			return false
		}
		badRequest(c, "could not read the request body: "+err.Error())
		return false
	}
	if !utf8.Valid(body) {
		badRequest(c, "the request body is not valid UTF-8", FieldError{Reason: "invalid UTF-8 at byte " + fmt.Sprint(jsontext.FirstInvalidUTF8(body))})
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		badRequest(c, "the request body is not a valid screening request", jsonFieldError(err))
		return false
	}
	if dec.More() {
		badRequest(c, "the request body has data after the JSON object", FieldError{Reason: "expected one JSON object"})
		return false
	}
	return true
}

// jsonFieldError turns a decoding error into a FieldError naming the field.
func jsonFieldError(err error) FieldError {
	var ute *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &ute):
		field := ute.Field
		if field == "" {
			return FieldError{Reason: fmt.Sprintf("expected a JSON object, got %s", ute.Value)}
		}
		return FieldError{Field: field, Reason: fmt.Sprintf("must be %s, got %s", jsonTypeName(ute.Type), ute.Value)}
	case errors.As(err, &se):
		return FieldError{Reason: fmt.Sprintf("malformed JSON at byte %d: %s", se.Offset, se.Error())}
	case errors.Is(err, io.EOF):
		return FieldError{Reason: "the body is empty; expected a JSON object"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return FieldError{Reason: "the JSON object is cut off"}
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return FieldError{Field: strings.Trim(f, `"`), Reason: "is not a known field"}
	}
	return FieldError{Reason: strings.TrimPrefix(msg, "json: ")}
}

func jsonTypeName(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Float64, reflect.Float32:
		return "a number"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return t.String()
}
