package batch

import (
	"errors"
	"fmt"
	"strings"
)

// LimitError is an upload over a configured limit. The caller names the
// limit to the client (413).
type LimitError struct {
	// What is "bytes" (after decompression) or "rows".
	What string
	Max  int64
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("the upload has more than %d %s", e.Max, e.What)
}

// Accepted lists the upload types the service reads, for error messages.
const Accepted = "text/csv, application/csv, application/x-ndjson, application/jsonl or application/json-lines; " +
	"gzip-compressed with Content-Encoding: gzip, a +gzip suffix, application/gzip or a .gz file name; " +
	`or multipart/form-data with the file in a part named "file"`

// MediaTypeError is an upload whose type the service does not read (415).
type MediaTypeError struct {
	Got    string // the type or encoding as sent
	Reason string // why it was refused
}

func (e *MediaTypeError) Error() string {
	if e.Reason != "" {
		return e.Reason + "; send " + Accepted
	}
	return fmt.Sprintf("cannot read an upload of type %q; send %s", e.Got, Accepted)
}

// HeaderError is a CSV header without a usable name column (400).
type HeaderError struct {
	Line   int
	Found  []string // the columns the header has, as written
	Reason string
}

func (e *HeaderError) Error() string {
	return fmt.Sprintf("line %d: %s; the header has the columns: %s", e.Line, e.Reason, e.Columns())
}

// Columns lists the header's columns, each quoted, for messages.
func (e *HeaderError) Columns() string { return quoteList(e.Found) }

// InputError is an upload that cannot be read at all: a corrupt gzip
// stream, an empty file, a header line that does not parse (400).
type InputError struct {
	Line   int // 0 when not tied to a line
	Reason string
}

func (e *InputError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
	}
	return e.Reason
}

// ErrNotFound is returned for a job that does not exist (any more), or that
// belongs to another API key.
var ErrNotFound = errors.New("no such batch job")

// NotReadyError is returned when results are asked for a job that has none
// to give: unfinished (without partial), failed (without partial) or
// cancelled.
type NotReadyError struct{ Job *Job }

func (e *NotReadyError) Error() string {
	j := e.Job
	switch j.Status {
	case Cancelled:
		return "the job was cancelled and its results deleted"
	case Failed:
		return fmt.Sprintf("the job failed (%s) after %d of %d rows; ask with ?partial=true for the rows that were screened", j.Error, j.RowsDone, j.Rows)
	}
	return fmt.Sprintf("the job is %s: %d of %d rows screened; poll its status and fetch the results when it is done, or ask with ?partial=true for the rows screened so far", j.Status, j.RowsDone, j.Rows)
}

// ErrResultsLost is returned when a finished job's results disappear while
// they are read (expired or deleted): the caller must not pass a truncated
// file off as complete.
var ErrResultsLost = errors.New("the job's results expired or were deleted while being read")

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}

// StoreError is a failure of the job store (Redis down, disk full): the
// service is at fault, not the upload (503).
type StoreError struct {
	Op  string
	Err error
}

func (e *StoreError) Error() string { return e.Op + ": " + e.Err.Error() }
func (e *StoreError) Unwrap() error { return e.Err }

// Quotas a QuotaError names.
const (
	QuotaActiveJobs  = "active_jobs"  // Options.MaxActiveJobsPerKey (429)
	QuotaStoredBytes = "stored_bytes" // Options.MaxStoredBytesPerKey (413)
)

// QuotaError is an upload refused by a per-key quota: the API key has too
// many jobs queued or running (QuotaActiveJobs: 429, retry when one is
// done), or the upload would take what the key's jobs keep stored over its
// limit (QuotaStoredBytes: 413, delete finished jobs or wait for them to
// expire). Nothing of the upload is kept.
type QuotaError struct {
	What  string // QuotaActiveJobs or QuotaStoredBytes
	Limit int64
}

func (e *QuotaError) Error() string {
	if e.What == QuotaActiveJobs {
		return fmt.Sprintf("the API key already has %d batch jobs queued or running, the most it may have; wait for one to finish or delete one", e.Limit)
	}
	return fmt.Sprintf("the upload would take the batch data stored for the API key over %d bytes (compressed); delete finished jobs or wait for them to expire", e.Limit)
}
