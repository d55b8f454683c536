package lists

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net/http"
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

// FetchError is a failure to get a list from its origin (network, HTTP
// status, missing file), as opposed to a FormatError for a list that was
// fetched but is unusable.
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
	URL     string
	Client  *http.Client // nil: a client with the timeouts below
	Timeout time.Duration
	// MaxBytes bounds the download; 0 means 1 GiB.
	MaxBytes int64
	Parse    ParseOptions
	// Now is the clock; nil means time.Now. Tests set it.
	Now func() time.Time
}

// Kind implements Source.
func (s *URLSource) Kind() string { return "url" }

// Origin implements Source.
func (s *URLSource) Origin() string { return s.URL }

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

// Fetch implements Source.
func (s *URLSource) Fetch(ctx context.Context, prev *Version) (*List, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL, nil)
	if err != nil {
		return nil, &FetchError{Origin: s.URL, Err: err}
	}
	req.Header.Set("User-Agent", "cslscreen-screener (+https://github.com/cslscreen/screener)")
	if prev != nil && prev.Source == "url" && prev.Origin == s.URL {
		if prev.ETag != "" {
			req.Header.Set("If-None-Match", prev.ETag)
		}
		if prev.LastModified != "" {
			req.Header.Set("If-Modified-Since", prev.LastModified)
		}
	}
	resp, err := s.client().Do(req)
	if err != nil {
		return nil, &FetchError{Origin: s.URL, Err: err}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified:
		return nil, ErrNotModified
	case resp.StatusCode != http.StatusOK:
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, &FetchError{Origin: s.URL, Err: fmt.Errorf("HTTP %s", resp.Status)}
	}
	max := s.MaxBytes
	if max <= 0 {
		max = 1 << 30
	}
	body := &limitedReader{r: resp.Body, n: max}
	p, err := Parse(body, s.Parse)
	if err != nil {
		if body.over {
			return nil, &FetchError{Origin: s.URL, Err: fmt.Errorf("download larger than %d bytes", max)}
		}
		var fe *FormatError
		if errors.As(err, &fe) {
			return nil, err
		}
		return nil, &FetchError{Origin: s.URL, Err: err}
	}
	if resp.ContentLength > 0 && body.read < resp.ContentLength && resp.Header.Get("Content-Encoding") == "" {
		return nil, &FormatError{Reason: fmt.Sprintf("download cut off: %d of %d bytes", body.read, resp.ContentLength)}
	}
	v := Version{
		Source: "url", Origin: s.URL, FetchedAt: now(s.Now),
		ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified"),
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
			return 0, fmt.Errorf("download larger than %d bytes", l.n)
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
type FileSource struct {
	Path  string
	Parse ParseOptions
	Now   func() time.Time
}

// Kind implements Source.
func (s *FileSource) Kind() string { return "file" }

// Origin implements Source.
func (s *FileSource) Origin() string { return s.Path }

// Fetch implements Source. The file's size and modification time stand in
// for an ETag, so an unchanged file is not parsed again.
func (s *FileSource) Fetch(ctx context.Context, prev *Version) (*List, error) {
	f, err := os.Open(s.Path)
	if err != nil {
		return nil, &FetchError{Origin: s.Path, Err: err}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, &FetchError{Origin: s.Path, Err: err}
	}
	if st.IsDir() {
		return nil, &FetchError{Origin: s.Path, Err: errors.New("is a directory")}
	}
	tag := strconv.FormatInt(st.Size(), 10) + "-" + strconv.FormatInt(st.ModTime().UnixNano(), 10)
	if prev != nil && prev.Source == "file" && prev.Origin == s.Path && prev.ETag == tag {
		return nil, ErrNotModified
	}
	p, err := Parse(&ctxReader{ctx: ctx, r: f}, s.Parse)
	if err != nil {
		var fe *FormatError
		if errors.As(err, &fe) || ctx.Err() != nil {
			return nil, err
		}
		return nil, &FetchError{Origin: s.Path, Err: err}
	}
	v := Version{Source: "file", Origin: s.Path, FetchedAt: now(s.Now), ETag: tag,
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
// FetchedAt is the snapshot's own date, not the time of the call.
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
			v.FetchedAt = t
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
