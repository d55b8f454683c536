package service

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/cslscreen/screener/matcher"
	"github.com/cslscreen/screener/batch"
	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
)

// BatchOptions configures batch screening. Zero values get defaults.
type BatchOptions struct {
	Catalog *Catalog
	// Redis, when set, keeps jobs where every replica can work on them;
	// nil keeps them in this process, chunks in files under Dir.
	Redis  redis.UniversalClient
	Prefix string
	// Dir is the scratch directory of the in-process mode ("": the OS temp dir).
	Dir     string
	Logger  *slog.Logger
	Metrics *Metrics
	// Threshold is the minimum score of a reported match.
	Threshold float64
	// MaxBytes bounds an upload after decompression; MaxRows its data rows.
	MaxBytes int64
	MaxRows  int64
	// WaitMaxRows is the largest upload answered directly with ?wait=true.
	WaitMaxRows int64
	// ResultTTL is how long a finished job's results are kept.
	ResultTTL time.Duration
	// Workers is the chunks this replica screens at once (0: one per CPU).
	Workers int
	// ChunkRows is the rows per chunk, the unit of work a replica takes.
	ChunkRows int
	// ClaimTimeout is how long a chunk may stay with a silent replica
	// before another takes it over.
	ClaimTimeout time.Duration
	// Audit, when set, gets one record per finished job.
	Audit AuditLog
}

// BatchManager serves the batch routes over a batch.Manager, judging rows
// with the same validation and matching as POST /v1/screen.
type BatchManager struct {
	*batch.Manager
	o    BatchOptions
	log  *slog.Logger
	base string // the route group's path, for Location headers
}

// Limits' names as the operator configures them, for 413 responses.
const (
	envBatchMaxBytes = "BATCH_MAX_BYTES"
	envBatchMaxRows  = "BATCH_MAX_ROWS"
)

// kindBatchNotReady is the problem of results asked for too early (409).
const kindBatchNotReady = "batch-results-not-ready"

func init() { problemTitles[kindBatchNotReady] = "Batch results are not available" }

// NewBatchManager returns the batch manager; Run starts its workers.
func NewBatchManager(o BatchOptions) (*BatchManager, error) {
	if o.Catalog == nil {
		return nil, errors.New("batch: a catalog is required")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(BuildInfo{Version: "dev"})
	}
	if o.Threshold <= 0 {
		o.Threshold = matcher.DefaultThreshold
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 1 << 30
	}
	if o.ResultTTL <= 0 {
		o.ResultTTL = 24 * time.Hour
	}
	if o.ChunkRows <= 0 {
		o.ChunkRows = 2000
	}
	if o.ClaimTimeout <= 0 {
		o.ClaimTimeout = time.Minute
	}
	if o.Prefix == "" {
		o.Prefix = "screener"
	}
	var store batch.Store
	if o.Redis != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		rs, err := batch.NewRedisStore(ctx, o.Redis, batch.RedisStoreOptions{Prefix: o.Prefix, TTL: o.ResultTTL, ClaimTimeout: o.ClaimTimeout})
		cancel()
		if err != nil {
			// Redis may come up later; the workers create the group then.
			o.Logger.Warn("batch queue not ready at start; will keep trying", "error", err)
		}
		store = rs
	} else {
		ms, err := batch.NewMemoryStore(o.Dir, o.ResultTTL)
		if err != nil {
			return nil, err
		}
		store = ms
	}
	sweep := min(time.Minute, max(o.ResultTTL/4, 10*time.Millisecond))
	m := batch.New(batch.Options{
		Store:       store,
		Screener:    &batchScreener{catalog: o.Catalog, threshold: o.Threshold, metrics: o.Metrics},
		Observer:    &batchObserver{metrics: o.Metrics, audit: o.Audit, log: o.Logger},
		Logger:      o.Logger,
		MaxRows:     o.MaxRows,
		WaitMaxRows: o.WaitMaxRows,
		ChunkRows:   o.ChunkRows,
		Workers:     o.Workers,
		SweepEvery:  sweep,
	})
	o.Metrics.SetBatchActive(func() float64 { return float64(m.Active()) })
	return &BatchManager{Manager: m, o: o, log: o.Logger, base: "/v1"}, nil
}

// Mount implements BatchRoutes.
func (b *BatchManager) Mount(g *gin.RouterGroup) {
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

func (b *BatchManager) status(j *batch.Job) BatchStatus {
	return BatchStatus{Job: j, Results: b.base + "/batches/" + j.ID + "/results"}
}

// handleCreate serves POST /v1/batches: a raw CSV or JSON lines body, or a
// multipart form with the file in the part "file". The upload is read to
// its end before the answer, so a 202 means every row is stored and
// queued, and a refusal (400, 413, 415) means nothing was.
func (b *BatchManager) handleCreate(c *gin.Context) {
	format, ok := b.resultFormat(c, "")
	if !ok {
		return
	}
	// The raw body may exceed the content limit by the multipart framing.
	maxRaw := b.o.MaxBytes + 1<<20
	if c.Request.ContentLength > maxRaw {
		b.tooLarge(c, &batch.LimitError{What: "bytes", Max: b.o.MaxBytes})
		return
	}
	body := http.MaxBytesReader(c.Writer, c.Request.Body, maxRaw)
	ct := c.GetHeader("Content-Type")
	media := batch.Media{ContentType: ct, ContentEncoding: c.GetHeader("Content-Encoding"), Filename: c.Query("filename")}
	var in io.Reader = body
	if mt, params, err := mime.ParseMediaType(ct); err == nil && mt == "multipart/form-data" {
		if media.ContentEncoding != "" {
			if !strings.EqualFold(media.ContentEncoding, "gzip") {
				problem(c, http.StatusUnsupportedMediaType, kindUnsupportedMedia, "Content-Encoding "+media.ContentEncoding+" is not supported (only gzip)")
				return
			}
			zr, err := gzip.NewReader(body)
			if err != nil {
				badRequest(c, "the request body is labelled gzip but is not a gzip stream")
				return
			}
			in = zr
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
	content, inFormat, err := batch.Open(in, media, b.o.MaxBytes)
	if err != nil {
		b.uploadProblem(c, err)
		return
	}
	wait := boolQuery(c, "wait")
	j, err := b.Submit(c.Request.Context(), batch.Upload{Body: content, Format: inFormat, KeyID: keyID(c), Wait: wait})
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

// filePart returns the multipart part named "file".
func filePart(mr *multipart.Reader) (*multipart.Part, error) {
	var names []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			if len(names) == 0 {
				return nil, &batch.InputError{Reason: `the multipart upload has no part named "file"`}
			}
			return nil, &batch.InputError{Reason: fmt.Sprintf(`the multipart upload has no part named "file"; it has %s`, strings.Join(names, ", "))}
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, err
			}
			return nil, &batch.InputError{Reason: "the multipart body does not parse: " + err.Error()}
		}
		if p.FormName() == "file" {
			return p, nil
		}
		names = append(names, fmt.Sprintf("%q", p.FormName()))
	}
}

func boolQuery(c *gin.Context, name string) bool {
	switch strings.ToLower(c.Query(name)) {
	case "true", "1", "yes":
		return true
	}
	return false
}

// resultFormat reads ?format= or else Accept; "" means the job's own
// format (CSV results for a CSV upload). It answers 400 for an unknown
// ?format=.
func (b *BatchManager) resultFormat(c *gin.Context, def batch.Format) (batch.Format, bool) {
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
func (b *BatchManager) handleStatus(c *gin.Context) {
	j, err := b.Get(c.Request.Context(), c.Param("id"), keyID(c))
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
func (b *BatchManager) handleResults(c *gin.Context) {
	format, ok := b.resultFormat(c, "")
	if !ok {
		return
	}
	partial := boolQuery(c, "partial")
	j, err := b.Results(c.Request.Context(), c.Param("id"), keyID(c), partial)
	if err != nil {
		b.jobProblem(c, err)
		return
	}
	b.writeResults(c, j, format, partial)
}

func (b *BatchManager) writeResults(c *gin.Context, j *batch.Job, f batch.Format, partial bool) {
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
	n, err := b.WriteResults(c.Request.Context(), j, batch.NewResultWriter(c.Writer, f, j), partial)
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
func (b *BatchManager) handleDelete(c *gin.Context) {
	if _, err := b.Delete(c.Request.Context(), c.Param("id"), keyID(c)); err != nil {
		b.jobProblem(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (b *BatchManager) jobProblem(c *gin.Context, err error) {
	var nr *batch.NotReadyError
	switch {
	case errors.Is(err, batch.ErrNotFound):
		problem(c, http.StatusNotFound, kindNotFound, "no batch job "+c.Param("id")+" (it may have expired or been deleted)")
	case errors.As(err, &nr):
		c.Header("Retry-After", "2")
		problem(c, http.StatusConflict, kindBatchNotReady, nr.Error())
	default:
		b.log.Error("batch store failed", "request_id", requestID(c), "error", err)
		problem(c, http.StatusServiceUnavailable, kindUnavailable, "batch jobs are unavailable: the job store cannot be reached")
	}
}

// uploadProblem answers a refused upload.
func (b *BatchManager) uploadProblem(c *gin.Context, err error) {
	var (
		le  *batch.LimitError
		mbe *http.MaxBytesError
		mte *batch.MediaTypeError
		he  *batch.HeaderError
		ie  *batch.InputError
		se  *batch.StoreError
	)
	switch {
	case errors.As(err, &le):
		b.tooLarge(c, le)
	case errors.As(err, &mbe):
		b.tooLarge(c, &batch.LimitError{What: "bytes", Max: b.o.MaxBytes})
	case errors.As(err, &mte):
		problem(c, http.StatusUnsupportedMediaType, kindUnsupportedMedia, mte.Error())
	case errors.As(err, &he):
		badRequest(c, fmt.Sprintf("the CSV header cannot be used: %s; the header has the columns %s", he.Reason, strings.Join(quoted(he.Found), ", ")),
			FieldError{Field: "name", Line: he.Line, Reason: he.Reason})
	case errors.As(err, &ie):
		badRequest(c, "the upload cannot be read: "+ie.Reason, FieldError{Line: ie.Line, Reason: ie.Reason})
	case errors.Is(err, errNoList):
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

func (b *BatchManager) tooLarge(c *gin.Context, le *batch.LimitError) {
	if le.What == "rows" {
		problem(c, http.StatusRequestEntityTooLarge, kindTooLarge,
			fmt.Sprintf("the file has more than %d rows, the most one batch may have (%s); split it", le.Max, envBatchMaxRows),
			FieldError{Field: envBatchMaxRows, Reason: fmt.Sprintf("at most %d rows", le.Max)})
		return
	}
	problem(c, http.StatusRequestEntityTooLarge, kindTooLarge,
		fmt.Sprintf("the upload is larger than %d bytes after decompression, the most one batch may have (%s); split it", le.Max, envBatchMaxBytes),
		FieldError{Field: envBatchMaxBytes, Reason: fmt.Sprintf("at most %d bytes", le.Max)})
}

func quoted(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = fmt.Sprintf("%q", v)
	}
	return out
}

var errNoList = errors.New("no list is loaded yet")

// batchScreener judges batch rows exactly as POST /v1/screen judges a
// request: the same validation, the same matching, against the job's list
// version on whichever replica screens the chunk.
type batchScreener struct {
	catalog   *Catalog
	threshold float64
	metrics   *Metrics
}

func (s *batchScreener) CurrentVersion() (string, error) {
	snap := s.catalog.Current()
	if snap == nil {
		return "", errNoList
	}
	return snap.List.Version.ID, nil
}

func (s *batchScreener) Version(ctx context.Context, id string) (batch.ScreenFunc, error) {
	snap, err := s.catalog.Pinned(ctx, id)
	if err != nil {
		if errors.Is(err, ErrVersionGone) {
			return nil, fmt.Errorf("%w: %w", batch.ErrVersionGone, err)
		}
		return nil, err
	}
	return func(r *batch.Row) batch.Outcome { return s.screenRow(snap, r) }, nil
}

func (s *batchScreener) screenRow(snap *Snapshot, r *batch.Row) batch.Outcome {
	q, errs := validateQuery(ScreenRequest{Name: r.Name, Country: r.Country, Type: r.Type}, s.threshold)
	if len(errs) > 0 {
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = e.Field + ": " + e.Reason
		}
		return batch.Outcome{Status: batch.StatusError, Error: strings.Join(msgs, "; ")}
	}
	q.NoExplanation = true // batch results show no explanations; they cost a large share of a query
	ms := screen(snap, q)
	s.metrics.ObserveScreening("batch", ms)
	if len(ms) == 0 {
		return batch.Outcome{Status: batch.StatusClear}
	}
	slices.SortStableFunc(ms, func(a, b Match) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return 0
	})
	o := batch.Outcome{Status: batch.StatusMatch, BestScore: ms[0].Score, MatchCount: len(ms)}
	for i := 0; i < len(ms) && i < batch.TopMatches; i++ {
		m := &ms[i]
		o.Matches = append(o.Matches, batch.TopMatch{ID: m.ID, List: m.List, Name: m.Name, MatchedName: m.MatchedName, Score: m.Score})
	}
	return o
}

// batchObserver turns job events into metrics, logs and audit records.
type batchObserver struct {
	metrics *Metrics
	audit   AuditLog
	log     *slog.Logger
}

func (o *batchObserver) Queued(*batch.Job) {
	o.metrics.BatchJobs.WithLabelValues(string(batch.Queued)).Inc()
}

func (o *batchObserver) Stored(c batch.Counts) {
	o.metrics.BatchRows.WithLabelValues(batch.StatusClear).Add(float64(c.Rows - c.Matches - c.Errors))
	o.metrics.BatchRows.WithLabelValues(batch.StatusMatch).Add(float64(c.Matches))
	o.metrics.BatchRows.WithLabelValues(batch.StatusError).Add(float64(c.Errors))
}

func (o *batchObserver) Finished(j *batch.Job) {
	o.metrics.BatchJobs.WithLabelValues(string(j.Status)).Inc()
	if j.Status == batch.Cancelled {
		return
	}
	o.metrics.BatchDuration.Observe(j.Duration().Seconds())
	if o.audit == nil {
		return
	}
	at := time.Now().UTC()
	if j.FinishedAt != nil {
		at = *j.FinishedAt
	}
	rec := AuditRecord{ID: j.ID, Time: at, KeyID: j.KeyID, Channel: "batch", ListVersion: j.ListVersion,
		TopMatches: []AuditMatch{},
		Batch:      &AuditBatchIn{Rows: j.Rows, WithMatches: j.RowsWithMatches, WithErrors: j.RowsWithErrors}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := o.audit.Write(ctx, rec); err != nil {
		o.metrics.AuditErrors.Inc()
		o.log.Error("audit write failed", "batch_job", j.ID, "error", err)
		return
	}
	o.metrics.AuditWritten.Inc()
}
