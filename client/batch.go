package client

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// BatchOptions describe an upload.
type BatchOptions struct {
	// Name is the file's name (e.g. "customers.csv.gz"), sent as
	// ?filename= so the server knows the format; may be empty.
	Name string
	// ContentType labels the body; empty: from Format, else from Name,
	// else application/octet-stream (the server sniffs it).
	ContentType string
	// Format is "csv" or "jsonl", when ContentType is empty.
	Format string
	// Size is the body's length in bytes when known (for Progress only);
	// 0 or less when unknown.
	Size int64
	// Gzip compresses the body on the wire; a body that is gzip already
	// is sent as it is.
	Gzip bool
	// Progress, when set, is called with the bytes of the body read so
	// far, from the goroutine sending it; back to 0 when a retry starts
	// the body again.
	Progress func(sent int64)
}

// contentType is the upload's media type.
func (o *BatchOptions) contentType() string {
	if o.ContentType != "" {
		return o.ContentType
	}
	f := o.Format
	if f == "" {
		n := strings.TrimSuffix(strings.ToLower(o.Name), ".gz")
		switch path.Ext(n) {
		case ".csv", ".tsv", ".txt":
			f = "csv"
		case ".jsonl", ".ndjson", ".json", ".jsonlines":
			f = "jsonl"
		}
	}
	switch f {
	case "csv":
		return "text/csv"
	case "jsonl", "ndjson":
		return "application/x-ndjson"
	}
	return "application/octet-stream"
}

// SubmitBatch uploads a CSV or JSON lines file (optionally gzip'd) and
// returns its job, queued. The body is streamed, never held in memory.
//
// A 429 or 503 answer is retried when the body can be sent again: when
// the server answered before reading any of it (the upload asks with
// "Expect: 100-continue", which a transport with an ExpectContinueTimeout
// honours, as http.DefaultTransport does), or when r is an io.Seeker that
// can rewind (an *os.File of a regular file). Otherwise the answer is
// returned as a *RetryError saying why it was not retried.
func (c *Client) SubmitBatch(ctx context.Context, r io.Reader, o BatchOptions) (*Job, error) {
	var seeker io.Seeker
	var start int64
	if s, ok := r.(io.Seeker); ok {
		if off, err := s.Seek(0, io.SeekCurrent); err == nil {
			seeker, start = s, off
		}
	}
	counted := &progressReader{r: r, progress: o.Progress}
	br := bufio.NewReaderSize(counted, 64<<10)
	head, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("reading the upload: %w", err)
	}
	gz := o.Gzip && !(len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b)

	var cur *uploadBody
	body := func(int) (io.Reader, error) {
		if cur != nil {
			cur.Close()
			if cur.touched() {
				if seeker == nil {
					return nil, errNoReplay
				}
				cur.wait() // nothing reads the source any more
				if _, err := seeker.Seek(start, io.SeekStart); err != nil {
					return nil, fmt.Errorf("rewinding the upload for another attempt: %w", err)
				}
				counted.reset()
				br.Reset(counted)
			}
		}
		cur = &uploadBody{src: br, gz: gz}
		return cur, nil
	}
	defer func() {
		if cur != nil {
			cur.Close()
		}
	}()
	h := http.Header{
		"Content-Type": {o.contentType()},
		"Accept":       {"application/json"},
		"Expect":       {"100-continue"},
	}
	if gz {
		h.Set("Content-Encoding", "gzip")
	}
	q := url.Values{}
	if o.Name != "" {
		q.Set("filename", o.Name)
	}
	resp, err := c.do(ctx, call{method: http.MethodPost, path: "/v1/batches", query: q, header: h, body: body})
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusAccepted {
		resp.Body.Close()
		return nil, fmt.Errorf("upload: the server answered %s, want 202 Accepted", resp.Status)
	}
	var j Job
	if err := decode(resp, &j); err != nil {
		return nil, err
	}
	return &j, nil
}

// progressReader counts the bytes read and reports them.
type progressReader struct {
	r        io.Reader
	n        atomic.Int64
	progress func(int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		total := p.n.Add(int64(n))
		if p.progress != nil {
			p.progress(total)
		}
	}
	return n, err
}

func (p *progressReader) reset() {
	p.n.Store(0)
	if p.progress != nil {
		p.progress(0)
	}
}

var errBodyClosed = errors.New("upload body closed")

// uploadBody is the body of one upload attempt. It reads nothing until
// the transport asks for it, so a refusal before the body is sent leaves
// the source untouched for the next attempt.
type uploadBody struct {
	mu      sync.Mutex
	src     io.Reader
	gz      bool
	pr      *io.PipeReader
	done    chan struct{}
	started bool
	closed  bool
}

func (b *uploadBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return 0, errBodyClosed
	}
	b.started = true
	if !b.gz {
		defer b.mu.Unlock()
		return b.src.Read(p)
	}
	if b.pr == nil {
		pr, pw := io.Pipe()
		b.pr, b.done = pr, make(chan struct{})
		go func() {
			defer close(b.done)
			zw, _ := gzip.NewWriterLevel(pw, gzip.BestSpeed)
			_, err := io.Copy(zw, b.src)
			if err == nil {
				err = zw.Close()
			}
			pw.CloseWithError(err)
		}()
	}
	pr := b.pr
	b.mu.Unlock()
	return pr.Read(p)
}

// Close ends the attempt's body: later reads fail, and the compressing
// goroutine, if any, stops at its next write.
func (b *uploadBody) Close() error {
	b.mu.Lock()
	b.closed = true
	pr := b.pr
	b.mu.Unlock()
	if pr != nil {
		pr.CloseWithError(errBodyClosed)
	}
	return nil
}

// wait returns once the closed body's goroutine has stopped reading the
// source.
func (b *uploadBody) wait() {
	b.mu.Lock()
	done := b.done
	b.mu.Unlock()
	if done != nil {
		<-done
	}
}

func (b *uploadBody) touched() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.started
}

func jobPath(id string) string { return "/v1/batches/" + url.PathEscape(id) }

// Job returns a batch job's status.
func (c *Client) Job(ctx context.Context, id string) (*Job, error) {
	resp, err := c.do(ctx, call{method: http.MethodGet, path: jobPath(id), small: true, header: http.Header{"Accept": {"application/json"}}})
	if err != nil {
		return nil, err
	}
	var j Job
	if err := decode(resp, &j); err != nil {
		return nil, err
	}
	return &j, nil
}

// maxPollFailures is how many polls in a row Wait lets fail on the
// network before it gives up.
const maxPollFailures = 5

// Wait polls a job every interval until it finishes (done, failed or
// cancelled) and returns it; a failed job is not an error. onUpdate, when
// set, sees every status read. Network errors are tolerated up to 5 polls
// in a row; an error answer of the server (a *Problem, e.g. 404) ends the
// wait at once.
func (c *Client) Wait(ctx context.Context, id string, interval time.Duration, onUpdate func(*Job)) (*Job, error) {
	if interval <= 0 {
		interval = time.Second
	}
	failures := 0
	for {
		j, err := c.Job(ctx, id)
		var p *Problem
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case errors.As(err, &p):
			return nil, err
		case err != nil:
			if failures++; failures >= maxPollFailures {
				return nil, fmt.Errorf("job %s: %d polls in a row failed: %w", id, failures, err)
			}
		default:
			failures = 0
			if onUpdate != nil {
				onUpdate(j)
			}
			if j.Status.Finished() {
				return j, nil
			}
		}
		if err := c.sleep(ctx, interval); err != nil {
			return nil, err
		}
	}
}

// Results writes a finished job's results to w, in input order, in
// format ("csv" or "jsonl"; empty: the upload's), and returns the bytes
// written. A transfer cut off by the server is an error: a short file is
// never passed off as whole.
func (c *Client) Results(ctx context.Context, id string, w io.Writer, format string) (int64, error) {
	q := url.Values{}
	if format != "" {
		q.Set("format", format)
	}
	resp, err := c.do(ctx, call{method: http.MethodGet, path: jobPath(id) + "/results", query: q})
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	ew := &errWriter{w: w}
	n, err := io.Copy(ew, resp.Body)
	switch {
	case ew.err != nil:
		return n, ew.err
	case err != nil:
		return n, fmt.Errorf("job %s: the results were cut off after %d bytes: %w", id, n, err)
	}
	return n, nil
}

// DeleteBatch cancels an unfinished job, or deletes a finished one with
// its results.
func (c *Client) DeleteBatch(ctx context.Context, id string) error {
	resp, err := c.do(ctx, call{method: http.MethodDelete, path: jobPath(id), small: true})
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// errWriter keeps the writer's error apart from the network's.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	n, err := e.w.Write(p)
	if err != nil {
		e.err = err
	}
	return n, err
}
