package audit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// QueueMode says when Queue.Write returns.
type QueueMode int

const (
	// QueueAsync: Write returns once the record is queued. A record is
	// lost if the process dies before its batch is written, or if the
	// queue is full (counted in QueueStats.Dropped).
	QueueAsync QueueMode = iota
	// QueueAck: Write returns once the batch holding the record is
	// committed by the backend (a group commit: one backend write for all
	// the records queued meanwhile). A nil error means the record is kept
	// as durably as the backend keeps it, so a screening answered after a
	// nil Write is never missing from the trail.
	QueueAck
)

// ParseQueueMode parses "async" or "ack".
func ParseQueueMode(s string) (QueueMode, error) {
	switch s {
	case "async":
		return QueueAsync, nil
	case "ack":
		return QueueAck, nil
	}
	return 0, fmt.Errorf("audit durability %q: must be async or ack", s)
}

func (m QueueMode) String() string {
	if m == QueueAck {
		return "ack"
	}
	return "async"
}

// ErrQueueFull is returned (wrapped) by Queue.Write when the queue already
// holds its capacity; the record is dropped and counted.
var ErrQueueFull = errors.New("audit queue is full")

// ErrQueueClosed is returned (wrapped) by Queue.Write after Close, and to
// QueueAck writers whose record Close had to drop at its deadline.
var ErrQueueClosed = errors.New("audit queue is closed")

// QueueConfig configures a Queue. Zero fields take the defaults.
type QueueConfig struct {
	Mode QueueMode
	// Capacity is how many records the queue holds while the backend is
	// slow or down (default 10,000); beyond it Write drops and counts.
	Capacity int
	// BatchSize is the most records one backend write takes (default 500).
	BatchSize int
	// Linger is how long the writer waits for more records before a
	// write that is not full (default 2ms; negative: no wait). Records
	// that arrive while a write is in progress join the next one anyway.
	Linger time.Duration
	// WriteTimeout bounds one backend write (default 10s).
	WriteTimeout time.Duration
	// Writers is how many batches may be written at once (default 1).
	// A backend whose commit waits on a disk (PostgreSQL with fsync)
	// keeps more records a second with two or more: one batch is sent
	// while another waits for its flush. Records are then not committed
	// in the order they were queued.
	Writers int
	// RetryMin and RetryMax bound the wait between attempts to write a
	// batch that failed (defaults 50ms and 5s, doubling).
	RetryMin, RetryMax time.Duration
	// AckTimeout bounds how long a QueueAck Write waits for its commit
	// (default 5s), whatever its context: the queue itself answers the
	// writes it could not commit in time, so a caller need not make a
	// context with a deadline, and a timer, for every record.
	AckTimeout time.Duration
}

func (c *QueueConfig) defaults() {
	if c.Capacity <= 0 {
		c.Capacity = 10000
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 500
	}
	if c.Linger == 0 {
		c.Linger = 2 * time.Millisecond
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.Writers <= 0 {
		c.Writers = 1
	}
	if c.RetryMin <= 0 {
		c.RetryMin = 50 * time.Millisecond
	}
	if c.RetryMax < c.RetryMin {
		c.RetryMax = max(5*time.Second, c.RetryMin)
	}
	if c.AckTimeout <= 0 {
		c.AckTimeout = 5 * time.Second
	}
}

// QueueStats is a snapshot of a Queue, for metrics and the readiness
// endpoint.
type QueueStats struct {
	Mode      string `json:"mode"`
	Depth     int    `json:"depth"` // queued or being written
	Capacity  int    `json:"capacity"`
	Written   uint64 `json:"written"`
	Dropped   uint64 `json:"dropped"`
	Batches   uint64 `json:"batches"`  // successful backend writes
	Failures  uint64 `json:"failures"` // failed backend writes (retried)
	LastError string `json:"last_error,omitempty"`
	// LastErrorAt is when the last backend write failed; zero if none has.
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	// LastCommit is how long the last successful backend write took;
	// MaxCommit the longest so far.
	LastCommit time.Duration `json:"last_commit_ns"`
	MaxCommit  time.Duration `json:"max_commit_ns"`
}

// Queue is a bounded in-memory queue in front of a Log: Write hands the
// record to the background writers (QueueConfig.Writers), which write in
// batches (with EncodedWriter or BatchWriter when the backend has it), and
// keeps failed batches, retrying with backoff, until the backend is back;
// records the backend refuses for good (RejectedError) are answered and
// dropped. With an EncodedWriter, Write encodes the record on the caller's
// goroutine and the queue keeps only the bytes. Reads (Query, Get, Export)
// go straight to the backend, so a record still queued is not yet visible.
//
// A Queue is a Log and is safe for concurrent use. Close it to flush.
type Queue struct {
	backend Log
	bw      BatchWriter
	ew      EncodedWriter // when the backend has it: records are queued encoded
	cfg     QueueConfig

	mu       sync.Mutex
	pending  []queued
	inflight int
	flights  map[*flight]struct{} // batches being written
	spare    []queued             // an empty array for pending, from a written batch
	closed   bool
	stats    QueueStats

	wake  chan struct{} // a record arrived or Close was called
	full  chan struct{} // pending reached BatchSize
	abort chan struct{} // Close's deadline passed: drop what is left
	done  chan struct{} // every writer has exited
}

type queued struct {
	r   *Record // without an EncodedWriter
	enc Encoded // with one
	// done (QueueAck only) gets the record's outcome, exactly once: from
	// the writer that commits or drops it, or from the reaper once
	// deadline has passed, which then sets it to nil (under Queue.mu).
	done     chan error
	deadline time.Time
}

// flight is a batch being written; the reaper reads its items.
type flight struct{ items []queued }

func (it *queued) id() string {
	if it.enc.ID != "" {
		return it.enc.ID
	}
	if it.r != nil {
		return it.r.ID
	}
	return ""
}

// NewQueue starts the background writer of a queue in front of backend.
func NewQueue(backend Log, cfg QueueConfig) *Queue {
	cfg.defaults()
	q := &Queue{
		backend: backend, cfg: cfg, flights: map[*flight]struct{}{},
		wake: make(chan struct{}, 1), full: make(chan struct{}, 1),
		abort: make(chan struct{}), done: make(chan struct{}),
	}
	q.bw, _ = backend.(BatchWriter)
	q.ew, _ = backend.(EncodedWriter)
	q.stats.Mode, q.stats.Capacity = cfg.Mode.String(), cfg.Capacity
	var wg sync.WaitGroup
	for range cfg.Writers {
		wg.Add(1)
		go func() { defer wg.Done(); q.run() }()
	}
	go func() { wg.Wait(); close(q.done) }()
	if cfg.Mode == QueueAck {
		go q.reap()
	}
	return q
}

// reap answers the QueueAck writes whose AckTimeout has passed, queued or
// being written, until every writer has exited.
func (q *Queue) reap() {
	t := time.NewTicker(min(max(q.cfg.AckTimeout/50, 5*time.Millisecond), 100*time.Millisecond))
	defer t.Stop()
	var late []queued
	take := func(now time.Time, items []queued) {
		for i := range items {
			if it := &items[i]; it.done != nil && now.After(it.deadline) {
				late = append(late, *it)
				it.done = nil
			}
		}
	}
	for {
		select {
		case <-q.done:
			return
		case now := <-t.C:
			q.mu.Lock()
			take(now, q.pending)
			for f := range q.flights {
				take(now, f.items)
			}
			q.mu.Unlock()
			for _, it := range late {
				it.done <- fmt.Errorf("audit record %s not committed within %s (it stays queued and may still be written): %w",
					it.id(), q.cfg.AckTimeout, context.DeadlineExceeded)
			}
			clear(late)
			late = late[:0]
		}
	}
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// Write queues r. It fills in r.Time (now) and r.ID (NewID) when they are
// empty. In QueueAsync mode it returns at once; in QueueAck mode once the
// record is committed, or refused (ErrRejected), or ctx is done or
// AckTimeout has passed (then the error says so, and the record stays
// queued: it may still be written). It returns an error wrapping
// ErrQueueFull, without blocking, when the queue is full.
func (q *Queue) Write(ctx context.Context, r Record) error {
	if r.Time.IsZero() {
		r.Time = time.Now()
	}
	if r.ID == "" {
		r.ID = NewID(r.Time)
	}
	var it queued
	if q.ew != nil {
		enc, err := q.ew.Encode(&r)
		if err != nil {
			return err
		}
		it.enc = enc
	} else {
		if err := r.Validate(); err != nil {
			return err
		}
		it.r = &r
	}
	if q.cfg.Mode == QueueAck {
		it.done = make(chan error, 1)
		it.deadline = time.Now().Add(q.cfg.AckTimeout)
	}
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return fmt.Errorf("audit record %s: %w", r.ID, ErrQueueClosed)
	}
	if len(q.pending)+q.inflight >= q.cfg.Capacity {
		q.stats.Dropped++
		q.mu.Unlock()
		return fmt.Errorf("audit record %s dropped: %w (%d records)", r.ID, ErrQueueFull, q.cfg.Capacity)
	}
	q.pending = append(q.pending, it)
	n := len(q.pending)
	q.mu.Unlock()
	signal(q.wake)
	if n >= q.cfg.BatchSize {
		signal(q.full)
	}
	if it.done == nil {
		return nil
	}
	if ctx.Done() == nil { // the usual case: AckTimeout bounds the wait
		return <-it.done
	}
	select {
	case err := <-it.done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("audit record %s not committed yet (still queued): %w", r.ID, ctx.Err())
	}
}

func (q *Queue) run() {
	for {
		q.mu.Lock()
		n, closed := len(q.pending), q.closed
		q.mu.Unlock()
		if n == 0 {
			if closed {
				signal(q.wake) // the next writer asleep sees the close too
				return
			}
			select {
			case <-q.wake:
			case <-q.abort:
			}
			if q.aborted() {
				q.dropPending()
				return
			}
			continue
		}
		if n < q.cfg.BatchSize && q.cfg.Linger > 0 && !closed {
			t := time.NewTimer(q.cfg.Linger)
			select {
			case <-t.C:
			case <-q.full:
			case <-q.abort:
			}
			t.Stop()
		}
		if !q.writeNext() {
			q.dropPending()
			return
		}
	}
}

func (q *Queue) aborted() bool {
	select {
	case <-q.abort:
		return true
	default:
		return false
	}
}

// writeNext writes the next batch, retrying until it succeeds; it returns
// false if Close's deadline passed first (the batch is then dropped).
func (q *Queue) writeNext() bool {
	q.mu.Lock()
	n := min(len(q.pending), q.cfg.BatchSize)
	if n == 0 { // another writer took them while this one lingered
		q.mu.Unlock()
		return true
	}
	var batch []queued
	if n == len(q.pending) { // the usual case: take the array itself
		batch, q.pending, q.spare = q.pending, q.spare, nil
	} else {
		batch = make([]queued, n)
		copy(batch, q.pending)
		clear(q.pending[:n]) // let the records be collected
		q.pending = q.pending[n:]
		signal(q.wake) // another writer may take the rest meanwhile
	}
	q.inflight += n
	f := &flight{items: batch}
	q.flights[f] = struct{}{}
	q.mu.Unlock()

	var (
		recs []Record
		encs []Encoded
	)
	if q.ew != nil {
		encs = make([]Encoded, n)
		for i := range batch {
			encs[i] = batch[i].enc
		}
	} else {
		recs = make([]Record, n)
		for i := range batch {
			recs[i] = *batch[i].r
		}
	}
	wait := q.cfg.RetryMin
	for {
		ctx, cancel := context.WithTimeout(context.Background(), q.cfg.WriteTimeout)
		start := time.Now()
		done, err := q.writeBatch(ctx, recs, encs)
		took := time.Since(start)
		cancel()
		// Records the backend refused for good are answered and not
		// retried; the rest of their batch is kept.
		var (
			rejected map[string]bool
			nrej     int
			rej      *RejectedError
		)
		if errors.As(err, &rej) && len(rej.IDs) > 0 {
			rejected = make(map[string]bool, len(rej.IDs))
			for _, id := range rej.IDs {
				rejected[id] = true
			}
			err = nil // the batch is kept but for them
		}
		q.mu.Lock()
		if rejected != nil {
			done = len(f.items)
			for i := range f.items {
				if rejected[f.items[i].id()] {
					nrej++
				}
			}
			q.stats.Dropped += uint64(nrej)
			q.stats.LastError, q.stats.LastErrorAt = rej.Error(), time.Now()
		}
		q.inflight -= done
		q.stats.Written += uint64(done - nrej)
		if err == nil {
			q.stats.Batches++
			q.stats.LastCommit = took
			q.stats.MaxCommit = max(q.stats.MaxCommit, took)
		} else {
			q.stats.Failures++
			q.stats.LastError, q.stats.LastErrorAt = err.Error(), time.Now()
		}
		// a backend without BatchWriter may have kept a prefix: retry
		// only the rest, so nothing is written twice
		kept := f.items[:done]
		f.items = f.items[done:]
		if err == nil {
			delete(q.flights, f)
		}
		q.mu.Unlock()
		for _, it := range kept { // out of the reaper's reach now
			if it.done == nil {
				continue
			}
			if id := it.id(); rejected[id] {
				it.done <- fmt.Errorf("audit record %s: %w: %v", id, ErrRejected, rej.Err)
			} else {
				it.done <- nil
			}
		}
		if recs != nil {
			recs = recs[done:]
		}
		if err == nil {
			q.recycle(batch)
			return true
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
			wait = min(2*wait, q.cfg.RetryMax)
		case <-q.abort:
			t.Stop()
			q.mu.Lock()
			left := f.items
			q.inflight -= len(left)
			q.stats.Dropped += uint64(len(left))
			delete(q.flights, f)
			q.mu.Unlock()
			fail(left)
			return false
		}
	}
}

// recycle keeps the array of a written batch for pending to fill next,
// so that a busy queue does not grow a new one from nothing each time.
func (q *Queue) recycle(batch []queued) {
	if cap(batch) > 4*q.cfg.BatchSize {
		return // a rare burst: let it go
	}
	clear(batch[:cap(batch)])
	q.mu.Lock()
	if q.spare == nil {
		q.spare = batch[:0]
	}
	q.mu.Unlock()
}

// writeBatch writes encs (with an EncodedWriter) or recs and returns how
// many of them are kept.
func (q *Queue) writeBatch(ctx context.Context, recs []Record, encs []Encoded) (int, error) {
	if q.ew != nil {
		if err := q.ew.WriteEncoded(ctx, encs); err != nil {
			return 0, err
		}
		return len(encs), nil
	}
	if q.bw != nil {
		if err := q.bw.WriteBatch(ctx, recs); err != nil {
			return 0, err
		}
		return len(recs), nil
	}
	for i, r := range recs {
		if err := q.backend.Write(ctx, r); err != nil {
			return i, err
		}
	}
	return len(recs), nil
}

func fail(items []queued) {
	for _, it := range items {
		if it.done != nil {
			it.done <- fmt.Errorf("audit record %s dropped: %w before it could be written", it.id(), ErrQueueClosed)
		}
	}
}

func (q *Queue) dropPending() {
	q.mu.Lock()
	items := q.pending
	q.pending = nil
	q.stats.Dropped += uint64(len(items))
	q.mu.Unlock()
	fail(items)
}

// Close stops accepting records and waits until every queued record is
// written or ctx is done; then it drops what is left (counted) and returns
// an error saying how many records were lost. With the backend down, Close
// waits for ctx, so give it a deadline. Close is safe to call more than
// once.
func (q *Queue) Close(ctx context.Context) error {
	q.mu.Lock()
	already := q.closed
	q.closed = true
	q.mu.Unlock()
	signal(q.wake)
	if already {
		<-q.done
		return nil
	}
	select {
	case <-q.done:
		return nil
	case <-ctx.Done():
	}
	q.mu.Lock()
	left := len(q.pending) + q.inflight
	q.mu.Unlock()
	close(q.abort)
	<-q.done
	return fmt.Errorf("audit queue closed with %d records not written: %w", left, ctx.Err())
}

// Stats returns a snapshot of the queue's counters.
func (q *Queue) Stats() QueueStats {
	q.mu.Lock()
	defer q.mu.Unlock()
	s := q.stats
	s.Depth = len(q.pending) + q.inflight
	return s
}

// Query implements Log by asking the backend.
func (q *Queue) Query(ctx context.Context, f Filter) (Page, error) { return q.backend.Query(ctx, f) }

// Get implements Log by asking the backend.
func (q *Queue) Get(ctx context.Context, id string) (Record, error) { return q.backend.Get(ctx, id) }

// Export implements Log by asking the backend.
func (q *Queue) Export(ctx context.Context, from, to time.Time, fn func(Record) error) error {
	return q.backend.Export(ctx, from, to, fn)
}
