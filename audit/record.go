// Package audit is the audit trail as a domain: what the service keeps of
// every screening, batch job and administrative action (Record), the
// interface of a place that keeps records (Log), and the implementations
// that need no database of their own: an in-process ring buffer (Ring), a
// Redis Stream (RedisLog), and a bounded queue that sits in front of any Log
// so the request path never waits on storage (Queue). The PostgreSQL log,
// which is the one meant for years of records, lives in package postgres.
package audit

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sync"
	"time"
)

// Channel says how a screening reached the service.
const (
	ChannelAPI      = "api"       // POST /v1/screen
	ChannelBatch    = "batch"     // the summary of one batch job
	ChannelBatchRow = "batch_row" // one row of a batch job
	ChannelAdmin    = "admin"     // an administrative event, see Event
)

// Status is the outcome of one screening.
const (
	StatusMatch        = "match"
	StatusClear        = "clear"
	StatusUnscreenable = "unscreenable"
)

// Events of the admin channel.
const (
	EventListRefreshForced = "list_refresh_forced"
)

// Record is what the audit trail keeps of one screening, batch job or
// administrative event: enough for a compliance officer to show what was
// screened, by whom, against which list version, and what came back.
//
// ID is made by the server (NewID) and is unique; ClientRequestID is the
// caller's X-Request-ID, kept as given and not unique.
type Record struct {
	ID              string    `json:"id"`
	ClientRequestID string    `json:"client_request_id,omitempty"`
	Time            time.Time `json:"time"`
	KeyID           string    `json:"key_id,omitempty"`
	Channel         string    `json:"channel"`
	Query           *Query    `json:"query,omitempty"`
	ListVersion     string    `json:"list_version,omitempty"`
	Status          string    `json:"status,omitempty"`
	Warnings        []string  `json:"warnings,omitempty"`
	MatchCount      int       `json:"match_count"`
	TopMatches      []Match   `json:"top_matches,omitempty"`
	// Suppressed are the matches an analyst's false positive decision
	// took out of the answer (each with the decision's id): they did not
	// count in Status, so the record says why a name with them was clear.
	Suppressed []Match   `json:"suppressed,omitempty"`
	Batch      *BatchJob `json:"batch,omitempty"`
	BatchRow   *BatchRow `json:"batch_row,omitempty"`
	Event      *Event    `json:"event,omitempty"`
}

// Query is the screening query as the service understood it.
type Query struct {
	Name        string  `json:"name"`
	Country     string  `json:"country,omitempty"`
	Type        string  `json:"type,omitempty"`
	Limit       int     `json:"limit"`
	MinScore    float64 `json:"min_score"`
	DateOfBirth string  `json:"date_of_birth,omitempty"`
	Nationality string  `json:"nationality,omitempty"`
	Identifier  string  `json:"identifier,omitempty"`
}

// Match is a listed party that resembled the query, as the trail keeps it.
type Match struct {
	ID    string  `json:"id"`
	List  string  `json:"list"`
	Name  string  `json:"name"`
	Score float64 `json:"score"`
	// SuppressedBy is the decision that suppressed the match (in
	// Record.Suppressed only).
	SuppressedBy string `json:"suppressed_by,omitempty"`
}

// TopMatchesKept is how many matches a record should keep.
const TopMatchesKept = 5

// BatchJob describes a batch job in its summary record (channel "batch").
type BatchJob struct {
	JobID       string `json:"job_id"`
	InputSHA256 string `json:"input_sha256,omitempty"`
	Rows        int64  `json:"rows"`
	ListVersion string `json:"list_version,omitempty"`
	// Outcomes counts the rows by status ("match", "clear", "unscreenable").
	Outcomes map[string]int64 `json:"outcomes,omitempty"`
}

// BatchRow ties a row record (channel "batch_row") to its job.
type BatchRow struct {
	JobID     string `json:"job_id"`
	Row       int64  `json:"row"`
	Reference string `json:"reference,omitempty"`
}

// Event is an administrative action (channel "admin"), such as
// EventListRefreshForced.
type Event struct {
	Action string `json:"action"`
	Detail string `json:"detail,omitempty"`
}

// BatchJobID returns the batch job the record belongs to, if any.
func (r *Record) BatchJobID() string {
	switch {
	case r.Batch != nil:
		return r.Batch.JobID
	case r.BatchRow != nil:
		return r.BatchRow.JobID
	}
	return ""
}

// Name returns the screened name, or "" for a record without a query.
func (r *Record) Name() string {
	if r.Query == nil {
		return ""
	}
	return r.Query.Name
}

// Validate reports what makes a record unfit to keep.
func (r *Record) Validate() error {
	_, err := r.ValidID()
	return err
}

// ValidID validates r, as Validate does, and returns its id's 16 bytes.
func (r *Record) ValidID() ([16]byte, error) {
	id, err := ParseID(r.ID)
	if err != nil {
		return id, fmt.Errorf("audit record: %w", err)
	}
	if r.Time.IsZero() {
		return id, fmt.Errorf("audit record %s: time is not set", r.ID)
	}
	switch r.Channel {
	case ChannelAPI, ChannelBatch, ChannelBatchRow, ChannelAdmin:
	default:
		return id, fmt.Errorf("audit record %s: channel %q is not one of api, batch, batch_row, admin", r.ID, r.Channel)
	}
	switch r.Status {
	case "", StatusMatch, StatusClear, StatusUnscreenable:
	default:
		return id, fmt.Errorf("audit record %s: status %q is not one of match, clear, unscreenable", r.ID, r.Status)
	}
	return id, nil
}

// DerivedID returns the id of a record that may be written more than once
// (a batch row, when a chunk is screened again after a replica died): a
// UUID version 7 whose timestamp is t and whose other bits come from
// SHA-256 of key, so the same (t, key) always gives the same id and a log
// that keeps ids unique (PostgreSQL) keeps the record once.
func DerivedID(t time.Time, key string) string {
	var b [16]byte
	sum := sha256.Sum256([]byte(key))
	binary.BigEndian.PutUint64(b[0:8], uint64(t.UnixMilli())<<16|0x7000|uint64(binary.BigEndian.Uint16(sum[0:2])&0x0fff))
	copy(b[8:], sum[2:10])
	b[8] = b[8]&0x3f | 0x80 // variant 10
	return formatUUID(b)
}

// NewID returns a new record id for a record made at t: a UUID version 7
// (RFC 9562) whose first 48 bits are t in Unix milliseconds, so ids sort
// roughly by time, and the rest random. Ids made in one process for the
// same millisecond still sort in the order they were made: the 12 bits
// after the timestamp carry a counter (RFC 9562 method 1).
func NewID(t time.Time) string {
	var b [16]byte
	ms := uint64(t.UnixMilli())
	idGen.Lock()
	if ms == idGen.ms {
		idGen.seq++
	} else {
		idGen.ms, idGen.seq = ms, 0
	}
	seq := idGen.seq & 0x0fff // on overflow the random bits keep ids unique
	idGen.Unlock()
	binary.BigEndian.PutUint64(b[0:8], ms<<16|0x7000|uint64(seq))
	if _, err := rand.Read(b[8:]); err != nil {
		panic("audit: crypto/rand failed: " + err.Error()) // documented never to fail
	}
	b[8] = b[8]&0x3f | 0x80 // variant 10
	return formatUUID(b)
}

var idGen struct {
	sync.Mutex
	ms  uint64
	seq uint64
}

func formatUUID(b [16]byte) string {
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

// ParseID checks that id is a UUID in its canonical text form and returns
// its 16 bytes.
func ParseID(id string) ([16]byte, error) {
	var b [16]byte
	if len(id) != 36 || id[8] != '-' || id[13] != '-' || id[18] != '-' || id[23] != '-' {
		return b, fmt.Errorf("id %q is not a UUID such as 0190b4c6-0b5e-7a3c-9d1e-2f3a4b5c6d7e", id)
	}
	j := 0
	for i := 0; i < len(id); i++ {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			continue
		}
		v, ok := unhex(id[i])
		if !ok {
			return b, fmt.Errorf("id %q is not a UUID such as 0190b4c6-0b5e-7a3c-9d1e-2f3a4b5c6d7e", id)
		}
		b[j/2] |= v << (4 * (1 - j%2))
		j++
	}
	return b, nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// FormatID is the canonical text form of a 16-byte id.
func FormatID(b [16]byte) string { return formatUUID(b) }
