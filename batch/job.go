// Package batch screens whole files of counterparties: it reads CSV and JSON
// lines uploads row by row (reporting malformed rows by line number instead
// of dropping them), cuts them into chunks, queues the chunks in a Store
// (Redis, shared by every replica, or an in-process queue with files on
// disk), screens them with a worker pool and streams the results back, every
// input row exactly once and in input order.
//
// Rows are checked and screened through package screening, exactly like
// single requests, against the list version a job started with. The package
// knows nothing of HTTP: the service maps its typed errors onto responses
// and hears of jobs through an Observer, for metrics and the audit trail.
package batch

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// State is where a job is in its life.
type State string

// Job states. A job is visible from the moment its upload has been read in
// full; it never goes back to an earlier state.
const (
	Queued    State = "queued"    // uploaded, no chunk screened yet
	Running   State = "running"   // some chunks screened
	Done      State = "done"      // every row has a result
	Failed    State = "failed"    // stopped for good (the list version is gone); finished chunks are kept
	Cancelled State = "cancelled" // deleted before it finished; results are gone
)

// Finished reports whether the job will not change any more.
func (s State) Finished() bool { return s == Done || s == Failed || s == Cancelled }

// Job is the status of one batch job, as GET /v1/batches/{id} shows it.
type Job struct {
	ID     string `json:"id"`
	Status State  `json:"status"`
	// ListVersion is the list version every row is screened against, fixed
	// when the job is created.
	ListVersion string `json:"list_version"`
	// Format is the upload's format: "csv" or "jsonl".
	Format Format `json:"format"`
	// Rows counts the data rows read, good and bad (blank lines are not rows).
	Rows int64 `json:"rows"`
	// RowsDone counts rows with a result; RowsWithMatches, RowsUnscreenable
	// and RowsWithErrors split them (the rest are clear).
	RowsDone         int64 `json:"rows_done"`
	RowsWithMatches  int64 `json:"rows_with_matches"`
	RowsUnscreenable int64 `json:"rows_unscreenable"`
	RowsWithErrors   int64 `json:"rows_with_errors"`
	// Chunks is the number of units of work; ChunksDone have results.
	Chunks     int `json:"chunks"`
	ChunksDone int `json:"chunks_done"`

	CreatedAt  time.Time  `json:"created_at"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	// ExpiresAt is when a finished job's results will be deleted.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	// Error says why a job failed.
	Error string `json:"error,omitempty"`
	// Columns are the input columns passed through to the results, in order.
	Columns []string `json:"columns"`

	// InputSHA256 is the SHA-256 of the upload as read (after gzip).
	InputSHA256 string `json:"input_sha256,omitempty"`

	// KeyID is the API key that created the job; only it may see the job.
	KeyID string `json:"-"`
	// RawExtras is true when the passed-through values are JSON texts (a
	// JSON lines upload) rather than plain strings (CSV).
	RawExtras bool `json:"-"`
}

// Duration is the time from start (or creation) to finish; 0 while unfinished.
func (j *Job) Duration() time.Duration {
	if j.FinishedAt == nil {
		return 0
	}
	from := j.CreatedAt
	if j.StartedAt != nil {
		from = *j.StartedAt
	}
	return j.FinishedAt.Sub(from)
}

// idLen is the length of a job id: 24 hex digits (96 random bits).
const idLen = 24

func newID() string {
	var b [idLen / 2]byte
	rand.Read(b[:]) // never fails (crypto/rand panics rather than return an error)
	return hex.EncodeToString(b[:])
}

// ValidID reports whether s has the shape of a job id. Ids are checked
// before they reach a Redis key or a file path.
func ValidID(s string) bool {
	if len(s) != idLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
