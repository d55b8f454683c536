package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cslscreen/screener/audit"
	"github.com/cslscreen/screener/batch"
	"github.com/cslscreen/screener/screening"
	"github.com/gin-gonic/gin"
)

// Batches serves the batch routes over a batch.Manager, which checks and
// screens rows exactly as POST /v1/screen does (package screening).
type Batches struct {
	jobs *batch.Manager
	// maxBytes bounds an upload after decompression (BATCH_MAX_BYTES).
	maxBytes int64
	log      *slog.Logger
	base     string // the route group's path, for Location headers
}

// Limits' names as the operator configures them, for 413 responses.
const (
	envBatchMaxBytes = "BATCH_MAX_BYTES"
	envBatchMaxRows  = "BATCH_MAX_ROWS"
)

// DefaultBatchMaxBytes is the largest upload unless configured otherwise.
const DefaultBatchMaxBytes = 1 << 30

// kindBatchNotReady is the problem of results asked for too early, or of
// a failed job without ?partial=true (409); kindBatchGone of a cancelled
// job's results, deleted for good (410).
const (
	kindBatchNotReady = "batch-results-not-ready"
	kindBatchGone     = "batch-results-gone"
)

func init() {
	problemTitles[kindBatchNotReady] = "Batch results are not available"
	problemTitles[kindBatchGone] = "Batch results are gone"
}

// NewBatches returns the batch routes over jobs; maxBytes bounds an upload
// after decompression (0: DefaultBatchMaxBytes).
func NewBatches(jobs *batch.Manager, maxBytes int64, log *slog.Logger) *Batches {
	if maxBytes <= 0 {
		maxBytes = DefaultBatchMaxBytes
	}
	if log == nil {
		log = slog.Default()
	}
	return &Batches{jobs: jobs, maxBytes: maxBytes, log: log, base: "/v1"}
}

// Mount implements BatchRoutes.
func (b *Batches) Mount(g *gin.RouterGroup) {
	b.base = strings.TrimRight(g.BasePath(), "/")
	g.POST("/batches", b.handleCreate)
	g.GET("/batches/:id", b.handleStatus)
	g.GET("/batches/:id/results", b.handleResults)
	g.DELETE("/batches/:id", b.handleDelete)
}

// BatchStatus is the body of 202 from POST /v1/batches and of
// GET /v1/batches/{id}.
type BatchStatus struct {
	*batch.Job
	// Results is the path of the job's results.
	Results string `json:"results"`
}

func (b *Batches) status(j *batch.Job) BatchStatus {
	return BatchStatus{Job: j, Results: b.base + "/batches/" + j.ID + "/results"}
}

// handleCreate serves POST /v1/batches: a raw CSV or JSON lines body, or a
// multipart form with the file in the part "file". The upload is read to
// its end before the answer, so a 202 means every row is stored and
// queued, and a refusal (400, 413, 415) means nothing was.
func (b *Batches) handleCreate(c *gin.Context) {
	format, ok := b.resultFormat(c, "")
	if !ok {
		return
	}
	wait, ok := boolQuery(c, "wait")
	if !ok {
		return
	}
	// The raw body may exceed the content limit by the multipart framing.
	maxRaw := b.maxBytes + 1<<20
	if c.Request.ContentLength > maxRaw {
		b.tooLarge(c, &batch.LimitError{What: "bytes", Max: b.maxBytes})
		return
	}
	// wire counts the bytes as sent, to bound how much any decompressed
	// stream may grow (ratioReader).
	wire := &countingReader{r: http.MaxBytesReader(c.Writer, c.Request.Body, maxRaw)}
	ct := c.GetHeader("Content-Type")
	media := batch.Media{ContentType: ct, ContentEncoding: c.GetHeader("Content-Encoding"), Filename: c.Query("filename")}
	var in io.Reader = wire
	if mt, params, err := mime.ParseMediaType(ct); err == nil && mt == "multipart/form-data" {
		if media.ContentEncoding != "" {
			if !strings.EqualFold(media.ContentEncoding, "gzip") {
				problem(c, http.StatusUnsupportedMediaType, kindUnsupportedMedia, "Content-Encoding "+media.ContentEncoding+" is not supported (only gzip)")
				return
			}
			// The form itself is bounded after decompression, as a raw
			// body is: BATCH_MAX_BYTES plus the framing, and the ratio.
			zr, err := batch.Gunzip(wire, maxRaw)
			if err != nil {
				badRequest(c, "the request body is labelled gzip but is not a gzip stream")
				return
			}
			in = &ratioReader{r: zr, wire: wire}
		}
		part, err := filePart(multipart.NewReader(in, params["boundary"]))
		if err != nil {
			b.uploadProblem(c, err)
			return
		}
		in = part
		media = batch.Media{ContentType: part.Header.Get("Content-Type"), ContentEncoding: part.Header.Get("Content-Encoding"), Filename: part.FileName()}
	} else if media.Filename == "" {
		if _, params, err := mime.ParseMediaType(c.GetHeader("Content-Disposition")); err == nil {
			media.Filename = params["filename"]
		}
	}
	content, inFormat, err := batch.Open(in, media, b.maxBytes)
	if err != nil {
		b.uploadProblem(c, err)
		return
	}
	content = &ratioReader{r: content, wire: wire}
	j, err := b.jobs.Submit(c.Request.Context(), batch.Upload{Body: content, Format: inFormat, KeyID: keyID(c), Wait: wait})
	if err != nil {
		b.uploadProblem(c, err)
		return
	}
	if wait && j.Status == batch.Done {
		c.Header("Content-Location", b.status(j).Results)
		b.writeResults(c, j, format, false)
		return
	}
	// Too big to wait for (or not asked to): the client polls Location.
	c.Header("Location", b.base+"/batches/"+j.ID)
	c.JSON(http.StatusAccepted, b.status(j))
}

// filePart returns the multipart part named "file", among the first
// maxFormParts parts. Every part's body counts towards the limits of the
// reader under mr; the names of the others are kept only for the 400.
func filePart(mr *multipart.Reader) (*multipart.Part, error) {
	var names []string
	for seen := 0; ; seen++ {
		if seen == maxFormParts {
			return nil, &batch.InputError{Reason: fmt.Sprintf(`the multipart upload has no part named "file" in its first %d parts; they are %s`,
				maxFormParts, partNames(names, seen))}
		}
		p, err := mr.NextPart()
		if err == io.EOF {
			if len(names) == 0 {
				return nil, &batch.InputError{Reason: `the multipart upload has no part named "file"`}
			}
			return nil, &batch.InputError{Reason: fmt.Sprintf(`the multipart upload has no part named "file"; it has %s`, partNames(names, seen))}
		}
		if err != nil {
			var (
				mbe *http.MaxBytesError
				le  *batch.LimitError
				ie  *batch.InputError
			)
			if errors.As(err, &mbe) || errors.As(err, &le) || errors.As(err, &ie) || errors.Is(err, inflateError{}) {
				return nil, err
			}
			return nil, &batch.InputError{Reason: "the multipart body does not parse: " + cutText(err.Error(), maxParseErrorBytes)}
		}
		if p.FormName() == "file" {
			return p, nil
		}
		if len(names) < maxPartNames {
			names = append(names, p.FormName())
		}
	}
}

// boolQuery reads ?name= as ParseBool does (absent: false); for another
// value it answers 400 naming the parameter and returns ok false.
func boolQuery(c *gin.Context, name string) (v, ok bool) {
	q, set := c.GetQuery(name)
	if !set {
		return false, true
	}
	v, err := ParseBool(q)
	if err != nil {
		badRequest(c, "invalid query parameter", FieldError{Field: name, Reason: err.Error()})
		return false, false
	}
	return v, true
}

// resultFormat reads ?format= or else Accept; "" means the job's own
// format (CSV results for a CSV upload). It answers 400 for an unknown
// ?format=.
func (b *Batches) resultFormat(c *gin.Context, def batch.Format) (batch.Format, bool) {
	if v := c.Query("format"); v != "" {
		f, ok := batch.ParseFormat(v)
		if !ok {
			badRequest(c, "unknown result format", FieldError{Field: "format", Reason: fmt.Sprintf("%q is not csv or jsonl", v)})
			return "", false
		}
		return f, true
	}
	for _, part := range strings.Split(c.GetHeader("Accept"), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "text/csv", "application/csv":
			return batch.CSV, true
		case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/json-lines", "application/jsonlines", "application/json":
			return batch.JSONL, true
		}
	}
	return def, true
}

// handleStatus serves GET /v1/batches/{id}.
func (b *Batches) handleStatus(c *gin.Context) {
	j, err := b.jobs.Get(c.Request.Context(), c.Param("id"), keyID(c))
	if err != nil {
		b.jobProblem(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, b.status(j))
}

// handleResults serves GET /v1/batches/{id}/results: every row of a done
// job, in input order. For an unfinished or failed job it answers 409 with
// the progress, unless ?partial=true, which streams the rows of the leading
// chunks that have results and stops at the first that has none.
func (b *Batches) handleResults(c *gin.Context) {
	format, ok := b.resultFormat(c, "")
	if !ok {
		return
	}
	partial, ok := boolQuery(c, "partial")
	if !ok {
		return
	}
	j, err := b.jobs.Results(c.Request.Context(), c.Param("id"), keyID(c), partial)
	if err != nil {
		b.jobProblem(c, err)
		return
	}
	b.writeResults(c, j, format, partial)
}

func (b *Batches) writeResults(c *gin.Context, j *batch.Job, f batch.Format, partial bool) {
	if f == "" {
		f = j.Format
	}
	h := c.Writer.Header()
	h.Set("Content-Type", f.ContentType())
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="batch-%s-results%s"`, j.ID, f.Ext()))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Batch-ID", j.ID)
	h.Set("X-Batch-Status", string(j.Status))
	h.Set("X-List-Version", j.ListVersion)
	if j.Status == batch.Done {
		h.Set("X-Batch-Rows", fmt.Sprint(j.Rows))
	}
	c.Status(http.StatusOK)
	n, err := b.jobs.WriteResults(c.Request.Context(), j, batch.NewResultWriter(c.Writer, f, j), partial)
	if err != nil {
		if c.Request.Context().Err() == nil {
			b.log.Error("batch results cut off", "request_id", requestID(c), "job", j.ID, "rows_sent", n, "error", err)
		}
		// The status line is gone already: break the connection so the
		// client sees a failed transfer, never a short file that looks whole.
		panic(http.ErrAbortHandler)
	}
}

// handleDelete serves DELETE /v1/batches/{id}: an unfinished job is
// cancelled (its status stays readable as cancelled until the result TTL);
// a finished one is deleted with its results.
func (b *Batches) handleDelete(c *gin.Context) {
	if _, err := b.jobs.Delete(c.Request.Context(), c.Param("id"), keyID(c)); err != nil {
		b.jobProblem(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (b *Batches) jobProblem(c *gin.Context, err error) {
	var nr *batch.NotReadyError
	switch {
	case errors.Is(err, batch.ErrNotFound):
		problem(c, http.StatusNotFound, kindNotFound, "no batch job "+c.Param("id")+" (it may have expired or been deleted)")
	case errors.As(err, &nr) && nr.Job.Status == batch.Cancelled:
		// Gone for good: asking again will not help.
		problem(c, http.StatusGone, kindBatchGone, nr.Error())
	case errors.As(err, &nr):
		if !nr.Job.Status.Finished() {
			c.Header("Retry-After", "2") // a failed job's results will not come either
		}
		problem(c, http.StatusConflict, kindBatchNotReady, nr.Error())
	default:
		b.log.Error("batch store failed", "request_id", requestID(c), "error", err)
		problem(c, http.StatusServiceUnavailable, kindUnavailable, "batch jobs are unavailable: the job store cannot be reached")
	}
}

// uploadProblem answers a refused upload.
func (b *Batches) uploadProblem(c *gin.Context, err error) {
	var (
		le  *batch.LimitError
		mbe *http.MaxBytesError
		mte *batch.MediaTypeError
		he  *batch.HeaderError
		ie  *batch.InputError
		se  *batch.StoreError
		qe  *batch.QuotaError
	)
	switch {
	case errors.As(err, &qe) && qe.What == batch.QuotaActiveJobs:
		c.Header("Retry-After", "30")
		problem(c, http.StatusTooManyRequests, kindRateLimited, qe.Error(),
			FieldError{Field: "BATCH_MAX_ACTIVE_JOBS_PER_KEY", Reason: fmt.Sprintf("at most %d jobs queued or running per key", qe.Limit)})
	case errors.As(err, &qe):
		problem(c, http.StatusRequestEntityTooLarge, kindTooLarge, qe.Error(),
			FieldError{Field: "BATCH_MAX_STORED_BYTES_PER_KEY", Reason: fmt.Sprintf("at most %d bytes stored per key", qe.Limit)})
	case errors.As(err, &le):
		b.tooLarge(c, le)
	case errors.As(err, &mbe):
		b.tooLarge(c, &batch.LimitError{What: "bytes", Max: b.maxBytes})
	case errors.Is(err, inflateError{}):
		problem(c, http.StatusRequestEntityTooLarge, kindTooLarge,
			fmt.Sprintf("%s, the most allowed past the first %d MiB; rows of names never compress that much: send it uncompressed or split it", err, inflateFloor>>20),
			FieldError{Field: "Content-Encoding", Reason: fmt.Sprintf("at most %d times the compressed size", maxInflateRatio)})
	case errors.As(err, &mte):
		problem(c, http.StatusUnsupportedMediaType, kindUnsupportedMedia, mte.Error())
	case errors.As(err, &he):
		badRequest(c, fmt.Sprintf("the CSV header cannot be used: %s; the header has the columns %s", he.Reason, he.Columns()),
			FieldError{Field: "name", Line: he.Line, Reason: he.Reason})
	case errors.As(err, &ie):
		badRequest(c, "the upload cannot be read: "+ie.Reason, FieldError{Line: ie.Line, Reason: ie.Reason})
	case errors.Is(err, batch.ErrNoList):
		problem(c, http.StatusServiceUnavailable, kindUnavailable, "no list is loaded yet")
	case errors.As(err, &se):
		b.log.Error("batch store failed", "request_id", requestID(c), "error", err)
		problem(c, http.StatusServiceUnavailable, kindUnavailable, "batch jobs are unavailable: the job store cannot be written")
	case c.Request.Context().Err() != nil:
		badRequest(c, "the upload was interrupted")
	default:
		badRequest(c, "the upload could not be read: "+err.Error())
	}
}

func (b *Batches) tooLarge(c *gin.Context, le *batch.LimitError) {
	if le.What == "rows" {
		problem(c, http.StatusRequestEntityTooLarge, kindTooLarge,
			fmt.Sprintf("the file has more than %d rows, the most one batch may have (%s); split it", le.Max, envBatchMaxRows),
			FieldError{Field: envBatchMaxRows, Reason: fmt.Sprintf("at most %d rows", le.Max)})
		return
	}
	// A byte limit is BATCH_MAX_BYTES, or that plus the multipart framing:
	// the client is told the one it configures.
	problem(c, http.StatusRequestEntityTooLarge, kindTooLarge,
		fmt.Sprintf("the upload is larger than %d bytes after decompression, the most one batch may have (%s); split it", b.maxBytes, envBatchMaxBytes),
		FieldError{Field: envBatchMaxBytes, Reason: fmt.Sprintf("at most %d bytes", b.maxBytes)})
}

// NewBatchObserver returns the batch.Observer that turns job events into
// metrics, logs and audit records: one record per finished job (its
// input's SHA-256, rows, list version and outcome counts), and one per row
// outcome: every row when the audit log is a system of record, the rows
// with a match otherwise (a capped log would lose its screenings to one
// large batch).
func NewBatchObserver(metrics *Metrics, a Audit, log *slog.Logger) batch.Observer {
	return &batchObserver{metrics: metrics, audit: a, log: log}
}

// batchObserver turns job events into metrics, logs and audit records.
type batchObserver struct {
	metrics *Metrics
	audit   Audit
	log     *slog.Logger
}

func (o *batchObserver) Queued(*batch.Job) {
	o.metrics.BatchJobs.WithLabelValues(string(batch.Queued)).Inc()
}

func (o *batchObserver) Screened(out *batch.Outcome) {
	if out.Status == batch.StatusError {
		return
	}
	v := screening.Verdict{Status: screening.Status(out.Status), Reason: out.Reason}
	o.metrics.observeBriefs("batch", &v, out.Matches)
}

func (o *batchObserver) Stored(j *batch.Job, res []batch.Result, c batch.Counts) {
	o.metrics.BatchRows.WithLabelValues(batch.StatusClear).Add(float64(c.Rows - c.Matches - c.Errors - c.Unscreenable))
	o.metrics.BatchRows.WithLabelValues(batch.StatusMatch).Add(float64(c.Matches))
	o.metrics.BatchRows.WithLabelValues(batch.StatusUnscreenable).Add(float64(c.Unscreenable))
	o.metrics.BatchRows.WithLabelValues(batch.StatusError).Add(float64(c.Errors))
}

// Record keeps a record of each row outcome of a chunk before its results
// are stored, so a job never reads done with rows missing from the record.
// A row's record id is derived from the job and the row's line, so a chunk
// screened again after a replica died writes the same ids, and the system
// of record keeps each row once. With a durable audit trail, a row that
// cannot be recorded hands the chunk back (it is screened again later).
func (o *batchObserver) Record(j *batch.Job, res []batch.Result) error {
	if o.audit.Log == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// The rows are handed to the audit queue together: with a durable log
	// each write waits for its group commit, and one at a time they would
	// wait for one commit each.
	var wg sync.WaitGroup
	var failed atomic.Int64
	for i := range res {
		r := &res[i]
		// A capped log keeps the rows with a match, and those a false
		// positive decision cleared (why they were clear is the point).
		if r.Status == batch.StatusError || (!o.audit.Record && r.Status != batch.StatusMatch && len(r.Suppressed) == 0) {
			continue
		}
		rec := audit.Record{
			// Time and id both come from the job and the row, so a second
			// write of the row is the same record (PostgreSQL keys on both).
			ID:   audit.DerivedID(j.CreatedAt, j.ID+"/"+strconv.Itoa(r.Line)),
			Time: j.CreatedAt, KeyID: j.KeyID, Channel: audit.ChannelBatchRow,
			Query:       &audit.Query{Name: r.Name, Country: r.Country, Type: r.Type, DateOfBirth: r.DateOfBirth, Nationality: r.Nationality, Identifier: r.Identifier},
			ListVersion: j.ListVersion, Status: r.Status, Warnings: warningCodes(r.Warnings), MatchCount: r.MatchCount,
			BatchRow: &audit.BatchRow{JobID: j.ID, Row: int64(r.Line), Reference: r.Reference},
		}
		for _, m := range r.Matches {
			rec.TopMatches = append(rec.TopMatches, audit.Match{ID: m.ID, List: m.List, Name: m.Name, Score: m.Score})
		}
		for _, m := range r.Suppressed {
			rec.Suppressed = append(rec.Suppressed, audit.Match{ID: m.ID, List: m.List, Name: m.Name, Score: m.Score, SuppressedBy: m.SuppressedBy})
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !o.write(ctx, rec, j.ID) {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := failed.Load(); n > 0 && o.audit.Durable {
		return fmt.Errorf("%d rows of the chunk could not be recorded in the audit trail", n)
	}
	return nil
}

func (o *batchObserver) Finished(j *batch.Job) {
	o.metrics.BatchJobs.WithLabelValues(string(j.Status)).Inc()
	if j.Status == batch.Cancelled {
		return
	}
	o.metrics.BatchDuration.Observe(j.Duration().Seconds())
	if o.audit.Log == nil {
		return
	}
	at := time.Now().UTC()
	if j.FinishedAt != nil {
		at = *j.FinishedAt
	}
	rec := audit.Record{ID: audit.NewID(at), Time: at, KeyID: j.KeyID, Channel: audit.ChannelBatch, ListVersion: j.ListVersion,
		MatchCount: int(j.RowsWithMatches),
		Batch: &audit.BatchJob{JobID: j.ID, InputSHA256: j.InputSHA256, Rows: j.Rows, ListVersion: j.ListVersion,
			Outcomes: map[string]int64{
				batch.StatusMatch: j.RowsWithMatches, batch.StatusUnscreenable: j.RowsUnscreenable, batch.StatusError: j.RowsWithErrors,
				batch.StatusClear: j.RowsDone - j.RowsWithMatches - j.RowsUnscreenable - j.RowsWithErrors,
			}}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	o.write(ctx, rec, j.ID)
}

// write keeps one batch record. A full queue is waited out (the rows of
// a batch must all be kept, and the workers can slow down), up to ctx.
func (o *batchObserver) write(ctx context.Context, rec audit.Record, job string) bool {
	err := o.audit.Log.Write(ctx, rec)
	for wait := time.Millisecond; errors.Is(err, audit.ErrQueueFull) && ctx.Err() == nil; wait = min(2*wait, 100*time.Millisecond) {
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		err = o.audit.Log.Write(ctx, rec)
	}
	if err != nil {
		o.metrics.AuditErrors.Inc()
		o.log.Error("audit write failed", "batch_job", job, "channel", rec.Channel, "error", err)
		return false
	}
	o.metrics.AuditWritten.Inc()
	return true
}
