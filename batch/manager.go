package batch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/cslscreen/screener/matcher"
	"github.com/cslscreen/screener/screening"
)

// Observer hears about jobs, for metrics and the audit trail. Its methods
// must be quick and safe for concurrent use.
type Observer interface {
	// Queued: a job was accepted.
	Queued(j *Job)
	// Screened: a row was screened (its outcome; called from the workers).
	Screened(o *Outcome)
	// Record: a chunk of job j was screened and is about to be stored. An
	// observer keeping a record of each row keeps it here, before the
	// results can be read, so a job never reads done with rows missing from
	// the record; an error hands the chunk back to be screened again. A
	// chunk may be recorded twice (a replica died before storing it): the
	// record must be idempotent (e.g. ids derived from the job and row).
	Record(j *Job, res []Result) error
	// Stored: a chunk of job j's results were stored: the rows and their
	// counts. Each chunk is reported once, by the replica that stored it,
	// even if it was screened twice.
	Stored(j *Job, res []Result, c Counts)
	// Finished: a job reached Done or Failed (reported once, by the replica
	// that finished it) or Cancelled (by the replica that cancelled it).
	Finished(j *Job)
}

type nopObserver struct{}

func (nopObserver) Queued(*Job)                   {}
func (nopObserver) Screened(*Outcome)             {}
func (nopObserver) Stored(*Job, []Result, Counts) {}
func (nopObserver) Record(*Job, []Result) error   { return nil }
func (nopObserver) Finished(j *Job)               {}

// DefaultChunkRows is the rows per chunk unless configured otherwise.
const DefaultChunkRows = 2000

// DefaultChunkBytes bounds a chunk's row text unless configured otherwise.
// A chunk is held by a worker several times over while it is screened (its
// rows, their encoding, the results echoing them, theirs, each deflated),
// so it must stay small next to the memory of a replica: 4 MiB makes at most
// a few tens of megabytes a worker, whatever the rows' size. Ordinary rows
// (a name and a reference, a hundred bytes or so) are cut by ChunkRows long
// before this; it bites for wide rows (2,000 rows of 64 KiB were 128 MiB).
const DefaultChunkBytes = 4 << 20

// waitChunks is how many chunks' worth of row text a waited upload may have
// to be screened in the request: it is held whole in memory.
const waitChunks = 4

// Options configures a Manager. Store and Catalog are required.
type Options struct {
	Store Store
	// Catalog is the list versions rows are screened against, with
	// Threshold as the default minimum score of a reported match.
	Catalog   *screening.Catalog
	Threshold float64
	Observer  Observer
	Logger    *slog.Logger
	// MaxRows refuses uploads with more data rows (0: no limit).
	MaxRows int64
	// WaitMaxRows is the most rows Submit screens at once when asked to wait.
	WaitMaxRows int64
	// ChunkRows is the rows per chunk; default DefaultChunkRows.
	ChunkRows int
	// MaxActiveJobsPerKey refuses a new upload of an API key that has this
	// many jobs queued, running or being uploaded (0: no limit), with a
	// *QuotaError.
	MaxActiveJobsPerKey int
	// MaxStoredBytesPerKey refuses an upload that would take the bytes
	// an API key's jobs keep stored (their chunks, compressed, as the
	// store holds them, until the jobs are deleted or expire) over this
	// (0: no limit), with a *QuotaError.
	MaxStoredBytesPerKey int64
	// ChunkBytes bounds the row text of a chunk (a chunk ends before the
	// row that would take it over, and holds at least one row); default
	// DefaultChunkBytes. A waited upload with more than 4×ChunkBytes of
	// row text is queued like one over WaitMaxRows.
	ChunkBytes int
	// Workers is the chunks screened at once; default GOMAXPROCS.
	Workers int
	// SweepEvery is how often expired jobs are swept; default a minute.
	SweepEvery time.Duration
	// Suppressor, when set, returns what suppresses matches in the rows of
	// a job of an API key: the false positives the key's analysts decided
	// (monitor.Engine.Suppressor). It is asked once per chunk, so a
	// decision taken while a job runs holds for its later chunks.
	Suppressor func(keyID string) screening.SuppressFunc
	// rows screens rows: catalogRows over Catalog, or a test's fake.
	rows rowScreener

	// PollWait bounds how long an idle worker waits for a chunk before it
	// looks again; it is also how long a shutdown may wait for an idle
	// worker blocked on Redis. Default one second.
	PollWait time.Duration
}

// Manager accepts uploads, screens their chunks with a pool of workers
// and serves status and results. Any number of Managers (replicas) may
// share one RedisStore.
type Manager struct {
	o   Options
	log *slog.Logger

	stop      chan struct{}
	closeOnce sync.Once
	runMu     sync.Mutex // orders Run's wg.Add before Close's wg.Wait
	closed    bool
	wg        sync.WaitGroup

	activeMu sync.Mutex
	active   map[string]time.Time // jobs this replica has seen unfinished, by last sight
}

// New returns a manager; Run starts its workers.
func New(o Options) *Manager {
	if o.Observer == nil {
		o.Observer = nopObserver{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.ChunkRows <= 0 {
		o.ChunkRows = DefaultChunkRows
	}
	if o.ChunkBytes <= 0 {
		o.ChunkBytes = DefaultChunkBytes
	}
	if o.Threshold <= 0 {
		o.Threshold = matcher.DefaultThreshold
	}
	if o.rows == nil {
		o.rows = catalogRows{catalog: o.Catalog, threshold: o.Threshold}
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.SweepEvery <= 0 {
		o.SweepEvery = time.Minute
	}
	if o.PollWait <= 0 {
		o.PollWait = time.Second
	}
	return &Manager{o: o, log: o.Logger, stop: make(chan struct{}), active: map[string]time.Time{}}
}

// suppressor returns the suppressions of a key's rows (nil: none).
func (m *Manager) suppressor(keyID string) screening.SuppressFunc {
	if m.o.Suppressor == nil {
		return nil
	}
	return m.o.Suppressor(keyID)
}

// Upload is a file to screen.
type Upload struct {
	// Body is the content, as returned by Open.
	Body   io.Reader
	Format Format
	// KeyID is the API key submitting it; only that key may see the job.
	KeyID string
	// Wait asks for the job to be screened before Submit returns when it
	// has at most WaitMaxRows rows; a larger one is queued as usual.
	Wait bool
}

// Submit reads an upload to its end, storing it chunk by chunk, and queues
// it; or, with Wait and a small file, screens it at once and returns it
// Done. The upload is refused as a whole (nothing is queued) with a
// *HeaderError, *InputError or *LimitError, or the read error of the body.
func (m *Manager) Submit(ctx context.Context, u Upload) (*Job, error) {
	version, err := m.o.rows.CurrentVersion()
	if err != nil {
		return nil, err
	}
	j := &Job{ID: newID(), Status: Queued, ListVersion: version, Format: u.Format, KeyID: u.KeyID,
		CreatedAt: time.Now().UTC()}
	quotas := m.o.MaxActiveJobsPerKey > 0 || m.o.MaxStoredBytesPerKey > 0
	if quotas {
		if err := m.o.Store.Admit(ctx, j.KeyID, j.ID, m.o.MaxActiveJobsPerKey); err != nil {
			return nil, storeErr("admit upload", err)
		}
	}
	stored := quotas // something to discard on the way out
	fail := func(err error) (*Job, error) {
		if stored {
			m.o.Store.Discard(context.WithoutCancel(ctx), j.KeyID, j.ID)
		}
		return nil, err
	}
	// charge counts n stored bytes against the key's quota.
	charge := func(n int) error {
		if !quotas {
			return nil
		}
		return storeErr("count stored bytes", m.o.Store.Charge(ctx, j.KeyID, j.ID, int64(n), m.o.MaxStoredBytesPerKey))
	}
	// The input's SHA-256 goes on the job's audit record: it shows which
	// file was screened.
	sum := sha256.New()
	dec, err := newDecoder(u.Format, io.TeeReader(u.Body, sum))
	if err != nil {
		return fail(err)
	}
	j.RawExtras = dec.RawExtras()
	// Rows are held until they make a chunk, or, while the upload may
	// still be screened in the request, until it proves too big for that.
	holding := u.Wait && m.o.WaitMaxRows > 0
	var rows []Row
	held := 0 // the row text of rows
	flush := func(n, bytes int) error {
		blob := encodeRows(rows[:n])
		if err := charge(len(blob)); err != nil {
			return err
		}
		stored = true // even a failed write may have left something to discard
		if err := m.o.Store.PutInput(ctx, j.ID, j.Chunks, blob); err != nil {
			return &StoreError{Op: "store upload", Err: err}
		}
		j.Chunks++
		held -= bytes
		k := copy(rows, rows[n:])
		clear(rows[k:]) // let the stored rows' text go
		rows = rows[:k]
		return nil
	}
	// flushFull stores chunks while the rows held make more than one.
	flushFull := func() error {
		for {
			n, bytes := m.chunkEnd(rows)
			if n == len(rows) {
				return nil
			}
			if err := flush(n, bytes); err != nil {
				return err
			}
		}
	}
	for {
		r, err := dec.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fail(err)
		}
		j.Rows++
		if m.o.MaxRows > 0 && j.Rows > m.o.MaxRows {
			return fail(&LimitError{What: "rows", Max: m.o.MaxRows})
		}
		rows = append(rows, r)
		held += r.size()
		if holding && (int64(len(rows)) > m.o.WaitMaxRows || held > waitChunks*m.o.ChunkBytes) {
			holding = false
		}
		if !holding && (len(rows) > m.o.ChunkRows || held > m.o.ChunkBytes) {
			if err := flushFull(); err != nil {
				return fail(err)
			}
		}
	}
	j.InputSHA256 = hex.EncodeToString(sum.Sum(nil))
	j.Columns = dec.Columns()
	if j.Columns == nil {
		j.Columns = []string{}
	}
	if holding {
		done, err := m.screenNow(ctx, j, rows, charge)
		if err != nil {
			return fail(err)
		}
		return done, nil
	}
	if err := flushFull(); err != nil {
		return fail(err)
	}
	if len(rows) > 0 {
		if err := flush(len(rows), held); err != nil {
			return fail(err)
		}
	}
	if err := m.o.Store.Submit(ctx, j); err != nil {
		return fail(&StoreError{Op: "queue job", Err: err})
	}
	m.o.Observer.Queued(j)
	if j.Chunks == 0 {
		now := time.Now().UTC()
		j.Status, j.FinishedAt = Done, &now
		m.o.Observer.Finished(j)
	} else {
		m.seen(j.ID)
	}
	m.log.Info("batch job queued", "job", j.ID, "rows", j.Rows, "chunks", j.Chunks, "format", j.Format, "list_version", j.ListVersion)
	return j, nil
}

// screenNow screens a small upload in the request, on every core, and
// stores it as a finished job.
func (m *Manager) screenNow(ctx context.Context, j *Job, rows []Row, charge func(int) error) (*Job, error) {
	fn, err := m.o.rows.Version(ctx, j.ListVersion, m.suppressor(j.KeyID))
	if err != nil {
		return nil, err
	}
	start := time.Now().UTC()
	res := make([]Result, len(rows))
	var wg sync.WaitGroup
	workers := min(m.o.Workers, max(1, len(rows)/64))
	per := (len(rows) + workers - 1) / max(workers, 1)
	for w := 0; w < workers; w++ {
		lo, hi := w*per, min((w+1)*per, len(rows))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				res[i] = m.screenRow(fn, &rows[i])
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var blobs [][]byte
	var counts []Counts
	var total Counts
	var parts [][]Result
	size := 0
	for from := 0; from < len(res); {
		n, _ := m.chunkEnd(rows[from:])
		part := res[from : from+n]
		from += n
		c := count(part)
		total.Rows += c.Rows
		total.Matches += c.Matches
		total.Errors += c.Errors
		total.Unscreenable += c.Unscreenable
		blobs = append(blobs, encodeResults(part))
		counts = append(counts, c)
		parts = append(parts, part)
		size += len(blobs[len(blobs)-1])
	}
	if err := charge(size); err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	j.Status, j.StartedAt, j.FinishedAt = Done, &start, &now
	j.Chunks, j.ChunksDone = len(blobs), len(blobs)
	j.RowsDone, j.RowsWithMatches, j.RowsWithErrors, j.RowsUnscreenable = total.Rows, total.Matches, total.Errors, total.Unscreenable
	if err := m.o.Observer.Record(j, res); err != nil {
		return nil, &StoreError{Op: "record rows", Err: err}
	}
	if err := m.o.Store.SaveDone(ctx, j, blobs); err != nil {
		return nil, &StoreError{Op: "store results", Err: err}
	}
	m.o.Observer.Queued(j)
	for i, c := range counts {
		m.o.Observer.Stored(j, parts[i], c)
	}
	m.o.Observer.Finished(j)
	return j, nil
}

// storeErr marks an error of the store as a *StoreError, leaving a
// *QuotaError as it is.
func storeErr(op string, err error) error {
	if err == nil || errors.As(err, new(*QuotaError)) {
		return err
	}
	return &StoreError{Op: op, Err: err}
}

// chunkEnd returns how many of rows make the first chunk, and their row
// text: at most ChunkRows rows and ChunkBytes of text, and at least one row.
func (m *Manager) chunkEnd(rows []Row) (n, bytes int) {
	for n < len(rows) && n < m.o.ChunkRows {
		b := rows[n].size()
		if n > 0 && bytes+b > m.o.ChunkBytes {
			break
		}
		n++
		bytes += b
	}
	return n, bytes
}

func count(res []Result) Counts {
	c := Counts{Rows: int64(len(res))}
	for i := range res {
		switch res[i].Status {
		case StatusMatch:
			c.Matches++
		case StatusError:
			c.Errors++
		case StatusUnscreenable:
			c.Unscreenable++
		}
	}
	return c
}

// screenRow judges one row. A panic in the screener becomes an error row
// rather than a crash that would bring the chunk back again and again.
func (m *Manager) screenRow(fn ScreenFunc, r *Row) (res Result) {
	res.Row = *r
	res.Row.Err = ""
	if r.Err != "" {
		res.Outcome = Outcome{Status: StatusError, Error: r.Err}
		return res
	}
	defer func() {
		if p := recover(); p != nil {
			m.log.Error("batch: screening a row panicked", "line", r.Line, "panic", fmt.Sprint(p))
			res.Outcome = Outcome{Status: StatusError, Error: "internal error while screening this row"}
		}
	}()
	res.Outcome = fn(r)
	m.o.Observer.Screened(&res.Outcome)
	return res
}

// Get returns job id as keyID may see it.
func (m *Manager) Get(ctx context.Context, id, keyID string) (*Job, error) {
	if !ValidID(id) {
		return nil, ErrNotFound
	}
	j, err := m.o.Store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if j.KeyID != keyID {
		return nil, ErrNotFound
	}
	return j, nil
}

// Results returns the job whose results may be read now: a done job, or
// with partial a running or failed one. Otherwise a *NotReadyError.
func (m *Manager) Results(ctx context.Context, id, keyID string, partial bool) (*Job, error) {
	j, err := m.Get(ctx, id, keyID)
	if err != nil {
		return nil, err
	}
	if j.Status == Done || (partial && j.Status != Cancelled) {
		return j, nil
	}
	return nil, &NotReadyError{Job: j}
}

// WriteResults writes j's results, chunk by chunk in input order, and
// returns the rows written. For a done job every row is written or an
// error (ErrResultsLost) returned; with partial it stops at the first chunk
// without results.
func (m *Manager) WriteResults(ctx context.Context, j *Job, w ResultWriter, partial bool) (int64, error) {
	partial = partial && j.Status != Done // a done job is whole or an error
	type fetched struct {
		res []Result
		err error
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan fetched, 2) // fetch and decode ahead of the writer
	go func() {
		defer close(ch)
		for c := 0; c < j.Chunks; c++ {
			blob, err := m.o.Store.Result(ctx, j.ID, c)
			var f fetched
			switch {
			case err != nil:
				f.err = err
			case blob == nil && partial:
				return
			case blob == nil:
				f.err = ErrResultsLost
			default:
				f.res, f.err = decodeResults(blob)
			}
			select {
			case ch <- f:
			case <-ctx.Done():
				return
			}
			if f.err != nil {
				return
			}
		}
	}()
	var n int64
	for f := range ch {
		if f.err != nil {
			return n, f.err
		}
		for i := range f.res {
			if err := w.Write(&f.res[i]); err != nil {
				return n, err
			}
			n++
		}
	}
	if err := ctx.Err(); err != nil {
		return n, err
	}
	if j.Status == Done && n != j.Rows {
		return n, fmt.Errorf("%w: %d of %d rows found", ErrResultsLost, n, j.Rows)
	}
	return n, w.Flush()
}

// Delete cancels job id (when unfinished) and deletes it.
func (m *Manager) Delete(ctx context.Context, id, keyID string) (*Job, error) {
	if _, err := m.Get(ctx, id, keyID); err != nil {
		return nil, err
	}
	prev, err := m.o.Store.Delete(ctx, id, time.Now().UTC())
	if err != nil {
		return nil, err
	}
	if !prev.Status.Finished() {
		now := time.Now().UTC()
		prev.Status, prev.FinishedAt = Cancelled, &now
		m.o.Observer.Finished(prev)
		m.log.Info("batch job cancelled", "job", id, "rows_done", prev.RowsDone, "rows", prev.Rows)
	}
	m.forget(id)
	return prev, nil
}

// Active returns the jobs queued or running that this replica knows of.
func (m *Manager) Active() int {
	if ac, ok := m.o.Store.(activeCounter); ok {
		return ac.Active()
	}
	m.activeMu.Lock()
	defer m.activeMu.Unlock()
	return len(m.active)
}

func (m *Manager) seen(id string) {
	m.activeMu.Lock()
	m.active[id] = time.Now()
	m.activeMu.Unlock()
}

func (m *Manager) forget(id string) {
	m.activeMu.Lock()
	delete(m.active, id)
	m.activeMu.Unlock()
}

// Run screens chunks until ctx ends or Close is called. On the way out each
// worker hands its unfinished chunk back to the queue.
func (m *Manager) Run(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-m.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	m.runMu.Lock()
	if m.closed {
		m.runMu.Unlock()
		return
	}
	m.wg.Add(m.o.Workers + 1)
	m.runMu.Unlock()
	for i := 0; i < m.o.Workers; i++ {
		go func() {
			defer m.wg.Done()
			m.work(ctx)
		}()
	}
	go func() {
		defer m.wg.Done()
		t := time.NewTicker(m.o.SweepEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				m.o.Store.Sweep(ctx, now)
				m.pruneActive(now)
			}
		}
	}()
	<-ctx.Done()
	m.wg.Wait()
}

func (m *Manager) pruneActive(now time.Time) {
	m.activeMu.Lock()
	defer m.activeMu.Unlock()
	for id, t := range m.active {
		if now.Sub(t) > 10*time.Minute {
			delete(m.active, id)
		}
	}
}

// Close stops the workers, waits for them to hand back their chunks and
// closes the store.
func (m *Manager) Close() error {
	m.closeOnce.Do(func() {
		m.runMu.Lock()
		m.closed = true
		m.runMu.Unlock()
		close(m.stop)
	})
	m.wg.Wait()
	return m.o.Store.Close()
}

func (m *Manager) work(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		t, err := m.o.Store.Next(ctx, m.o.PollWait)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			m.log.Warn("batch: cannot read the queue; retrying", "error", err, "in", backoff.String())
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 5*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		if t != nil {
			m.process(ctx, t)
		}
	}
}

// process screens one chunk. Screening stops between rows when ctx ends
// and the chunk is handed back.
func (m *Manager) process(ctx context.Context, t *Task) {
	st := m.o.Store
	bg := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	}
	handBack := func() {
		c, cancel := bg()
		defer cancel()
		if err := st.Release(c, t); err != nil {
			m.log.Warn("batch: could not hand a chunk back; it will be claimed after the claim timeout",
				"job", t.Job, "chunk", t.Chunk, "error", err)
		}
	}
	log := m.log.With("job", t.Job, "chunk", t.Chunk)
	j, err := st.Get(ctx, t.Job)
	if errors.Is(err, ErrNotFound) {
		st.Drop(ctx, t)
		return
	}
	if err != nil {
		if ctx.Err() == nil {
			log.Warn("batch: cannot read the job", "error", err)
		}
		handBack()
		return
	}
	if j.Status.Finished() {
		st.Drop(ctx, t)
		m.forget(j.ID)
		return
	}
	m.seen(j.ID)
	fn, err := m.o.rows.Version(ctx, j.ListVersion, m.suppressor(j.KeyID))
	if err != nil {
		if errors.Is(err, screening.ErrVersionGone) {
			m.fail(ctx, t, err.Error())
			return
		}
		if ctx.Err() == nil {
			log.Warn("batch: cannot load the job's list version", "list_version", j.ListVersion, "error", err)
		}
		handBack()
		return
	}
	blob, err := st.Input(ctx, t)
	if err != nil {
		if ctx.Err() == nil {
			log.Warn("batch: cannot read a chunk", "error", err)
		}
		handBack()
		return
	}
	if blob == nil { // finished elsewhere, or the job was deleted
		st.Drop(ctx, t)
		return
	}
	rows, err := decodeRows(blob)
	if err != nil {
		m.fail(ctx, t, fmt.Sprintf("chunk %d cannot be read: %v", t.Chunk, err))
		return
	}
	if j.Status == Queued {
		st.Start(ctx, j.ID, time.Now().UTC())
	}
	res := make([]Result, len(rows))
	for i := range rows {
		if i%16 == 0 && ctx.Err() != nil {
			handBack()
			return
		}
		res[i] = m.screenRow(fn, &rows[i])
	}
	if err := m.o.Observer.Record(j, res); err != nil {
		log.Warn("batch: the chunk's rows could not be recorded; handing it back", "error", err)
		handBack()
		return
	}
	c, cancel := bg()
	defer cancel()
	counts := count(res)
	stored, fin, err := st.Complete(c, t, encodeResults(res), counts, time.Now().UTC())
	if stored {
		m.o.Observer.Stored(j, res, counts)
	}
	if err != nil {
		log.Warn("batch: could not complete a chunk; if its results were not stored it will be screened again",
			"stored", stored, "error", err)
		return
	}
	if fin != nil {
		m.forget(fin.ID)
		m.o.Observer.Finished(fin)
		m.log.Info("batch job done", "job", fin.ID, "rows", fin.Rows, "rows_with_matches", fin.RowsWithMatches,
			"rows_with_errors", fin.RowsWithErrors, "duration_ms", fin.Duration().Milliseconds(), "list_version", fin.ListVersion)
	}
}

func (m *Manager) fail(ctx context.Context, t *Task, reason string) {
	c, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	j, err := m.o.Store.Fail(c, t.Job, reason, time.Now().UTC())
	if err != nil {
		m.log.Warn("batch: cannot mark a job failed", "job", t.Job, "error", err)
		return
	}
	m.o.Store.Drop(c, t)
	if j != nil {
		m.forget(j.ID)
		m.o.Observer.Finished(j)
		m.log.Error("batch job failed", "job", j.ID, "reason", reason)
	}
}
