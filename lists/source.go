package lists

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"
)

// OfficialCSLURL is the trade.gov Consolidated Screening List CSV, re-imported
// upstream every hour.
const OfficialCSLURL = "https://data.trade.gov/downloadable_consolidated_screening_list/v1/consolidated.csv"

// ErrNotModified is returned by a Source whose origin has not changed since
// the version passed to Fetch.
var ErrNotModified = errors.New("list not modified since last fetch")

// The problems a SourceError names; test with errors.Is. A missing,
// unreadable or refused LIST_FILE is a configuration mistake worth stopping
// for; an unreachable LIST_URL is usually passing, and the service keeps
// serving what it has.
var (
	// ErrSourceMissing: the file does not exist.
	ErrSourceMissing = errors.New("not found")
	// ErrSourceUnreadable: the file exists but cannot be read (permissions,
	// a directory, an I/O error).
	ErrSourceUnreadable = errors.New("unreadable")
	// ErrSourceRefused: the content was read and refused by the parser
	// (empty, not a CSL file, too many bad rows, cut off, too large).
	ErrSourceRefused = errors.New("refused")
	// ErrSourceUnreachable: a URL that could not be fetched (network,
	// timeout, an HTTP error status).
	ErrSourceUnreachable = errors.New("unreachable")
)

// SourceError is every failure of Source.Fetch other than ErrNotModified and
// the caller's context ending. It names the source and one of the problems
// above, and wraps the cause: a *FetchError (I/O, network) or a *FormatError
// (the parser's refusal), so errors.As reaches either.
type SourceError struct {
	Source  string // "file" or "url"
	Origin  string // the file path, or the URL redacted by RedactURL
	Problem error  // ErrSourceMissing, ErrSourceUnreadable, ErrSourceRefused or ErrSourceUnreachable
	Err     error
}

func (e *SourceError) Error() string {
	detail := e.Err
	var fe *FetchError
	if errors.As(e.Err, &fe) {
		detail = fe.Err // FetchError repeats the origin
		var pe *fs.PathError
		if errors.As(detail, &pe) && pe.Path == e.Origin {
			detail = fmt.Errorf("%s: %w", pe.Op, pe.Err)
		}
	}
	return fmt.Sprintf("list %s %s: %v: %v", e.Source, e.Origin, e.Problem, detail)
}

// Unwrap gives errors.Is and errors.As both the problem and the cause.
func (e *SourceError) Unwrap() []error { return []error{e.Problem, e.Err} }

// FetchError is a failure to get a list from its origin (network, HTTP
// status, missing file), as opposed to a FormatError for a list that was
// fetched but is unusable. Origin is redacted for URLs.
type FetchError struct {
	Origin string
	Err    error
}

func (e *FetchError) Error() string { return "fetch " + e.Origin + ": " + e.Err.Error() }
func (e *FetchError) Unwrap() error { return e.Err }

// Source is where lists come from.
type Source interface {
	// Kind is "url", "file" or "embedded".
	Kind() string
	// Origin names the URL, path or snapshot.
	Origin() string
	// Fetch reads and parses the list. When prev came from this source and
	// the origin reports no change, it returns ErrNotModified. A list that
	// cannot be parsed is a *FormatError; one that cannot be fetched, a
	// *FetchError.
	Fetch(ctx context.Context, prev *Version) (*List, error)
}

// URLSource fetches a list over HTTP(S) with a conditional GET.
type URLSource struct {
	// URL may carry a token in its user info or query string: it is never
	// shown; Origin, versions and errors carry RedactURL(URL).
	URL     string
	Client  *http.Client // nil: a client with the timeouts below
	Timeout time.Duration
	// MaxBytes bounds the download as sent (compressed or not); 0 means
	// DefaultMaxBytes. Parse.MaxBytes bounds it once decompressed.
	MaxBytes int64
	Parse    ParseOptions
	// Now is the clock; nil means time.Now. Tests set it.
	Now func() time.Time
}

// Kind implements Source.
func (s *URLSource) Kind() string { return "url" }

// Origin implements Source. It is the URL without user info or query string.
func (s *URLSource) Origin() string { return RedactURL(s.URL) }

func (s *URLSource) client() *http.Client {
	if s.Client != nil {
		return s.Client
	}
	t := s.Timeout
	if t <= 0 {
		t = 2 * time.Minute
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ResponseHeaderTimeout = 30 * time.Second
	tr.TLSHandshakeTimeout = 10 * time.Second
	return &http.Client{Timeout: t, Transport: tr}
}

func (s *URLSource) fail(problem error, err error) error {
	var fe *FormatError
	if !errors.As(err, &fe) {
		err = &FetchError{Origin: s.Origin(), Err: err}
	}
	return &SourceError{Source: "url", Origin: s.Origin(), Problem: problem, Err: err}
}

// redactedURLError keeps the URL that net/http puts in its errors (with any
// token) out of messages, while errors.As still finds the *url.Error and its
// Timeout method.
func (s *URLSource) redactedURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = RedactURL(ue.URL)
	}
	return err
}

// Fetch implements Source. FetchedAt is the time of the download;
// PublishedAt is the newest source_last_updated of a CSL JSON file's
// sources_used, or else the response's Last-Modified.
func (s *URLSource) Fetch(ctx context.Context, prev *Version) (*List, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL, nil)
	if err != nil {
		// url.Parse errors quote the whole URL; say what is wrong without it.
		return nil, s.fail(ErrSourceUnreachable, errors.New("malformed URL"))
	}
	req.Header.Set("User-Agent", "cslscreen-screener (+https://github.com/cslscreen/screener)")
	if prev != nil && prev.Source == "url" && prev.Origin == s.Origin() {
		if prev.ETag != "" {
			req.Header.Set("If-None-Match", prev.ETag)
		}
		if prev.LastModified != "" {
			req.Header.Set("If-Modified-Since", prev.LastModified)
		}
	}
	resp, err := s.client().Do(req)
	if err != nil {
		return nil, s.fail(ErrSourceUnreachable, s.redactedURLError(err))
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified:
		return nil, ErrNotModified
	case resp.StatusCode != http.StatusOK:
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, s.fail(ErrSourceUnreachable, fmt.Errorf("HTTP %s", resp.Status))
	}
	max := s.MaxBytes
	if max <= 0 {
		max = DefaultMaxBytes
	}
	body := &limitedReader{r: resp.Body, n: max}
	p, err := Parse(body, s.Parse)
	if body.over {
		return nil, s.fail(ErrSourceRefused, &FormatError{Reason: fmt.Sprintf("download larger than %d bytes", max)})
	}
	if err != nil {
		var fe *FormatError
		if errors.As(err, &fe) {
			return nil, s.fail(ErrSourceRefused, err)
		}
		return nil, s.fail(ErrSourceUnreachable, s.redactedURLError(err))
	}
	if resp.ContentLength > 0 && body.read < resp.ContentLength && resp.Header.Get("Content-Encoding") == "" {
		return nil, s.fail(ErrSourceRefused, &FormatError{Reason: fmt.Sprintf("download cut off: %d of %d bytes", body.read, resp.ContentLength)})
	}
	v := Version{
		Source: "url", Origin: s.Origin(), FetchedAt: now(s.Now), PublishedAt: p.PublishedAt,
		ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified"),
	}
	if v.PublishedAt.IsZero() && v.LastModified != "" {
		if t, err := http.ParseTime(v.LastModified); err == nil {
			v.PublishedAt = t.UTC()
		}
	}
	return fromParsed(v, p), nil
}

// limitedReader reads at most n bytes and remembers whether there was more.
type limitedReader struct {
	r    io.Reader
	n    int64
	read int64
	over bool
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.read >= l.n {
		var one [1]byte
		if k, _ := l.r.Read(one[:]); k > 0 {
			l.over = true
			return 0, fmt.Errorf("more than %d bytes", l.n)
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.n-l.read {
		p = p[:l.n-l.read]
	}
	k, err := l.r.Read(p)
	l.read += int64(k)
	return k, err
}

// FileSource reads a local CSV or JSON list, optionally gzip-compressed.
// Parse.MaxBytes bounds what is read (decompressed).
type FileSource struct {
	Path  string
	Parse ParseOptions
}

// Kind implements Source.
func (s *FileSource) Kind() string { return "file" }

// Origin implements Source.
func (s *FileSource) Origin() string { return s.Path }

func (s *FileSource) fail(problem error, err error) error {
	var fe *FormatError
	if !errors.As(err, &fe) {
		err = &FetchError{Origin: s.Path, Err: err}
	}
	return &SourceError{Source: "file", Origin: s.Path, Problem: problem, Err: err}
}

// Fetch implements Source. The file's size and modification time stand in
// for an ETag, so an unchanged file is not parsed again.
//
// FetchedAt is the file's modification time, not the time it was read: the
// list is as old as the file, and a file copied in by a job that stopped
// running months ago must not look fresh to a staleness check because the
// service restarted. PublishedAt is the newest source_last_updated of a
// CSL JSON file; a CSV says nothing about it.
func (s *FileSource) Fetch(ctx context.Context, prev *Version) (*List, error) {
	f, err := os.Open(s.Path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, s.fail(ErrSourceMissing, err)
		}
		return nil, s.fail(ErrSourceUnreadable, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, s.fail(ErrSourceUnreadable, err)
	}
	if st.IsDir() {
		return nil, s.fail(ErrSourceUnreadable, errors.New("is a directory"))
	}
	tag := strconv.FormatInt(st.Size(), 10) + "-" + strconv.FormatInt(st.ModTime().UnixNano(), 10)
	if prev != nil && prev.Source == "file" && prev.Origin == s.Path && prev.ETag == tag {
		return nil, ErrNotModified
	}
	p, err := Parse(&ctxReader{ctx: ctx, r: f}, s.Parse)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		var fe *FormatError
		if errors.As(err, &fe) {
			return nil, s.fail(ErrSourceRefused, err)
		}
		return nil, s.fail(ErrSourceUnreadable, err)
	}
	v := Version{Source: "file", Origin: s.Path, FetchedAt: st.ModTime().UTC(), PublishedAt: p.PublishedAt, ETag: tag,
		LastModified: st.ModTime().UTC().Format(http.TimeFormat)}
	return fromParsed(v, p), nil
}

// ctxReader stops a long parse when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

//go:embed embedded/csl-snapshot.json
var embeddedSnapshot []byte

// EmbeddedSource is the small snapshot compiled into the binary, used when
// nothing else is configured or reachable. It is not a full list.
type EmbeddedSource struct{}

// Kind implements Source.
func (EmbeddedSource) Kind() string { return "embedded" }

// Origin implements Source.
func (EmbeddedSource) Origin() string { return "embedded:csl-snapshot.json" }

// Fetch implements Source. The embedded file is fixed at build time, so
// FetchedAt and PublishedAt are the snapshot's own date, not the time of the
// call.
func (s EmbeddedSource) Fetch(ctx context.Context, prev *Version) (*List, error) {
	p, err := Parse(bytes.NewReader(embeddedSnapshot), ParseOptions{})
	if err != nil {
		return nil, fmt.Errorf("embedded snapshot: %w", err) // a build defect; tests keep it from shipping
	}
	v := Version{Source: "embedded", Origin: s.Origin()}
	if p.Snapshot != nil {
		v.Builtin = p.Snapshot.Builtin
		v.Description = p.Snapshot.Description
		v.SnapshotDate = p.Snapshot.Date
		if t, err := time.Parse("2006-01-02", p.Snapshot.Date); err == nil {
			v.FetchedAt, v.PublishedAt = t, t
		}
	}
	return fromParsed(v, p), nil
}

// Embedded returns the built-in snapshot list.
func Embedded() *List {
	l, err := EmbeddedSource{}.Fetch(context.Background(), nil)
	if err != nil {
		panic(err) // the snapshot is compiled in and tested; failing here is a build defect
	}
	return l
}

func fromParsed(v Version, p *Parsed) *List {
	v.Rows = p.Rows
	v.BadRows = p.BadRows
	return NewList(v, p.Entries)
}

func now(f func() time.Time) time.Time {
	if f != nil {
		return f().UTC()
	}
	return time.Now().UTC()
}
