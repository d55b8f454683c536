package service

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/cslscreen/screener/audit"
	"github.com/cslscreen/screener/internal/jsontext"
	"github.com/cslscreen/screener/screening"
	"github.com/gin-gonic/gin"
)

// ScreenResponse is the body of a 200 from POST /v1/screen. The field
// names are a contract with clients; keep them.
type ScreenResponse struct {
	// ID identifies this screening: made by the server, unique, and the id
	// of its audit record (GET /v1/audit/{id}).
	ID string `json:"id"`
	// Status says how far the answer can be trusted: match, clear, or
	// unscreenable (nothing matched, but the screening cannot vouch for
	// it); Warnings say why it can be trusted less.
	Status   screening.Status    `json:"status"`
	Warnings []screening.Warning `json:"warnings"`
	// ListVersion is List.Version, kept where clients first found it.
	ListVersion string            `json:"list_version"`
	List        screening.ListRef `json:"list"`
	ScreenedAt  time.Time         `json:"screened_at"`
	Query       screening.Query   `json:"query"`
	Matches     []screening.Match `json:"matches"`
	// Suppressed are matches an analyst decided were false positives for
	// this name (POST /v1/alerts/{id}/decision), each with the decision's
	// id; they do not count in Status. Absent when there are none.
	Suppressed []screening.SuppressedMatch `json:"suppressed,omitempty"`

	// reason is why the status is unscreenable, for metrics.
	reason string
}

// newScreenResponse shapes a screening result as the API answers it.
func newScreenResponse(id string, res *screening.Result, at time.Time) ScreenResponse {
	ws := res.Warnings
	if ws == nil {
		ws = []screening.Warning{}
	}
	return ScreenResponse{ID: id, Status: res.Status, Warnings: ws, ListVersion: res.List.Version, List: res.List,
		ScreenedAt: at, Query: res.Query, Matches: res.Matches, reason: res.Reason}
}

// fieldErrors turns a query's problems into the problem document's.
func fieldErrors(errs []screening.FieldError) []FieldError {
	out := make([]FieldError, len(errs))
	for i, e := range errs {
		out[i] = FieldError{Field: e.Field, Reason: e.Reason}
	}
	return out
}

// handleScreen serves POST /v1/screen.
func (s *Server) handleScreen(c *gin.Context) {
	var req screening.Request
	if !s.decodeJSON(c, &req) {
		return
	}
	q, errs := screening.Check(req, s.threshold)
	if len(errs) > 0 {
		badRequest(c, "the screening request has invalid fields", fieldErrors(errs)...)
		return
	}
	snap := s.catalog.Current()
	if snap == nil {
		problem(c, http.StatusServiceUnavailable, kindUnavailable, "no list is loaded yet")
		return
	}
	res := screening.Screen(snap, q)
	var suppressed []screening.SuppressedMatch
	if s.monitor != nil {
		suppressed = res.Suppress(snap, s.monitor.Suppressor(keyID(c)))
	}
	// The screening's id is made here, unique, and finds its audit record
	// (GET /v1/audit/{id}); the caller's X-Request-ID is kept beside it.
	now := time.Now().UTC()
	resp := newScreenResponse(audit.NewID(now), &res, now)
	resp.Suppressed = suppressed
	// The answer is rendered before its record is written: a durable
	// audit log makes the request wait for a commit, after which the
	// screening's data would no longer be in the CPU's caches.
	buf := responseBuffers.Get().(*[]byte)
	*buf = appendScreenResponse((*buf)[:0], &resp)
	defer func() {
		if cap(*buf) <= 1<<20 { // do not keep a rare huge buffer alive
			responseBuffers.Put(buf)
		}
	}()
	if err := s.observeScreening(c, &resp); err != nil {
		c.Header("Retry-After", "1")
		problem(c, http.StatusServiceUnavailable, kindUnavailable, err.Error()+"; no answer is given for a screening that is not on record, try again")
		return
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", *buf)
}

// responseBuffers recycles the byte slices responses are rendered into.
var responseBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

// decodeJSON reads a JSON request body strictly: the media type must be
// JSON, the body valid UTF-8 within the size limit, one object with only
// known fields of the right types. On failure it answers the problem and
// returns false.
func (s *Server) decodeJSON(c *gin.Context, dst any) bool {
	return s.decodeJSONMax(c, dst, s.maxBody)
}

// decodeJSONMax is decodeJSON with its own bound on the body's size.
func (s *Server) decodeJSONMax(c *gin.Context, dst any, maxBody int64) bool {
	ct := c.GetHeader("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		problem(c, http.StatusUnsupportedMediaType, kindUnsupportedMedia,
			fmt.Sprintf("Content-Type must be application/json, got %q", ct))
		return false
	}
	body, err := s.readJSONBody(c, maxBody)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			problem(c, http.StatusRequestEntityTooLarge, kindTooLarge, fmt.Sprintf("request body is larger than %d bytes", maxBody))
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
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint, reflect.Uint64, reflect.Uint32:
		return "an integer"
	case reflect.Float64, reflect.Float32:
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
