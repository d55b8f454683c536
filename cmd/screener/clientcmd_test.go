package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const fakeJobID = "0123456789abcdef01234567"

// fakeAPI is a scripted screener: a job of two rows that is done at once,
// started and finished 2 seconds apart by the server's clock. refuse[path]
// 429s are answered first on each path (Retry-After: 0) after reading the
// request's body.
type fakeAPI struct {
	mu       sync.Mutex
	refuse   map[string]int
	requests map[string]int
	screen   string // the body of POST /v1/screen
}

const fakeResults = "line,reference,name,status,warnings\n2,R1,Acme,clear,\n3,R2,Ltd,unscreenable,name_unscreenable\n"

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.Method + " " + r.URL.Path
	io.Copy(io.Discard, r.Body)
	f.mu.Lock()
	if f.requests == nil {
		f.requests = map[string]int{}
	}
	f.requests[key]++
	refuse := f.refuse[key] >= f.requests[key]
	f.mu.Unlock()
	if refuse {
		w.Header().Set("Retry-After", "0")
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(429)
		io.WriteString(w, `{"type":"t","title":"Too many requests","status":429,"detail":"slow down"}`)
		return
	}
	job := `{"id":"` + fakeJobID + `","status":"done","list_version":"v1","format":"csv","rows":2,"rows_done":2,"rows_with_matches":0,"rows_with_errors":0,"chunks":1,"chunks_done":1,` +
		`"created_at":"2026-12-05T08:00:00Z","started_at":"2026-12-05T08:00:01Z","finished_at":"2026-12-05T08:00:03Z","columns":[]}`
	switch key {
	case "POST /v1/screen":
		io.WriteString(w, f.screen)
	case "POST /v1/batches":
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, strings.Replace(job, `"done"`, `"queued"`, 1))
	case "GET /v1/batches/" + fakeJobID:
		io.WriteString(w, job)
	case "GET /v1/batches/" + fakeJobID + "/results":
		io.WriteString(w, fakeResults)
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeAPI) count(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[key]
}

func startFake(t *testing.T, f *fakeAPI) string {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv.URL
}

func batchArgs(server, in string, more ...string) []string {
	return append([]string{"batch", "--server", server, "--poll", "10ms", "--progress", "never", in}, more...)
}

// Item 12: a 429 (with Retry-After) on the upload, the status and the
// download is waited out, not the end of the command.
func TestBatchRetriesTooManyRequests(t *testing.T) {
	f := &fakeAPI{refuse: map[string]int{
		"POST /v1/batches":                          2,
		"GET /v1/batches/" + fakeJobID:              1,
		"GET /v1/batches/" + fakeJobID + "/results": 1,
	}}
	server := startFake(t, f)
	in := writeFile(t, "in.csv", []byte("reference,name\nR1,Acme\nR2,Ltd\n"))
	var stdout, stderr bytes.Buffer
	if code := run(batchArgs(server, in), nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if stdout.String() != fakeResults {
		t.Errorf("results %q", stdout.String())
	}
	if n := f.count("POST /v1/batches"); n != 3 {
		t.Errorf("%d uploads, want 3 (two refused)", n)
	}
}

// Item 12: rows per second and the time taken are the server's (2 rows
// started and finished 2 seconds apart), whatever the polling.
func TestBatchRateFromServerTimings(t *testing.T) {
	server := startFake(t, &fakeAPI{})
	in := writeFile(t, "in.csv", []byte("reference,name\nR1,Acme\nR2,Ltd\n"))
	var stdout, stderr bytes.Buffer
	if code := run(batchArgs(server, in), nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "2 rows in 2s (1 rows/s)") || !strings.Contains(stderr.String(), "1 UNSCREENABLE") {
		t.Errorf("summary %q", stderr.String())
	}
}

// Item 12: -o is checked before the upload.
func TestBatchChecksOutputBeforeUpload(t *testing.T) {
	f := &fakeAPI{}
	server := startFake(t, f)
	in := writeFile(t, "in.csv", []byte("reference,name\nR1,Acme\n"))
	dir := t.TempDir()
	for _, out := range []string{filepath.Join(dir, "missing", "out.csv"), dir} {
		var stdout, stderr bytes.Buffer
		code := run(batchArgs(server, in, "-o", out), nil, &stdout, &stderr)
		if code != 3 || !strings.Contains(stderr.String(), out) {
			t.Errorf("-o %s: exit %d %q", out, code, stderr.String())
		}
	}
	if n := f.count("POST /v1/batches"); n != 0 {
		t.Errorf("%d uploads with an unusable -o", n)
	}
}

// Item 12: results are 0644 (not the temporary file's 0600); a replaced
// file keeps its mode.
func TestBatchOutputMode(t *testing.T) {
	server := startFake(t, &fakeAPI{})
	in := writeFile(t, "in.csv", []byte("reference,name\nR1,Acme\n"))
	dir := t.TempDir()
	kept := filepath.Join(dir, "kept.csv")
	if err := os.WriteFile(kept, []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	os.Chmod(kept, 0o640) // whatever the umask
	for out, want := range map[string]os.FileMode{filepath.Join(dir, "new.csv"): 0o644, kept: 0o640} {
		var stdout, stderr bytes.Buffer
		if code := run(batchArgs(server, in, "-o", out), nil, &stdout, &stderr); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		st, err := os.Stat(out)
		if err != nil || st.Mode().Perm() != want {
			t.Errorf("%s: %v mode %v, want %v", out, err, st.Mode().Perm(), want)
		}
		if b, _ := os.ReadFile(out); string(b) != fakeResults {
			t.Errorf("%s holds %q", out, b)
		}
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".*")); len(m) != 0 {
		t.Errorf("temporary files left: %v", m)
	}
}

// Item 12: -o naming a FIFO or a device writes into it; it used to be
// replaced by a regular file (as root, /dev/null itself).
func TestBatchOutputToSpecialFiles(t *testing.T) {
	server := startFake(t, &fakeAPI{})
	in := writeFile(t, "in.csv", []byte("reference,name\nR1,Acme\n"))
	dir := t.TempDir()

	t.Run("fifo", func(t *testing.T) {
		fifo := filepath.Join(dir, "results.fifo")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Skipf("mkfifo: %v", err)
		}
		got := make(chan string, 1)
		go func() {
			f, err := os.Open(fifo) // blocks until the command opens it
			if err != nil {
				got <- err.Error()
				return
			}
			b, _ := io.ReadAll(f)
			f.Close()
			got <- string(b)
		}()
		var stdout, stderr bytes.Buffer
		code := run(batchArgs(server, in, "-o", fifo), nil, &stdout, &stderr)
		if st, err := os.Lstat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
			t.Fatalf("the FIFO was replaced: %v %v (exit %d, %s)", st.Mode(), err, code, stderr.String())
		}
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		select {
		case s := <-got:
			if s != fakeResults {
				t.Errorf("read from the FIFO: %q", s)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("nothing was written to the FIFO")
		}
	})

	t.Run("device", func(t *testing.T) {
		dev := filepath.Join(dir, "null")
		// The device numbers of /dev/null (1, 3); needs root (CAP_MKNOD).
		if err := syscall.Mknod(dev, syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
			t.Skipf("mknod (needs root): %v", err)
		}
		var stdout, stderr bytes.Buffer
		code := run(batchArgs(server, in, "-o", dev), nil, &stdout, &stderr)
		st, err := os.Lstat(dev)
		if err != nil || st.Mode()&os.ModeCharDevice == 0 {
			t.Fatalf("the device was replaced: %v %v", st.Mode(), err)
		}
		if code != 0 || !strings.Contains(stderr.String(), "results in "+dev) {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
	})
}

// Item 12: /dev/null is a character device but not a terminal.
func TestIsTerminal(t *testing.T) {
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Error("/dev/null is taken for a terminal")
	}
	if isTerminal(&bytes.Buffer{}) {
		t.Error("a buffer is taken for a terminal")
	}
}

// Item 12: the upload bar ends at 100% (it used to stop at its last
// periodic draw, often 0% for an upload shorter than its period).
func TestBatchUploadBarReaches100(t *testing.T) {
	server := startFake(t, &fakeAPI{})
	in := writeFile(t, "in.csv", []byte("reference,name\n"+strings.Repeat("R1,Acme\n", 1<<20)))
	var stdout, stderr bytes.Buffer
	code := run([]string{"batch", "--server", server, "--poll", "10ms", "--progress", "always", "--no-gzip", in}, nil, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var last string
	for _, seg := range strings.FieldsFunc(stderr.String(), func(r rune) bool { return r == '\r' || r == '\n' }) {
		if strings.Contains(seg, "uploading") {
			last = seg
		}
	}
	if !strings.Contains(last, "100%") || !strings.Contains(last, "8.4/8.4 MB") {
		t.Errorf("the upload bar ends at %q", last)
	}
}

// Item 12: a refused empty file says why once, not twice.
func TestBatchEmptyFileErrorOnce(t *testing.T) {
	m := startMain(t, nil)
	in := writeFile(t, "empty.csv", nil)
	var stdout, stderr bytes.Buffer
	code := run(batchArgs("http://"+m.Addr(), in), nil, &stdout, &stderr)
	if code != 3 || strings.Count(stderr.String(), "is empty") != 1 {
		t.Errorf("exit %d, stderr %q: want the reason exactly once", code, stderr.String())
	}
}

func screenJSON(status string, warnings string, matches string) string {
	return `{"id":"s1","list_version":"v1","status":"` + status + `","warnings":[` + warnings + `],` +
		`"list":{"version":"v1","entries":1234,"builtin":true,"fetched_at":"2026-12-01T10:00:00Z"},` +
		`"screened_at":"2026-12-05T08:00:00Z","query":{"name":"Q","limit":10,"min_score":0.78},"matches":[` + matches + `]}`
}

// The screening's status, list and warnings are shown; unscreenable exits 4.
func TestScreenStatusAndWarnings(t *testing.T) {
	match := `{"id":"e1","source":"Entity List","list":"EL","name":"Acme Ltd","matched_name":"Acme","score":0.9,"type":"","programs":[],"addresses":[],"explanation":{"words":[],"summary":""}}`
	builtin := `{"code":"builtin_list","detail":"the small built-in snapshot"}`
	tests := []struct {
		name       string
		body       string
		args       []string
		wantCode   int
		wantOut    []string
		wantErr    []string
		wantOutRaw bool
	}{
		{name: "match", body: screenJSON("match", builtin, match), wantCode: 0,
			wantOut: []string{"MATCH, 1 match(es)", "1,234 entries", "built-in snapshot, NOT the full list", "Acme Ltd"},
			wantErr: []string{"WARNING builtin_list: the small built-in snapshot"}},
		{name: "clear, match required", body: screenJSON("clear", "", ""), args: []string{"--require-match"}, wantCode: 1,
			wantOut: []string{"CLEAR, 0 match(es)"}},
		{name: "unscreenable", body: screenJSON("unscreenable", builtin+`,{"code":"name_unscreenable","detail":"only legal-form words"}`, ""), args: []string{"--require-match"}, wantCode: 4,
			wantOut: []string{"UNSCREENABLE"},
			wantErr: []string{"WARNING builtin_list", "WARNING name_unscreenable: only legal-form words", "could not be screened"}},
		{name: "unscreenable, json", body: screenJSON("unscreenable", `{"code":"name_unscreenable","detail":"x"}`, ""), args: []string{"--json"}, wantCode: 4,
			wantErr: []string{"WARNING name_unscreenable"}, wantOutRaw: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server := startFake(t, &fakeAPI{screen: tt.body})
			var stdout, stderr bytes.Buffer
			args := append(append([]string{"screen", "--server", server}, tt.args...), "Q")
			code := run(args, nil, &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d: %s", code, tt.wantCode, stderr.String())
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout.String())
				}
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
				}
			}
			if tt.wantOutRaw && (strings.TrimSpace(stdout.String()) != tt.body || !json.Valid(stdout.Bytes())) {
				t.Errorf("--json printed %q, want the server's JSON", stdout.String())
			}
		})
	}
}

// Item 12: screen waits out a 429 too.
func TestScreenRetriesTooManyRequests(t *testing.T) {
	f := &fakeAPI{screen: screenJSON("clear", "", ""), refuse: map[string]int{"POST /v1/screen": 1}}
	server := startFake(t, f)
	var stdout, stderr bytes.Buffer
	if code := run([]string{"screen", "--server", server, "Q"}, nil, &stdout, &stderr); code != 0 || f.count("POST /v1/screen") != 2 {
		t.Fatalf("exit %d after %d requests: %s", code, f.count("POST /v1/screen"), stderr.String())
	}
}

func TestJobLineNumbers(t *testing.T) {
	s := numbers.Sprintf("%d", int64(1234567))
	if s != "1,234,567" {
		t.Errorf("numbers: %q", s)
	}
}
