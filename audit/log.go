package audit

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrNotFound is returned (wrapped) by Get when no record has the id.
var ErrNotFound = errors.New("audit record not found")

// ErrBadCursor is returned (wrapped) by Query when Filter.Cursor is not a
// cursor the same Log returned; the HTTP layer answers 400 for it.
var ErrBadCursor = errors.New("not a cursor returned by this audit log")

// Log keeps audit records.
//
// Concurrency: every method is safe for concurrent use by many goroutines
// and, for the shared backends (Redis, PostgreSQL), by many replicas.
//
// Durability: a nil error from Write means the backend accepted the record;
// how durable that is depends on the backend and is stated on each
// implementation (Ring: until the process exits or the ring wraps; Redis:
// as the server's persistence settings; PostgreSQL: committed). A Queue in
// front of a Log makes Write cheap and says when it returns (QueueAsync,
// QueueAck).
//
// Errors: Get returns an error wrapping ErrNotFound for an unknown id;
// Query returns one wrapping ErrBadCursor for a cursor it did not make. Any
// other error means the backend could not be reached or failed.
type Log interface {
	// Write keeps r. r.ID must be set (NewID) and unique.
	Write(ctx context.Context, r Record) error
	// Query returns the records that match f, oldest first (by time, then
	// id), at most f.Limit of them, with the cursor of the next page.
	Query(ctx context.Context, f Filter) (Page, error)
	// Get returns the record with the id.
	Get(ctx context.Context, id string) (Record, error)
	// Export calls fn for each record with from ≤ time < to, oldest
	// first, without holding them all in memory; it stops at fn's first
	// error and returns it.
	Export(ctx context.Context, from, to time.Time, fn func(Record) error) error
}

// BatchWriter is implemented by logs that write many records more cheaply
// together than one by one; Queue uses it when its backend has it. The
// write is all or nothing, and writing a record that is already kept (same
// ID) is not an error and does not keep it twice, so a batch whose outcome
// was unknown can be written again.
type BatchWriter interface {
	WriteBatch(ctx context.Context, rs []Record) error
}

// ErrRejected is wrapped by the error a Queue gives the writer of a record
// its backend refused for good (RejectedError).
var ErrRejected = errors.New("the audit backend refused the record")

// RejectedError is returned by WriteBatch or WriteEncoded when the batch
// was kept except the records listed, which the backend will never accept
// (a data error: writing them again would fail again). The Queue then
// answers their writers with ErrRejected, counts them as dropped, and does
// not retry them, so that one such record cannot hold up every other.
type RejectedError struct {
	IDs []string
	Err error // the backend's reason, for the first of them
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("%d audit record(s) refused by the backend (%s first): %v", len(e.IDs), e.IDs[0], e.Err)
}

func (e *RejectedError) Unwrap() error { return e.Err }

// Encoded is a record already in a backend's own wire form (EncodedWriter).
type Encoded struct {
	ID   string
	Time time.Time
	Data []byte
}

// EncodedWriter is implemented by a backend that can put a record into its
// wire form ahead of the write. Queue then encodes each record in Write,
// on the caller's goroutine while the record is still in its caches, and
// keeps only the bytes until they are written; its writers do no more than
// send them. WriteEncoded has the guarantees of BatchWriter.WriteBatch.
type EncodedWriter interface {
	BatchWriter
	// Encode validates r and returns it in the form WriteEncoded takes.
	Encode(r *Record) (Encoded, error)
	WriteEncoded(ctx context.Context, rs []Encoded) error
}

// Limits of Filter.Limit.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Filter selects audit records. Zero fields select everything.
type Filter struct {
	From time.Time // records with time ≥ From (zero: no lower bound)
	To   time.Time // records with time < To (zero: no upper bound)
	// KeyID selects the records of one API key; empty means every key.
	// The HTTP layer sets it to the caller's key unless the caller is an
	// administrator.
	KeyID        string
	NameContains string // case-insensitive substring of the screened name
	Channel      string
	ListVersion  string
	Status       string
	BatchJob     string // the job's summary and row records
	Cursor       string // from Page.NextCursor; empty: the first page
	Limit        int    // 1..MaxLimit; 0 means DefaultLimit
}

// Page is one page of a Query.
type Page struct {
	Records []Record `json:"records"`
	// NextCursor continues the query; empty when there is no more. A
	// page may hold fewer than Limit records and still have a cursor
	// (a log that scans a bounded number of records per call stops
	// early); only an empty NextCursor means the end.
	NextCursor string `json:"next_cursor,omitempty"`
}

// Validate reports a filter that cannot be run, naming the field.
func (f *Filter) Validate() error {
	if f.Limit < 0 || f.Limit > MaxLimit {
		return fmt.Errorf("limit %d: must be between 1 and %d", f.Limit, MaxLimit)
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return fmt.Errorf("from (%s) must be before to (%s)", f.From.Format(time.RFC3339Nano), f.To.Format(time.RFC3339Nano))
	}
	return nil
}

// limit is f.Limit with the default applied.
func (f *Filter) limit() int {
	if f.Limit <= 0 {
		return DefaultLimit
	}
	return min(f.Limit, MaxLimit)
}

// Matches reports whether r passes every condition of f except the cursor
// and the limit. Logs that filter in Go (Ring, RedisLog) use it.
func (f *Filter) Matches(r *Record) bool {
	switch {
	case !f.From.IsZero() && r.Time.Before(f.From),
		!f.To.IsZero() && !r.Time.Before(f.To),
		f.KeyID != "" && r.KeyID != f.KeyID,
		f.Channel != "" && r.Channel != f.Channel,
		f.ListVersion != "" && r.ListVersion != f.ListVersion,
		f.Status != "" && r.Status != f.Status,
		f.BatchJob != "" && r.BatchJobID() != f.BatchJob:
		return false
	}
	return f.NameContains == "" || containsFold(r.Name(), f.NameContains)
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// Cursor is a position in the order of records: after the record with
// this time and id. Logs that order by (time, id) use it for paging.
type Cursor struct {
	Time time.Time
	ID   string
}

// String is the cursor's opaque text form: "<unix nanoseconds>_<id>".
func (c Cursor) String() string {
	return strconv.FormatInt(c.Time.UnixNano(), 10) + "_" + c.ID
}

// After reports whether the record with time t and id comes after c.
func (c Cursor) After(t time.Time, id string) bool {
	if !t.Equal(c.Time) {
		return t.After(c.Time)
	}
	return id > c.ID
}

// ParseCursor parses Cursor.String's form; the error wraps ErrBadCursor.
func ParseCursor(s string) (Cursor, error) {
	ns, id, ok := strings.Cut(s, "_")
	n, err := strconv.ParseInt(ns, 10, 64)
	if !ok || err != nil {
		return Cursor{}, fmt.Errorf("cursor %q: %w", s, ErrBadCursor)
	}
	if _, err := ParseID(id); err != nil {
		return Cursor{}, fmt.Errorf("cursor %q: %w", s, ErrBadCursor)
	}
	return Cursor{Time: time.Unix(0, n).UTC(), ID: id}, nil
}
