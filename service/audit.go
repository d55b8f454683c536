package service

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cslscreen/screener/audit"
	"github.com/cslscreen/screener/screening"
	"github.com/gin-gonic/gin"
)

// Audit is how the service keeps its audit trail: the log (an audit.Queue
// in front of PostgreSQL, a Redis Stream or a ring in memory), whether a
// screening waits for its record, and whether the log is a system of
// record or only a capped recent history.
type Audit struct {
	Log audit.Log
	// Durable: an answer is sent only once its record is committed (the
	// queue is in ack mode). A record that cannot be committed makes the
	// screening answer 503 rather than an answer nobody can find again.
	Durable bool
	// Record: the log keeps records for years (PostgreSQL). Otherwise
	// GET /v1/audit says plainly that it is a capped recent history.
	Record bool
	// Backend names the log for /readyz and logs: "postgres", "redis" or
	// "memory".
	Backend string
}

// auditStats is implemented by an audit.Queue.
type auditStats interface{ Stats() audit.QueueStats }

// notRecordNotice is what GET /v1/audit says when the log is not a system
// of record.
const notRecordNotice = "this audit log is capped (AUDIT_MAX_LEN records, kept in Redis or memory) and is not a system of record; configure DATABASE_URL to keep every screening in PostgreSQL"

// errNotRecorded is answered when a durable audit log could not commit a
// screening's record: the answer is withheld rather than given unrecorded.
var errNotRecorded = errors.New("the screening could not be recorded in the audit trail")

// auditAdmin records an administrative action (a forced list refresh) in
// the audit trail, with the key and time. A failure is logged and counted.
func (s *Server) auditAdmin(c *gin.Context, action, detail string) {
	if s.audit.Log == nil {
		s.log.Warn("administrative action not recorded: the audit trail is off", "action", action, "detail", detail, "key_id", keyID(c))
		return
	}
	now := time.Now().UTC()
	rec := audit.Record{ID: audit.NewID(now), ClientRequestID: requestID(c), Time: now, KeyID: keyID(c), Channel: audit.ChannelAdmin,
		Event: &audit.Event{Action: action, Detail: detail}}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), 5*time.Second)
	defer cancel()
	if err := s.audit.Log.Write(ctx, rec); err != nil {
		s.metrics.AuditErrors.Inc()
		s.log.Error("audit write failed", "request_id", requestID(c), "action", action, "error", err)
		return
	}
	s.metrics.AuditWritten.Inc()
}

// auditScreening writes the audit record of one API screening. With a
// durable log it waits for the commit and returns its error, and the
// caller answers 503; otherwise a failure is counted and logged and the
// answer goes out (the request id ties it to the access log).
func (s *Server) auditScreening(c *gin.Context, resp *ScreenResponse) error {
	if s.audit.Log == nil {
		return nil
	}
	q := resp.Query
	rec := audit.Record{
		ID: resp.ID, ClientRequestID: requestID(c), Time: resp.ScreenedAt, KeyID: keyID(c), Channel: audit.ChannelAPI,
		Query: &audit.Query{Name: q.Name, Country: q.Country, Type: q.Type, Limit: q.Limit, MinScore: q.MinScore,
			DateOfBirth: q.DateOfBirth, Nationality: q.Nationality, Identifier: q.Identifier},
		ListVersion: resp.ListVersion, Status: string(resp.Status), Warnings: warningCodes(resp.Warnings),
		MatchCount: len(resp.Matches), TopMatches: topAuditMatches(resp.Matches),
	}
	for i := 0; i < len(resp.Suppressed) && i < audit.TopMatchesKept; i++ {
		m := &resp.Suppressed[i]
		rec.Suppressed = append(rec.Suppressed, audit.Match{ID: m.ID, List: m.List, Name: m.Name, Score: m.Score, SuppressedBy: m.SuppressedBy})
	}
	// An audit.Queue bounds its own waits (AckTimeout, 5 s by default) and
	// an async one does not wait; any other log gets a deadline here. A
	// context and timer per screening are a measurable share of its cost.
	ctx := context.WithoutCancel(c.Request.Context())
	if _, bounded := s.audit.Log.(*audit.Queue); !bounded {
		timeout := time.Second
		if s.audit.Durable {
			timeout = 5 * time.Second
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	if err := s.audit.Log.Write(ctx, rec); err != nil {
		s.metrics.AuditErrors.Inc()
		s.log.Error("audit write failed", "request_id", requestID(c), "screening_id", resp.ID, "durable", s.audit.Durable, "error", err)
		if s.audit.Durable {
			return errNotRecorded
		}
		return nil
	}
	s.metrics.AuditWritten.Inc()
	return nil
}

func warningCodes(ws []screening.Warning) []string {
	if len(ws) == 0 {
		return nil
	}
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.Code
	}
	return out
}

func topAuditMatches(ms []screening.Match) []audit.Match {
	if len(ms) == 0 {
		return nil
	}
	out := make([]audit.Match, 0, min(len(ms), audit.TopMatchesKept))
	for i := 0; i < len(ms) && i < audit.TopMatchesKept; i++ {
		out = append(out, audit.Match{ID: ms[i].ID, List: ms[i].List, Name: ms[i].Name, Score: ms[i].Score})
	}
	return out
}

// AuditPage is the body of GET /v1/audit.
type AuditPage struct {
	From    time.Time      `json:"from"`
	To      time.Time      `json:"to"`
	Records []audit.Record `json:"records"`
	// NextCursor continues the query; a page may hold fewer records than
	// asked for and still have one. Only its absence means the end.
	NextCursor string `json:"next_cursor,omitempty"`
	// SystemOfRecord says whether the log keeps records for years
	// (PostgreSQL) or is a capped recent history; Notice says so plainly.
	SystemOfRecord bool   `json:"system_of_record"`
	Notice         string `json:"notice,omitempty"`
}

// auditFilter reads the query parameters shared by GET /v1/audit and
// /v1/audit/export, restricted to the caller's own records unless the
// caller's key has the admin scope. It answers 400 and returns false when
// a parameter is bad.
func (s *Server) auditFilter(c *gin.Context, defaultSpan time.Duration) (audit.Filter, bool) {
	var errs []FieldError
	parseTime := func(name string, def time.Time) time.Time {
		v := c.Query(name)
		if v == "" {
			return def
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			errs = append(errs, FieldError{Field: name, Reason: fmt.Sprintf("%q is not an RFC 3339 time such as 2026-11-27T10:00:00Z", v)})
		}
		return t
	}
	now := time.Now().UTC()
	f := audit.Filter{
		From:         parseTime("from", now.Add(-defaultSpan)),
		To:           parseTime("to", now.Add(time.Millisecond)),
		NameContains: c.Query("name"),
		ListVersion:  c.Query("list_version"),
		Status:       c.Query("status"),
		BatchJob:     c.Query("batch_job"),
		Channel:      c.Query("channel"),
		Cursor:       c.Query("cursor"),
		Limit:        audit.DefaultLimit,
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > audit.MaxLimit {
			errs = append(errs, FieldError{Field: "limit", Reason: fmt.Sprintf("must be an integer between 1 and %d", audit.MaxLimit)})
		}
		f.Limit = n
	}
	switch f.Status {
	case "", audit.StatusMatch, audit.StatusClear, audit.StatusUnscreenable:
	default:
		errs = append(errs, FieldError{Field: "status", Reason: fmt.Sprintf("%q is not match, clear or unscreenable", f.Status)})
	}
	switch f.Channel {
	case "", audit.ChannelAPI, audit.ChannelBatch, audit.ChannelBatchRow, audit.ChannelAdmin:
	default:
		errs = append(errs, FieldError{Field: "channel", Reason: fmt.Sprintf("%q is not api, batch, batch_row or admin", f.Channel)})
	}
	if n := len([]rune(f.NameContains)); n > 0 && n < 3 {
		errs = append(errs, FieldError{Field: "name", Reason: "must have at least 3 characters"})
	}
	if len(errs) == 0 && !f.From.Before(f.To) {
		errs = append(errs, FieldError{Field: "from", Reason: "must be before to"})
	}
	// A key sees its own records; the admin scope sees every key's, or one
	// key's with ?key_id=.
	if hasScope(c, ScopeAdmin) {
		f.KeyID = c.Query("key_id")
	} else {
		if c.Query("key_id") != "" && c.Query("key_id") != keyID(c) {
			errs = append(errs, FieldError{Field: "key_id", Reason: "only a key with the admin scope may read another key's records"})
		}
		f.KeyID = keyID(c)
	}
	if len(errs) > 0 {
		badRequest(c, "invalid audit query", errs...)
		return f, false
	}
	return f, true
}

// auditEnabled answers 404 and returns false when there is no audit log.
func (s *Server) auditEnabled(c *gin.Context) bool {
	if s.audit.Log == nil {
		problem(c, http.StatusNotFound, kindNotFound, "the audit log is not enabled (AUDIT_ENABLED=true, or DATABASE_URL)")
		return false
	}
	return true
}

// handleAudit serves GET /v1/audit: filtered, paged records.
func (s *Server) handleAudit(c *gin.Context) {
	if !s.auditEnabled(c) {
		return
	}
	f, ok := s.auditFilter(c, 24*time.Hour)
	if !ok {
		return
	}
	page, err := s.audit.Log.Query(c.Request.Context(), f)
	if err != nil {
		s.auditReadProblem(c, err)
		return
	}
	if page.Records == nil {
		page.Records = []audit.Record{}
	}
	out := AuditPage{From: f.From, To: f.To, Records: page.Records, NextCursor: page.NextCursor, SystemOfRecord: s.audit.Record}
	if !s.audit.Record {
		out.Notice = notRecordNotice
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, out)
}

// handleAuditRecord serves GET /v1/audit/{id}: the record of one screening
// by the id its answer carried. Another key's record is not found, unless
// the caller is an administrator.
func (s *Server) handleAuditRecord(c *gin.Context) {
	if !s.auditEnabled(c) {
		return
	}
	id := c.Param("id")
	if _, err := audit.ParseID(id); err != nil {
		badRequest(c, "invalid audit record id", FieldError{Field: "id", Reason: err.Error()})
		return
	}
	rec, err := s.audit.Log.Get(c.Request.Context(), id)
	if err == nil && !hasScope(c, ScopeAdmin) && rec.KeyID != keyID(c) {
		err = audit.ErrNotFound
	}
	if errors.Is(err, audit.ErrNotFound) {
		problem(c, http.StatusNotFound, kindNotFound, "no audit record "+quoteID(id)+" (it may be past the log's cap or retention)")
		return
	}
	if err != nil {
		s.auditReadProblem(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, rec)
}

// handleAuditExport serves GET /v1/audit/export?from=&to=&format=: every
// record in the range (the caller's own, or every key's for an admin), as
// CSV or JSON lines, streamed without holding them in memory.
func (s *Server) handleAuditExport(c *gin.Context) {
	if !s.auditEnabled(c) {
		return
	}
	if c.Query("from") == "" || c.Query("to") == "" {
		badRequest(c, "an export needs a time range", FieldError{Field: "from", Reason: "from and to are required (RFC 3339)"})
		return
	}
	f, ok := s.auditFilter(c, 0)
	if !ok {
		return
	}
	format := c.DefaultQuery("format", "jsonl")
	if format != "jsonl" && format != "csv" {
		badRequest(c, "unknown export format", FieldError{Field: "format", Reason: fmt.Sprintf("%q is not csv or jsonl", format)})
		return
	}
	h := c.Writer.Header()
	if format == "csv" {
		h.Set("Content-Type", "text/csv; charset=utf-8")
	} else {
		h.Set("Content-Type", "application/x-ndjson")
	}
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="audit-%s-%s.%s"`, f.From.Format("20060102T150405Z"), f.To.Format("20060102T150405Z"), format))
	h.Set("Cache-Control", "no-store")
	if !s.audit.Record {
		h.Set("X-Audit-Notice", notRecordNotice)
	}
	c.Status(http.StatusOK)
	bw := bufio.NewWriterSize(c.Writer, 64<<10)
	write := exportJSONL(bw)
	if format == "csv" {
		write = exportCSV(bw)
	}
	err := s.audit.Log.Export(c.Request.Context(), f.From, f.To, func(r audit.Record) error {
		if !f.Matches(&r) {
			return nil
		}
		return write(&r)
	})
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		if c.Request.Context().Err() == nil {
			s.log.Error("audit export cut off", "request_id", requestID(c), "error", err)
		}
		// The status line is gone: break the connection so the examiner
		// sees a failed transfer, never a short file that looks whole.
		panic(http.ErrAbortHandler)
	}
}

func exportJSONL(w *bufio.Writer) func(*audit.Record) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return func(r *audit.Record) error { return enc.Encode(r) }
}

// exportColumns are the CSV export's columns.
var exportColumns = []string{"id", "time", "key_id", "channel", "client_request_id", "name", "country", "type", "status", "warnings",
	"list_version", "match_count", "best_match_id", "best_match_list", "best_match_name", "best_match_score", "batch_job", "batch_row", "reference", "event", "detail", "suppressed_by"}

func exportCSV(w *bufio.Writer) func(*audit.Record) error {
	cw := csv.NewWriter(w)
	header := false
	return func(r *audit.Record) error {
		if !header {
			header = true
			if err := cw.Write(exportColumns); err != nil {
				return err
			}
		}
		rec := make([]string, len(exportColumns))
		rec[0], rec[1], rec[2], rec[3], rec[4] = r.ID, r.Time.UTC().Format(time.RFC3339Nano), r.KeyID, r.Channel, r.ClientRequestID
		if r.Query != nil {
			rec[5], rec[6], rec[7] = spreadsheetSafe(r.Query.Name), r.Query.Country, r.Query.Type
		}
		rec[8], rec[9], rec[10], rec[11] = r.Status, strings.Join(r.Warnings, ";"), r.ListVersion, strconv.Itoa(r.MatchCount)
		if len(r.TopMatches) > 0 {
			m := r.TopMatches[0]
			rec[12], rec[13], rec[14], rec[15] = m.ID, m.List, spreadsheetSafe(m.Name), strconv.FormatFloat(m.Score, 'f', -1, 64)
		}
		rec[16] = r.BatchJobID()
		if r.BatchRow != nil {
			rec[17], rec[18] = strconv.FormatInt(r.BatchRow.Row, 10), spreadsheetSafe(r.BatchRow.Reference)
		}
		if r.Event != nil {
			rec[19], rec[20] = r.Event.Action, spreadsheetSafe(r.Event.Detail)
		}
		if len(r.Suppressed) > 0 {
			ids := make([]string, len(r.Suppressed))
			for i, m := range r.Suppressed {
				ids[i] = spreadsheetSafe(m.SuppressedBy)
			}
			rec[21] = strings.Join(ids, ";") // as batch CSV results write it
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
		cw.Flush()
		return cw.Error()
	}
}

// spreadsheetSafe keeps a cell that starts like a formula from being run
// by a spreadsheet (OWASP CSV injection): it is prefixed with a quote.
func spreadsheetSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func (s *Server) auditReadProblem(c *gin.Context, err error) {
	if errors.Is(err, audit.ErrBadCursor) {
		badRequest(c, "invalid audit query", FieldError{Field: "cursor", Reason: "is not a cursor returned by this endpoint"})
		return
	}
	s.log.Error("audit read failed", "request_id", requestID(c), "error", err)
	problem(c, http.StatusServiceUnavailable, kindUnavailable, "the audit log cannot be read right now")
}

// AuditHealth reports the audit trail in /readyz.
type AuditHealth struct {
	Backend        string `json:"backend"`
	SystemOfRecord bool   `json:"system_of_record"`
	Durable        bool   `json:"durable"`
	// Backlog is the records waiting to be written; Dropped those that
	// could not be kept since start.
	Backlog   int    `json:"backlog"`
	Dropped   uint64 `json:"dropped"`
	LastError string `json:"last_error,omitempty"`
}

func (s *Server) auditHealth() *AuditHealth {
	if s.audit.Log == nil {
		return nil
	}
	h := &AuditHealth{Backend: s.audit.Backend, SystemOfRecord: s.audit.Record, Durable: s.audit.Durable}
	if st, ok := s.audit.Log.(auditStats); ok {
		qs := st.Stats()
		h.Backlog, h.Dropped = qs.Depth, qs.Dropped
		if qs.LastError != "" && qs.Failures > 0 {
			h.LastError = "the audit backend could not be written to recently"
		}
	}
	return h
}
