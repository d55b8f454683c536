package client

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// newTest starts h on a real HTTP server and returns a client of it whose
// waits are recorded instead of slept.
func newTest(t *testing.T, h http.HandlerFunc, opts ...Option) (*Client, *[]time.Duration) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	waits := &[]time.Duration{}
	c.sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		*waits = append(*waits, d)
		mu.Unlock()
		return ctx.Err()
	}
	return c, waits
}

func writeProblem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(Problem{Type: "https://example.com/errors#x", Title: http.StatusText(status), Status: status, Detail: detail})
}

const jobJSON = `{"id":"0123456789abcdef01234567","status":"queued","list_version":"v1","format":"csv","rows":2,"rows_done":0,"rows_with_matches":0,"rows_with_errors":0,"chunks":1,"chunks_done":0,"created_at":"2026-12-05T08:00:00Z","columns":[]}`

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"3", 3 * time.Second, true},
		{" 120 ", 2 * time.Minute, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true}, // a date past: at once
		{"-1", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
		{"99999999999999999999", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

// TestRetries runs every call against a server that refuses it first.
func TestRetries(t *testing.T) {
	type callFn func(context.Context, *Client) error
	screen := func(ctx context.Context, c *Client) error {
		r, err := c.Screen(ctx, ScreenRequest{Name: "Acme"})
		if err == nil && r.ID != "s1" {
			return errors.New("wrong answer")
		}
		return err
	}
	job := func(ctx context.Context, c *Client) error { _, err := c.Job(ctx, "j1"); return err }
	results := func(ctx context.Context, c *Client) error {
		var b bytes.Buffer
		_, err := c.Results(ctx, "j1", &b, "csv")
		if err == nil && b.String() != "line,status\n" {
			return errors.New("results " + b.String())
		}
		return err
	}
	del := func(ctx context.Context, c *Client) error { return c.DeleteBatch(ctx, "j1") }
	ok := func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/v1/screen":
			io.WriteString(w, `{"id":"s1","list_version":"v1","screened_at":"2026-12-05T08:00:00Z","query":{"name":"Acme","limit":10,"min_score":0.78},"matches":[]}`)
		case strings.HasSuffix(r.URL.Path, "/results"):
			io.WriteString(w, "line,status\n")
		case r.Method == http.MethodDelete:
			w.WriteHeader(http.StatusNoContent)
		default:
			io.WriteString(w, jobJSON)
		}
	}
	tests := []struct {
		name      string
		call      callFn
		refusals  []string // the Retry-After of each refusal before success; "-" for none
		status    int
		attempts  int // WithRetry's
		wantErr   bool
		wantWaits []time.Duration // nil: do not check (backoff is jittered)
		wantCalls int
	}{
		{name: "screen 429 seconds", call: screen, refusals: []string{"2"}, status: 429, wantWaits: []time.Duration{2 * time.Second}, wantCalls: 2},
		{name: "screen 503 twice", call: screen, refusals: []string{"1", "0"}, status: 503, wantWaits: []time.Duration{time.Second, 0}, wantCalls: 3},
		{name: "job 429 no header backs off", call: job, refusals: []string{"-"}, status: 429, wantCalls: 2},
		{name: "results 503", call: results, refusals: []string{"3"}, status: 503, wantWaits: []time.Duration{3 * time.Second}, wantCalls: 2},
		{name: "delete 429", call: del, refusals: []string{"1"}, status: 429, wantWaits: []time.Duration{time.Second}, wantCalls: 2},
		{name: "attempts spent", call: job, refusals: []string{"1", "1", "1"}, status: 429, attempts: 3, wantErr: true, wantCalls: 3},
		{name: "wait too long", call: screen, refusals: []string{"3600"}, status: 429, wantErr: true, wantWaits: []time.Duration{}, wantCalls: 1},
		{name: "500 not retried", call: screen, refusals: []string{"1"}, status: 500, wantErr: true, wantWaits: []time.Duration{}, wantCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			h := func(w http.ResponseWriter, r *http.Request) {
				n := int(calls.Add(1))
				if n <= len(tt.refusals) {
					if ra := tt.refusals[n-1]; ra != "-" {
						w.Header().Set("Retry-After", ra)
					}
					writeProblem(w, tt.status, "slow down")
					return
				}
				ok(w, r)
			}
			var opts []Option
			if tt.attempts > 0 {
				opts = append(opts, WithRetry(tt.attempts, time.Minute))
			}
			c, waits := newTest(t, h, opts...)
			err := tt.call(context.Background(), c)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error: %v", err, tt.wantErr)
			}
			if err != nil {
				var p *Problem
				if !errors.As(err, &p) || p.Status != tt.status {
					t.Errorf("error %v (%T) is not the server's problem %d", err, err, tt.status)
				}
			}
			if got := int(calls.Load()); got != tt.wantCalls {
				t.Errorf("%d requests, want %d", got, tt.wantCalls)
			}
			if tt.wantWaits != nil && !equalDurations(*waits, tt.wantWaits) {
				t.Errorf("waited %v, want %v", *waits, tt.wantWaits)
			}
			if tt.wantWaits == nil && !tt.wantErr && (len(*waits) != 1 || (*waits)[0] <= 0) {
				t.Errorf("waited %v, want one backoff", *waits)
			}
		})
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestBackoffGrowsAndIsBounded(t *testing.T) {
	for n := 0; n < 20; n++ {
		d := backoff(n)
		lo := time.Duration(float64(min(500*time.Millisecond<<min(n, 6), 30*time.Second)) * 0.8)
		if d < lo || d > 36*time.Second {
			t.Errorf("backoff(%d) = %v", n, d)
		}
	}
}

func TestRetryHonoursContext(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Retry-After", "30")
		writeProblem(w, 429, "slow down")
	}))
	defer srv.Close()
	c, err := New(srv.URL) // the real sleep
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.sleep = func(sctx context.Context, d time.Duration) error {
		cancel() // cancelled while waiting
		return sleepCtx(sctx, d)
	}
	_, err = c.Job(ctx, "j1")
	if !errors.Is(err, context.Canceled) || calls.Load() != 1 {
		t.Fatalf("err %v after %d calls, want context.Canceled after 1", err, calls.Load())
	}
}

func TestProblems(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		ctype, body string
		header      map[string]string
		want        Problem
		wantMsg     []string
		notTwice    string
	}{
		{
			name: "problem document", status: 400, ctype: "application/problem+json",
			body:    `{"type":"t","title":"The request is invalid","status":400,"detail":"bad fields","instance":"/v1/screen","request_id":"r1","errors":[{"field":"country","reason":"\"XX\" is not a country"},{"line":4,"field":"name","reason":"is empty"},{"row":7,"reason":"too long"}]}`,
			want:    Problem{Type: "t", Title: "The request is invalid", Status: 400, Detail: "bad fields", Instance: "/v1/screen", RequestID: "r1"},
			wantMsg: []string{"The request is invalid (HTTP 400): bad fields [request r1]", "\n  country: \"XX\" is not a country", "\n  line 4 name: is empty", "\n  row 7: too long"},
		},
		{
			name: "the empty upload, said once", status: 400, ctype: "application/problem+json",
			body:     `{"type":"t","title":"The request is invalid","status":400,"detail":"the upload cannot be read: the upload is empty","errors":[{"reason":"the upload is empty"}]}`,
			want:     Problem{Type: "t", Title: "The request is invalid", Status: 400, Detail: "the upload cannot be read: the upload is empty"},
			notTwice: "the upload is empty",
		},
		{
			name: "a proxy's page", status: 502, ctype: "text/html", body: "<html>Bad Gateway</html>\n",
			header:  map[string]string{"X-Request-ID": "gw"},
			want:    Problem{Title: "Bad Gateway", Status: 502, Detail: "<html>Bad Gateway</html>", RequestID: "gw"},
			wantMsg: []string{"Bad Gateway (HTTP 502): <html>Bad Gateway</html> [request gw]"},
		},
		{
			name: "not found", status: 404, ctype: "application/problem+json",
			body: `{"type":"t","title":"Not found","status":404,"detail":"no batch job j1"}`,
			want: Problem{Type: "t", Title: "Not found", Status: 404, Detail: "no batch job j1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newTest(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.Header().Set("Content-Type", tt.ctype)
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			})
			_, err := c.Job(context.Background(), "j1")
			var p *Problem
			if !errors.As(err, &p) {
				t.Fatalf("err %v (%T), want a *Problem", err, err)
			}
			got := *p
			got.Errors = nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("problem %+v\nwant    %+v", got, tt.want)
			}
			msg := p.Error()
			for _, w := range tt.wantMsg {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q lacks %q", msg, w)
				}
			}
			if tt.notTwice != "" && strings.Count(msg, tt.notTwice) != 1 {
				t.Errorf("message %q says %q %d times", msg, tt.notTwice, strings.Count(msg, tt.notTwice))
			}
		})
	}
}

func TestHeaders(t *testing.T) {
	var got http.Header
	c, _ := newTest(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		io.WriteString(w, jobJSON)
	}, WithAPIKey("k1"), WithUserAgent("test-agent/2"))
	if _, err := c.Job(context.Background(), "j1"); err != nil {
		t.Fatal(err)
	}
	if got.Get("X-API-Key") != "k1" || got.Get("User-Agent") != "test-agent/2" {
		t.Errorf("headers %v", got)
	}
}

func TestNewRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"", "localhost:8080", "ftp://x", "http://", "http://a b/"} {
		if _, err := New(u); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
	c, err := New("https://example.com/screener/")
	if err != nil || c.BaseURL() != "https://example.com/screener" {
		t.Errorf("New: %v %q", err, c.BaseURL())
	}
}

// uploadServer receives uploads: the first `refuse` are answered 429
// (Retry-After: 1), after reading the body when readFirst; then 202.
type uploadServer struct {
	refuse    int
	readFirst bool
	mu        sync.Mutex
	calls     int
	bodies    [][]byte
	headers   []http.Header
}

func (u *uploadServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.mu.Lock()
	u.calls++
	n := u.calls
	u.headers = append(u.headers, r.Header.Clone())
	u.mu.Unlock()
	if n <= u.refuse {
		if u.readFirst {
			io.Copy(io.Discard, r.Body)
		}
		w.Header().Set("Retry-After", "1")
		writeProblem(w, 429, "slow down")
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			writeProblem(w, 400, err.Error())
			return
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err == nil && bytes.HasPrefix(b, []byte{0x1f, 0x8b}) { // gzip'd, unlabelled
		var zr *gzip.Reader
		if zr, err = gzip.NewReader(bytes.NewReader(b)); err == nil {
			b, err = io.ReadAll(zr)
		}
	}
	if err != nil {
		writeProblem(w, 400, err.Error())
		return
	}
	u.mu.Lock()
	u.bodies = append(u.bodies, b)
	u.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
	io.WriteString(w, jobJSON)
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func TestSubmitBatch(t *testing.T) {
	data := []byte("reference,name\n" + strings.Repeat("R1,Kaspersky Lab\n", 20000))
	file := filepath.Join(t.TempDir(), "names.csv")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	gzFile := filepath.Join(t.TempDir(), "names.csv.gz")
	if err := os.WriteFile(gzFile, gzipped(data), 0o644); err != nil {
		t.Fatal(err)
	}
	open := func(p string) func(t *testing.T) io.Reader {
		return func(t *testing.T) io.Reader {
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
			return f
		}
	}
	// stream hides the file's Seek: a pipe or standard input.
	stream := func(t *testing.T) io.Reader { return struct{ io.Reader }{open(file)(t)} }
	tests := []struct {
		name        string
		body        func(t *testing.T) io.Reader
		opts        BatchOptions
		srv         *uploadServer
		wantErr     string
		wantGzip    bool
		wantType    string
		wantBodies  int
		wantProblem bool
	}{
		{name: "plain", body: open(file), opts: BatchOptions{Name: "names.csv"}, wantType: "text/csv", wantBodies: 1},
		{name: "gzip on the wire", body: open(file), opts: BatchOptions{Name: "names.csv", Gzip: true}, wantGzip: true, wantType: "text/csv", wantBodies: 1},
		{name: "gzip already", body: open(gzFile), opts: BatchOptions{Name: "names.csv.gz", Gzip: true}, wantGzip: false, wantType: "text/csv", wantBodies: 1},
		{name: "format", body: stream, opts: BatchOptions{Format: "jsonl"}, wantType: "application/x-ndjson", wantBodies: 1},
		{name: "refused after the body, file rewound", body: open(file), opts: BatchOptions{Name: "names.csv", Gzip: true}, srv: &uploadServer{refuse: 2, readFirst: true}, wantGzip: true, wantType: "text/csv", wantBodies: 1},
		{name: "refused before the body, stream retried", body: stream, opts: BatchOptions{Gzip: true}, srv: &uploadServer{refuse: 1}, wantGzip: true, wantType: "application/octet-stream", wantBodies: 1},
		{name: "refused after the body, stream not retried", body: stream, opts: BatchOptions{}, srv: &uploadServer{refuse: 1, readFirst: true}, wantErr: "cannot be sent again", wantProblem: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := tt.srv
			if srv == nil {
				srv = &uploadServer{}
			}
			c, waits := newTest(t, srv.ServeHTTP)
			var last atomic.Int64
			tt.opts.Progress = func(n int64) { last.Store(n) }
			j, err := c.SubmitBatch(context.Background(), tt.body(t), tt.opts)
			if tt.wantErr != "" {
				var p *Problem
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || errors.As(err, &p) != tt.wantProblem {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if j.ID != "0123456789abcdef01234567" || j.Status != JobQueued || j.Rows != 2 {
				t.Errorf("job %+v", j)
			}
			if len(srv.bodies) != tt.wantBodies || !bytes.Equal(srv.bodies[0], data) {
				t.Fatalf("%d bodies received; the first is %d bytes, want %d", len(srv.bodies), len(srv.bodies[0]), len(data))
			}
			h := srv.headers[len(srv.headers)-1]
			if (h.Get("Content-Encoding") == "gzip") != tt.wantGzip || h.Get("Content-Type") != tt.wantType {
				t.Errorf("headers %v", h)
			}
			if len(*waits) != srv.refuse {
				t.Errorf("waited %v for %d refusals", *waits, srv.refuse)
			}
			if tt.opts.Name != "" && !strings.Contains(srv.headers[0].Get("Expect"), "100-continue") {
				t.Errorf("no Expect: 100-continue")
			}
			if sent := last.Load(); sent != int64(len(data)) && sent != int64(len(gzipped(data))) {
				t.Errorf("progress ended at %d bytes", sent)
			}
		})
	}
}

func TestWait(t *testing.T) {
	var polls atomic.Int32
	c, waits := newTest(t, func(w http.ResponseWriter, r *http.Request) {
		n := polls.Add(1)
		st := map[int32]string{1: "queued", 2: "running", 3: "done"}[min(n, 3)]
		io.WriteString(w, strings.Replace(jobJSON, `"queued"`, `"`+st+`"`, 1))
	})
	var seen []JobStatus
	j, err := c.Wait(context.Background(), "j1", 50*time.Millisecond, func(j *Job) { seen = append(seen, j.Status) })
	if err != nil || j.Status != JobDone {
		t.Fatalf("Wait: %v %+v", err, j)
	}
	if len(seen) != 3 || seen[0] != JobQueued || seen[2] != JobDone || len(*waits) != 2 || (*waits)[0] != 50*time.Millisecond {
		t.Errorf("updates %v, waits %v", seen, *waits)
	}

	// A problem ends the wait at once.
	c, _ = newTest(t, func(w http.ResponseWriter, r *http.Request) { writeProblem(w, 404, "no batch job j1") })
	if _, err := c.Wait(context.Background(), "j1", time.Millisecond, nil); err == nil || !strings.Contains(err.Error(), "no batch job") {
		t.Fatalf("Wait on a missing job: %v", err)
	}
}

func TestResultsCutOff(t *testing.T) {
	c, _ := newTest(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		io.WriteString(w, "line,status\n2,clear\n")
	})
	var b bytes.Buffer
	if _, err := c.Results(context.Background(), "j1", &b, ""); err == nil || !strings.Contains(err.Error(), "cut off") {
		t.Fatalf("a short transfer: %v", err)
	}
}

func TestScreenDecodesTheNewFields(t *testing.T) {
	c, _ := newTest(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"id":"s1","list_version":"abc","status":"unscreenable","warnings":[{"code":"builtin_list","detail":"small snapshot"},{"code":"name_unscreenable","detail":"only legal forms"}],
"list":{"version":"abc","entries":42,"builtin":true,"fetched_at":"2026-12-01T10:00:00Z","published_at":"2026-11-30"},
"screened_at":"2026-12-05T08:00:00Z","query":{"name":"Ltd","limit":10,"min_score":0.78},"matches":[]}`)
	})
	r, err := c.Screen(context.Background(), ScreenRequest{Name: "Ltd"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Outcome() != StatusUnscreenable || len(r.Warnings) != 2 || r.Warnings[1].Code != WarningNameUnscreenable ||
		r.List == nil || !r.List.Builtin || r.List.Entries != 42 || r.List.FetchedAt.IsZero() || r.List.PublishedAt != "2026-11-30" {
		t.Errorf("%+v", r)
	}
	for _, tt := range []struct {
		r    ScreenResponse
		want Status
	}{
		{ScreenResponse{}, StatusClear},
		{ScreenResponse{Matches: []Match{{ID: "x"}}}, StatusMatch},
		{ScreenResponse{Status: StatusClear, Matches: []Match{{ID: "x"}}}, StatusClear},
	} {
		if got := tt.r.Outcome(); got != tt.want {
			t.Errorf("Outcome of %+v = %s, want %s", tt.r, got, tt.want)
		}
	}
}

func TestJobRate(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	started, finished := t0.Add(time.Second), t0.Add(3*time.Second)
	tests := []struct {
		j    Job
		now  time.Time
		want float64
	}{
		{Job{CreatedAt: t0, RowsDone: 0}, t0.Add(time.Second), 0},
		{Job{CreatedAt: t0, StartedAt: &started, RowsDone: 100}, t0.Add(2 * time.Second), 100},
		{Job{CreatedAt: t0, StartedAt: &started, FinishedAt: &finished, RowsDone: 1000}, t0.Add(time.Hour), 500},
		{Job{CreatedAt: t0, FinishedAt: &finished, RowsDone: 300}, t0.Add(time.Hour), 100},
	}
	for _, tt := range tests {
		if got := tt.j.Rate(tt.now); got != tt.want {
			t.Errorf("Rate(%+v) = %v, want %v", tt.j, got, tt.want)
		}
	}
}

func TestResultRows(t *testing.T) {
	in := `{"line":2,"reference":"R1","name":"Kaspersky Lab","status":"match","warnings":[{"code":"stale_list","detail":"3 days old"}],"best_score":1,"match_count":3,"matches":[{"id":"e1","list":"EL","name":"AO Kaspersky Lab","matched_name":"Kaspersky Lab","score":1}],"list_version":"v1","columns":{"segment":"retail"}}
{"line":3,"reference":"R2","name":"Ltd","status":"unscreenable","warnings":["name_unscreenable"],"best_score":0,"match_count":0,"matches":[],"list_version":"v1"}
{"line":4,"reference":"R3","name":"","status":"error","best_score":0,"match_count":0,"matches":[],"error":"name is empty","list_version":"v1"}
{"line":5,`
	var rows []*ResultRow
	var last error
	for row, err := range ResultRows(strings.NewReader(in)) {
		if err != nil {
			last = err
			break
		}
		rows = append(rows, row)
	}
	if len(rows) != 3 || last == nil || !strings.Contains(last.Error(), "row 4") {
		t.Fatalf("%d rows, error %v", len(rows), last)
	}
	if r := rows[0]; r.Status != StatusMatch || r.Warnings[0] != (Warning{Code: WarningStaleList, Detail: "3 days old"}) || r.Matches[0].ID != "e1" || string(r.Columns["segment"]) != `"retail"` {
		t.Errorf("row 1: %+v", r)
	}
	if r := rows[1]; r.Status != StatusUnscreenable || len(r.Warnings) != 1 || r.Warnings[0].Code != WarningNameUnscreenable {
		t.Errorf("row 2: %+v", r)
	}
	if r := rows[2]; r.Status != StatusError || r.Error != "name is empty" {
		t.Errorf("row 3: %+v", r)
	}
}

// A poll cut off on the network is tolerated; five in a row are not.
func TestWaitToleratesNetworkErrors(t *testing.T) {
	for _, tt := range []struct {
		cut     int32
		wantErr bool
	}{{cut: 2}, {cut: maxPollFailures, wantErr: true}} {
		var polls atomic.Int32
		c, _ := newTest(t, func(w http.ResponseWriter, r *http.Request) {
			if polls.Add(1) <= tt.cut {
				panic(http.ErrAbortHandler) // the connection is dropped
			}
			io.WriteString(w, strings.Replace(jobJSON, `"queued"`, `"done"`, 1))
		})
		j, err := c.Wait(context.Background(), "j1", time.Millisecond, nil)
		if tt.wantErr != (err != nil) || (err == nil && j.Status != JobDone) {
			t.Errorf("%d polls cut: %v %+v", tt.cut, err, j)
		}
	}
}
