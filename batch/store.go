package batch

import (
	"context"
	"time"
)

// Task is one chunk of one job, handed to a worker.
type Task struct {
	Job   string
	Chunk int
	ref   string // the store's handle (a stream entry id)
}

// Counts are what one chunk's results hold.
type Counts struct {
	Rows, Matches, Errors, Unscreenable int64
}

// Store keeps jobs, their input and result chunks and the queue of chunks
// to screen. Two implementations: RedisStore, shared by replicas, and
// FileStore, in-process with chunks in files. All methods are safe for
// concurrent use.
//
// The contract that makes results exactly-once: Complete stores a chunk's
// results only if the chunk has none yet, and counts them into the job in
// the same atomic step; so a chunk screened twice (a worker presumed dead
// that was only slow) is stored and counted once, and a job is Done exactly
// when every chunk has results.
type Store interface {
	// PutInput stores input chunk n of job id during its upload, before
	// the job is visible.
	PutInput(ctx context.Context, id string, n int, blob []byte) error
	// Submit makes the uploaded job j visible, Queued, and queues its
	// j.Chunks chunks. A job without chunks is Done at once.
	Submit(ctx context.Context, j *Job) error
	// Discard removes what a refused or abandoned upload stored, and its
	// place and bytes in its key's quota.
	Discard(ctx context.Context, keyID, id string) error
	// Admit takes a place for a new upload, job id of keyID, unless the
	// key has maxActive jobs queued, running or being uploaded already
	// (a *QuotaError); maxActive 0 is no limit. An upload that is admitted
	// ends in Submit, SaveDone or Discard.
	Admit(ctx context.Context, keyID, id string, maxActive int) error
	// Charge counts n more stored bytes to the admitted upload id of
	// keyID, unless that takes the bytes the key's jobs keep stored over
	// maxBytes (a *QuotaError); maxBytes 0 is no limit. The bytes stay
	// counted until the job is deleted or expires; results replace their
	// input chunk's bytes as chunks are completed.
	Charge(ctx context.Context, keyID, id string, n, maxBytes int64) error
	// SaveDone stores a job screened synchronously, with its result
	// chunks, as Done.
	SaveDone(ctx context.Context, j *Job, results [][]byte) error

	// Next waits up to about wait for a chunk to screen and returns nil
	// when none came. It also takes over chunks that a worker took and has
	// not completed within the claim timeout (the worker is presumed dead).
	Next(ctx context.Context, wait time.Duration) (*Task, error)
	// Input returns a task's input chunk, or nil when it is gone (the job
	// was deleted, or the chunk already has results).
	Input(ctx context.Context, t *Task) ([]byte, error)
	// Start marks a queued job running.
	Start(ctx context.Context, id string, at time.Time) error
	// Complete stores the results of t's chunk unless it has some, counts
	// them into the job and takes t off the queue. stored says whether this
	// call stored them; finished is the job when this call completed it.
	Complete(ctx context.Context, t *Task, blob []byte, c Counts, at time.Time) (stored bool, finished *Job, err error)
	// Drop takes a task off the queue without results (its job is gone).
	Drop(ctx context.Context, t *Task) error
	// Release hands an unfinished task back so any worker can take it now.
	Release(ctx context.Context, t *Task) error
	// Fail marks an unfinished job failed and returns it; nil when it had
	// already finished.
	Fail(ctx context.Context, id, reason string, at time.Time) (*Job, error)

	// Get returns a job, or ErrNotFound.
	Get(ctx context.Context, id string) (*Job, error)
	// Result returns result chunk n, or nil when it has none.
	Result(ctx context.Context, id string, n int) ([]byte, error)
	// Delete cancels an unfinished job, deleting its chunks but keeping its
	// status (Cancelled) until the result TTL; a finished or cancelled job
	// is deleted entirely. It returns the job as it was, or ErrNotFound.
	Delete(ctx context.Context, id string, at time.Time) (*Job, error)

	// Sweep does periodic housekeeping (expiry, dead consumers).
	Sweep(ctx context.Context, now time.Time)
	// Close releases what the store holds (the in-process store deletes
	// its files: its jobs end with the process).
	Close() error
}

// activeCounter is implemented by stores that know every job exactly.
type activeCounter interface {
	Active() int
}
