// Package client is a Go client of the screener HTTP API (openapi.yaml):
// screen one name, upload a file of names as a batch job, follow the job
// and download its results; register counterparties to monitor, read the
// monitoring's alerts, decide alerts and matches (true match or false
// positive) and list the decisions.
//
// Errors the server answers come back as *Problem. Answers 429 (rate
// limited) and 503 (unavailable) are retried, waiting as long as the
// server's Retry-After says (else backing off exponentially), up to a
// bounded number of attempts; an upload is retried only when its body can
// be sent again (see SubmitBatch).
//
// The package mirrors the API's JSON in its own types and imports no
// server package, so it can be vendored by users on its own.
package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults of the retry policy.
const (
	DefaultMaxAttempts  = 5
	DefaultMaxRetryWait = 2 * time.Minute
	defaultUserAgent    = "screener-go-client/1"
)

// Client calls one screener server. It is safe for concurrent use.
type Client struct {
	base        *url.URL
	hc          *http.Client
	apiKey      string
	userAgent   string
	timeout     time.Duration
	maxAttempts int
	maxWait     time.Duration
	// sleep waits d or until ctx is done; tests replace it to see the waits.
	sleep func(ctx context.Context, d time.Duration) error
}

// Option configures a Client.
type Option func(*Client)

// WithAPIKey sends key as X-API-Key on every request.
func WithAPIKey(key string) Option { return func(c *Client) { c.apiKey = key } }

// WithHTTPClient makes requests with hc instead of http.DefaultClient. An
// hc.Timeout also bounds uploads and downloads; prefer WithTimeout.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// WithTimeout bounds each attempt of the small calls (Screen, Job,
// DeleteBatch) — not uploads or downloads, whose time grows with the file.
// 0 (the default) sets no bound beyond the context's.
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// WithRetry sets the most attempts of one call (1: never retry) and the
// longest wait between two; an answer whose Retry-After asks for more
// than maxWait is returned instead of waited for.
func WithRetry(maxAttempts int, maxWait time.Duration) Option {
	return func(c *Client) {
		c.maxAttempts = max(maxAttempts, 1)
		c.maxWait = maxWait
	}
}

// New returns a client of the server at baseURL (e.g.
// "https://screener.example.com"; a path prefix is kept).
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("client: server URL %q: %w", baseURL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("client: server URL %q: want http:// or https:// and a host", baseURL)
	}
	c := &Client{
		base:        u,
		hc:          http.DefaultClient,
		userAgent:   defaultUserAgent,
		maxAttempts: DefaultMaxAttempts,
		maxWait:     DefaultMaxRetryWait,
		sleep:       sleepCtx,
	}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// BaseURL is the server's URL as given to New, without a trailing slash.
func (c *Client) BaseURL() string { return c.base.String() }

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// call is one API call, possibly sent several times.
type call struct {
	// path is escaped: its variable parts went through url.PathEscape.
	method, path string
	query        url.Values
	header       http.Header
	// body returns the body of attempt n (0-based); nil for none. It
	// returns errNoReplay when the body cannot be sent again.
	body func(attempt int) (io.Reader, error)
	// small calls get the per-attempt timeout.
	small bool
}

// errNoReplay is returned by a call's body when it cannot be sent again.
var errNoReplay = errors.New("the body cannot be sent again")

// do sends the call, retrying 429 and 503 answers, and returns the first
// 2xx response; any other answer is returned as a *Problem.
func (c *Client) do(ctx context.Context, cl call) (*http.Response, error) {
	// cl.path is escaped already (a reference or an id may hold any
	// character): set both forms, so that it is not escaped twice.
	u := *c.base
	u.RawPath = c.base.EscapedPath() + cl.path
	p, err := url.PathUnescape(u.RawPath)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", cl.method, cl.path, err)
	}
	u.Path = p
	u.RawQuery = cl.query.Encode()
	var next io.Reader // the body of the next attempt, asked for before the wait
	for attempt := 0; ; attempt++ {
		body := next
		if cl.body != nil && attempt == 0 {
			b, err := cl.body(0)
			if err != nil {
				return nil, err
			}
			body = b
		}
		actx, cancel := ctx, context.CancelFunc(func() {})
		if cl.small && c.timeout > 0 {
			actx, cancel = context.WithTimeout(ctx, c.timeout)
		}
		req, err := http.NewRequestWithContext(actx, cl.method, u.String(), body)
		if err != nil {
			cancel()
			return nil, err
		}
		for k, v := range cl.header {
			req.Header[k] = v
		}
		req.Header.Set("User-Agent", c.userAgent)
		if c.apiKey != "" {
			req.Header.Set("X-API-Key", c.apiKey)
		}
		resp, err := c.hc.Do(req)
		if err != nil {
			cancel()
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("%s %s: %w", cl.method, cl.path, err)
		}
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			resp.Body = &cancelBody{resp.Body, cancel}
			return resp, nil
		}
		p := readProblem(resp)
		cancel()
		if !p.Temporary() {
			return nil, p
		}
		wait := p.RetryAfter
		if resp.Header.Get("Retry-After") == "" {
			wait = backoff(attempt)
		}
		if attempt+1 >= c.maxAttempts {
			return nil, &RetryError{Attempts: attempt + 1, Problem: p}
		}
		if wait > c.maxWait {
			return nil, &RetryError{Attempts: attempt + 1, Problem: p, Reason: fmt.Sprintf("the server asks to wait %s, longer than the %s allowed", wait, c.maxWait)}
		}
		if cl.body != nil {
			// Ask for the next attempt's body now, so that one that cannot
			// be sent again fails before the wait, not after it.
			b, err := cl.body(attempt + 1)
			if errors.Is(err, errNoReplay) {
				return nil, &RetryError{Attempts: attempt + 1, Problem: p, Reason: "the upload was read from a stream that cannot be sent again"}
			}
			if err != nil {
				return nil, err
			}
			next = b
		}
		if err := c.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// RetryError is a 429 or 503 answer that was not retried (any more): the
// attempts are spent, the server asks for too long a wait, or the body
// cannot be sent again. It unwraps to the server's *Problem.
type RetryError struct {
	Attempts int
	Problem  *Problem
	// Reason says why it was not retried again; empty when the attempts
	// are spent.
	Reason string
}

func (e *RetryError) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("%v\n  not retried: %s", e.Problem, e.Reason)
	}
	return fmt.Sprintf("%v\n  gave up after %d attempts", e.Problem, e.Attempts)
}

func (e *RetryError) Unwrap() error { return e.Problem }

// backoff is the wait before attempt n+1 when the server gives no
// Retry-After: 0.5s, 1s, 2s, … at most 30s, with ±20% jitter so that
// clients refused together do not come back together.
func backoff(n int) time.Duration {
	d := min(500*time.Millisecond<<min(n, 6), 30*time.Second)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP
// date (RFC 9110 §10.2.3). ok is false when it is absent or unreadable.
func parseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := parseSeconds(v); err == nil {
		return n, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

func parseSeconds(v string) (time.Duration, error) {
	var n int64
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' || n > 1<<31 {
			return 0, errors.New("not a number of seconds")
		}
		n = n*10 + int64(v[i]-'0')
	}
	return time.Duration(n) * time.Second, nil
}

// readProblem reads an error answer, closing its body.
func readProblem(resp *http.Response) *Problem {
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var p Problem
	if err := json.Unmarshal(b, &p); err != nil || p.Title == "" && p.Type == "" && p.Detail == "" {
		p = Problem{Title: http.StatusText(resp.StatusCode), Detail: strings.TrimSpace(string(b))}
		if len(p.Detail) > 500 {
			p.Detail = p.Detail[:500] + "…"
		}
	}
	if p.Status == 0 {
		p.Status = resp.StatusCode
	}
	if p.RequestID == "" {
		p.RequestID = resp.Header.Get("X-Request-ID")
	}
	if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
		p.RetryAfter = d
	}
	return &p
}

// cancelBody releases the attempt's timeout when the body is closed.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// decode reads a JSON answer into v, closing the body.
func decode(resp *http.Response, v any) error {
	defer resp.Body.Close()
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(v); err != nil {
		return fmt.Errorf("reading the server's answer to %s %s: %w", resp.Request.Method, resp.Request.URL.Path, err)
	}
	return nil
}

// Screen screens one name.
func (c *Client) Screen(ctx context.Context, r ScreenRequest) (*ScreenResponse, error) {
	var out ScreenResponse
	if err := c.ScreenRaw(ctx, r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ScreenRaw screens one name and decodes the answer into v — a
// *ScreenResponse, a *json.RawMessage to keep the server's JSON as sent,
// or any type of the caller's.
func (c *Client) ScreenRaw(ctx context.Context, r ScreenRequest, v any) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	resp, err := c.do(ctx, call{
		method: http.MethodPost, path: "/v1/screen", small: true,
		header: http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}},
		body:   func(int) (io.Reader, error) { return strings.NewReader(string(b)), nil },
	})
	if err != nil {
		return err
	}
	return decode(resp, v)
}
