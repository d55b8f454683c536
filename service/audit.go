package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cslscreen/screener/screening"
	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
)

// AuditRecord is what the audit trail keeps of one screening: enough for a
// compliance officer to show what was screened, by whom, against which list
// version, and what came back.
type AuditRecord struct {
	// Cursor is the record's position in the log (set when read back).
	Cursor      string          `json:"cursor,omitempty"`
	ID          string          `json:"id"`
	Time        time.Time       `json:"time"`
	KeyID       string          `json:"key_id,omitempty"`
	Channel     string          `json:"channel"`
	Query       screening.Query `json:"query"`
	ListVersion string          `json:"list_version"`
	MatchCount  int             `json:"match_count"`
	TopMatches  []AuditMatch    `json:"top_matches"`
	Batch       *AuditBatchIn   `json:"batch,omitempty"`
}

// AuditMatch is a match as the audit trail keeps it.
type AuditMatch struct {
	ID    string  `json:"id"`
	List  string  `json:"list"`
	Name  string  `json:"name"`
	Score float64 `json:"score"`
}

// AuditBatchIn describes a batch job in its audit record.
type AuditBatchIn struct {
	Rows        int64 `json:"rows"`
	WithMatches int64 `json:"with_matches"`
	WithErrors  int64 `json:"with_errors"`
}

// auditTopMatches is how many matches a record keeps.
const auditTopMatches = 5

// AuditLog stores audit records. Write must be safe for concurrent use.
type AuditLog interface {
	Write(ctx context.Context, r AuditRecord) error
	// Read returns records with from ≤ time < to, oldest first, starting
	// after cursor (""), at most limit, and the cursor to continue from
	// ("" when there are no more).
	Read(ctx context.Context, from, to time.Time, cursor string, limit int) ([]AuditRecord, string, error)
}

// RedisAuditLog keeps the audit trail in a Redis Stream, capped by length
// (approximately, which Redis trims cheaply) and optionally by age.
type RedisAuditLog struct {
	rdb    redis.UniversalClient
	key    string
	maxLen int64
	maxAge time.Duration
}

// NewRedisAuditLog returns an audit log in the stream PREFIX:audit.
func NewRedisAuditLog(rdb redis.UniversalClient, prefix string, maxLen int64, maxAge time.Duration) *RedisAuditLog {
	return &RedisAuditLog{rdb: rdb, key: prefix + ":audit", maxLen: maxLen, maxAge: maxAge}
}

// Write implements AuditLog.
func (a *RedisAuditLog) Write(ctx context.Context, r AuditRecord) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	args := &redis.XAddArgs{Stream: a.key, Values: []any{"r", b}, Approx: true}
	switch {
	case a.maxAge > 0:
		// MINID trims by age: stream ids start with the ms timestamp.
		args.MinID = strconv.FormatInt(time.Now().Add(-a.maxAge).UnixMilli(), 10)
	case a.maxLen > 0:
		args.MaxLen = a.maxLen
	}
	if err := a.rdb.XAdd(ctx, args).Err(); err != nil {
		return err
	}
	if a.maxAge > 0 && a.maxLen > 0 {
		// both bounds: the age trim ran with XADD, the length one here
		return a.rdb.XTrimMaxLenApprox(ctx, a.key, a.maxLen, 0).Err()
	}
	return nil
}

// Read implements AuditLog.
func (a *RedisAuditLog) Read(ctx context.Context, from, to time.Time, cursor string, limit int) ([]AuditRecord, string, error) {
	start := strconv.FormatInt(from.UnixMilli(), 10)
	if cursor != "" {
		start = "(" + cursor
	}
	end := strconv.FormatInt(to.UnixMilli()-1, 10)
	msgs, err := a.rdb.XRangeN(ctx, a.key, start, end, int64(limit)+1).Result()
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(msgs) > limit {
		msgs = msgs[:limit]
		next = msgs[limit-1].ID
	}
	out := make([]AuditRecord, 0, len(msgs))
	for _, m := range msgs {
		var r AuditRecord
		s, _ := m.Values["r"].(string)
		if err := json.Unmarshal([]byte(s), &r); err != nil {
			continue
		}
		r.Cursor = m.ID
		out = append(out, r)
	}
	return out, next, nil
}

// MemoryAuditLog keeps the most recent records in process memory.
type MemoryAuditLog struct {
	mu     sync.Mutex
	recs   []AuditRecord
	seq    int64
	maxLen int
	maxAge time.Duration
}

// NewMemoryAuditLog keeps at most maxLen records, none older than maxAge (0: no age limit).
func NewMemoryAuditLog(maxLen int, maxAge time.Duration) *MemoryAuditLog {
	return &MemoryAuditLog{maxLen: max(maxLen, 1), maxAge: maxAge}
}

// Write implements AuditLog.
func (a *MemoryAuditLog) Write(_ context.Context, r AuditRecord) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seq++
	r.Cursor = strconv.FormatInt(a.seq, 10)
	a.recs = append(a.recs, r)
	drop := max(len(a.recs)-a.maxLen, 0)
	if a.maxAge > 0 { // records arrive in time order, so the old ones lead
		cut := time.Now().Add(-a.maxAge)
		for drop < len(a.recs) && a.recs[drop].Time.Before(cut) {
			drop++
		}
	}
	if drop > 0 {
		a.recs = append(a.recs[:0:0], a.recs[drop:]...)
	}
	return nil
}

// Read implements AuditLog.
func (a *MemoryAuditLog) Read(_ context.Context, from, to time.Time, cursor string, limit int) ([]AuditRecord, string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var after int64
	if cursor != "" {
		after, _ = strconv.ParseInt(cursor, 10, 64)
	}
	var out []AuditRecord
	for _, r := range a.recs {
		seq, _ := strconv.ParseInt(r.Cursor, 10, 64)
		if seq <= after || r.Time.Before(from) || !r.Time.Before(to) {
			continue
		}
		if len(out) == limit {
			return out, out[limit-1].Cursor, nil
		}
		out = append(out, r)
	}
	return out, "", nil
}

// auditScreening writes the audit record of one API screening. A failed
// write is counted and logged but does not fail the screening: the caller
// already has the answer, and the request id ties it to the access log.
func (s *Server) auditScreening(c *gin.Context, resp *ScreenResponse) {
	if s.audit == nil {
		return
	}
	rec := AuditRecord{
		ID: resp.ID, Time: resp.ScreenedAt, KeyID: keyID(c), Channel: "api",
		Query: resp.Query, ListVersion: resp.ListVersion, MatchCount: len(resp.Matches),
		TopMatches: topAuditMatches(resp.Matches),
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), time.Second)
	defer cancel()
	if err := s.audit.Write(ctx, rec); err != nil {
		s.metrics.AuditErrors.Inc()
		s.log.Error("audit write failed", "request_id", resp.ID, "error", err)
		return
	}
	s.metrics.AuditWritten.Inc()
}

func topAuditMatches(ms []screening.Match) []AuditMatch {
	out := make([]AuditMatch, 0, min(len(ms), auditTopMatches))
	for i := 0; i < len(ms) && i < auditTopMatches; i++ {
		out = append(out, AuditMatch{ID: ms[i].ID, List: ms[i].List, Name: ms[i].Name, Score: ms[i].Score})
	}
	return out
}

// AuditPage is the body of GET /v1/audit.
type AuditPage struct {
	From       time.Time     `json:"from"`
	To         time.Time     `json:"to"`
	Records    []AuditRecord `json:"records"`
	NextCursor string        `json:"next_cursor,omitempty"`
}

// handleAudit serves GET /v1/audit?from=&to=&cursor=&limit=.
func (s *Server) handleAudit(c *gin.Context) {
	if s.audit == nil {
		problem(c, http.StatusNotFound, kindNotFound, "the audit log is not enabled (AUDIT_ENABLED=true)")
		return
	}
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
	from := parseTime("from", now.Add(-24*time.Hour))
	to := parseTime("to", now.Add(time.Millisecond))
	limit := 100
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			errs = append(errs, FieldError{Field: "limit", Reason: "must be an integer between 1 and 1000"})
		}
		limit = n
	}
	cursor := c.Query("cursor")
	if cursor != "" && strings.Trim(cursor, "0123456789-") != "" {
		errs = append(errs, FieldError{Field: "cursor", Reason: "is not a cursor returned by this endpoint"})
	}
	if len(errs) == 0 && !from.Before(to) {
		errs = append(errs, FieldError{Field: "from", Reason: "must be before to"})
	}
	if len(errs) > 0 {
		badRequest(c, "invalid audit query", errs...)
		return
	}
	recs, next, err := s.audit.Read(c.Request.Context(), from, to, cursor, limit)
	if err != nil {
		var re redis.Error
		if errors.As(err, &re) && strings.Contains(err.Error(), "Invalid stream ID") {
			badRequest(c, "invalid audit query", FieldError{Field: "cursor", Reason: "is not a cursor returned by this endpoint"})
			return
		}
		s.log.Error("audit read failed", "request_id", requestID(c), "error", err)
		problem(c, http.StatusServiceUnavailable, kindUnavailable, "the audit log cannot be read right now")
		return
	}
	if recs == nil {
		recs = []AuditRecord{}
	}
	c.JSON(http.StatusOK, AuditPage{From: from, To: to, Records: recs, NextCursor: next})
}
