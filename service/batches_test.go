package service

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cslscreen/screener/audit"
	"github.com/cslscreen/screener/batch"
	"github.com/cslscreen/screener/screening"
)

// batchServer is a server with batch routes on the embedded snapshot, in
// the in-process mode. Workers run unless noWorkers.
type batchServer struct {
	s  *Server
	bm *batch.Manager
	h  http.Handler
}

// batchTestOptions are the batch settings a test varies.
type batchTestOptions struct {
	Dir                            string
	MaxBytes, MaxRows, WaitMaxRows int64
	ChunkRows                      int
	Audit                          Audit
	// Suppressor is the batch manager's (a monitor.Engine's Suppressor).
	Suppressor func(keyID string) screening.SuppressFunc
}

// newTestBatches wires a batch manager on cat the way cmd/screener does,
// in the in-process mode, and the routes over it.
func newTestBatches(t testing.TB, cat *screening.Catalog, metrics *Metrics, bo batchTestOptions) (*batch.Manager, *Batches) {
	t.Helper()
	if bo.Dir == "" {
		bo.Dir = t.TempDir()
	}
	st, err := batch.NewFileStore(bo.Dir, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	bm := batch.New(batch.Options{Store: st, Catalog: cat, Observer: NewBatchObserver(metrics, bo.Audit, quietLog), Logger: quietLog,
		MaxRows: bo.MaxRows, WaitMaxRows: bo.WaitMaxRows, ChunkRows: bo.ChunkRows, Suppressor: bo.Suppressor})
	metrics.SetBatchActive(func() float64 { return float64(bm.Active()) })
	return bm, NewBatches(bm, bo.MaxBytes, quietLog)
}

func newBatchServer(t *testing.T, bo batchTestOptions, so Options, noWorkers bool) *batchServer {
	t.Helper()
	cat := &screening.Catalog{}
	cat.Load(testList())
	metrics := NewMetrics(BuildInfo{Version: "test"})
	bm, routes := newTestBatches(t, cat, metrics, bo)
	so.Catalog, so.Metrics, so.Batches, so.MetricsOnMain = cat, metrics, routes, true
	if so.Audit.Log == nil {
		so.Audit = bo.Audit
	}
	s := newTestServer(t, so)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	if noWorkers {
		close(done)
	} else {
		go func() { bm.Run(ctx); close(done) }()
	}
	t.Cleanup(func() { cancel(); <-done; bm.Close() })
	return &batchServer{s: s, bm: bm, h: s.Handler()}
}

// upload posts body with the given headers ("Content-Type", … pairs).
func (b *batchServer) upload(t *testing.T, query string, body []byte, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("POST", "/v1/batches"+query, bytes.NewReader(body))
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	b.h.ServeHTTP(w, req)
	return w
}

// waitJob polls the status until the job has finished.
func (b *batchServer) waitJob(t *testing.T, id string, headers ...string) BatchStatus {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		w := do(t, b.h, "GET", "/v1/batches/"+id, "", "", headers...)
		if w.Code != 200 {
			t.Fatalf("status: %d %s", w.Code, w.Body)
		}
		var st struct {
			batch.Job
			Results string
		}
		json.Unmarshal(w.Body.Bytes(), &st)
		if st.Status.Finished() {
			return BatchStatus{Job: &st.Job, Results: st.Results}
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s not finished: %s", id, w.Body)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func gzipped(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

// multipartBody builds a form with an optional leading field and a file part.
func multipartBody(t *testing.T, field, fileName, fileType string, content []byte) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	if field != "" {
		mw.WriteField(field, "ignored")
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, "file", fileName))
	if fileType != "" {
		h.Set("Content-Type", fileType)
	}
	p, _ := mw.CreatePart(h)
	p.Write(content)
	mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}

// csvRows parses CSV results into maps by column.
func csvRows(t *testing.T, body string) []map[string]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("results do not parse: %v\n%s", err, body)
	}
	var out []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

const smallCSV = "reference,name,country,segment\nC1,Kaspersky Lab,RU,retail\nC2,Zzyzx Qwerty Plumbing,US,supplier\n"
const smallJSONL = `{"reference":"C1","name":"Kaspersky Lab","country":"RU","segment":"retail"}` + "\n" +
	`{"reference":"C2","name":"Zzyzx Qwerty Plumbing","country":"US","segment":"supplier"}` + "\n"

func TestBatchUploadFormats(t *testing.T) {
	b := newBatchServer(t, batchTestOptions{WaitMaxRows: 100}, Options{}, true)
	mp := func(field, name, typ string, content []byte) ([]byte, []string) {
		body, ct := multipartBody(t, field, name, typ, content)
		return body, []string{"Content-Type", ct}
	}
	type upload struct {
		name    string
		query   string
		body    []byte
		headers []string
		first   int // line of the first data row
	}
	var tests []upload
	tests = append(tests,
		upload{"raw csv", "", []byte(smallCSV), []string{"Content-Type", "text/csv"}, 2},
		upload{"raw application/csv with charset", "", []byte(smallCSV), []string{"Content-Type", "application/csv; charset=utf-8"}, 2},
		upload{"raw ndjson", "", []byte(smallJSONL), []string{"Content-Type", "application/x-ndjson"}, 1},
		upload{"raw jsonl", "", []byte(smallJSONL), []string{"Content-Type", "application/jsonl"}, 1},
		upload{"Content-Encoding gzip", "", gzipped(smallCSV), []string{"Content-Type", "text/csv", "Content-Encoding", "gzip"}, 2},
		upload{"+gzip suffix", "", gzipped(smallJSONL), []string{"Content-Type", "application/json-lines+gzip"}, 1},
		upload{"octet-stream named by ?filename", "&filename=rows.csv.gz", gzipped(smallCSV), []string{"Content-Type", "application/octet-stream"}, 2},
	)
	body, h := mp("", "customers.csv", "text/csv", []byte(smallCSV))
	tests = append(tests, upload{"multipart csv", "", body, h, 2})
	body, h = mp("note", "customers.jsonl.gz", "application/octet-stream", gzipped(smallJSONL))
	tests = append(tests, upload{"multipart octet-stream .jsonl.gz after another field", "", body, h, 1})
	body, h = mp("", "export.csv", "application/vnd.ms-excel", []byte(smallCSV))
	tests = append(tests, upload{"multipart windows csv label", "", body, h, 2})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := b.upload(t, "?wait=true&format=csv"+tt.query, tt.body, tt.headers...)
			if w.Code != 200 {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			if !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") || w.Header().Get("Content-Location") == "" ||
				w.Header().Get("X-Batch-Rows") != "2" {
				t.Errorf("headers %v", w.Header())
			}
			rows := csvRows(t, w.Body.String())
			if len(rows) != 2 {
				t.Fatalf("%d rows", len(rows))
			}
			k, z := rows[0], rows[1]
			if k["line"] != fmt.Sprint(tt.first) || k["reference"] != "C1" || k["status"] != "match" || k["segment"] != "retail" ||
				k["match_1_list"] != "EL" || !strings.Contains(k["match_1_name"], "Kaspersky") || k["list_version"] != testList().Version.ID {
				t.Errorf("Kaspersky row %v", k)
			}
			if z["line"] != fmt.Sprint(tt.first+1) || z["status"] != "clear" || z["match_count"] != "0" || z["segment"] != "supplier" {
				t.Errorf("clear row %v", z)
			}
		})
	}
}

func TestBatchUploadRefused(t *testing.T) {
	b := newBatchServer(t, batchTestOptions{MaxBytes: 4096, MaxRows: 5}, Options{}, true)
	noFile, noFileType := multipartBody(t, "", "x.csv", "text/csv", nil)
	noFile = bytes.Replace(noFile, []byte(`name="file"`), []byte(`name="upload"`), 1)
	xlsx, xlsxType := multipartBody(t, "", "book.xlsx", "application/octet-stream", []byte("PK\x03\x04"))
	tests := []struct {
		name    string
		body    []byte
		headers []string
		status  int
		has     []string
	}{
		{"no name column names the columns found", []byte("reference,company,country\nA,Acme,US\n"), []string{"Content-Type", "text/csv"},
			400, []string{`\"reference\", \"company\", \"country\"`, `no column is named \"name\"`}},
		{"application/json", []byte(`{"name":"x"}`), []string{"Content-Type", "application/json"}, 415, []string{"text/csv", "application/x-ndjson"}},
		{"image", []byte("x"), []string{"Content-Type", "image/png"}, 415, []string{"image/png"}},
		{"xlsx in a form", xlsx, []string{"Content-Type", xlsxType}, 415, []string{"export it as CSV"}},
		{"too many bytes", []byte("name\n" + strings.Repeat("A", 5000) + "\n"), []string{"Content-Type", "text/csv"}, 413, []string{"BATCH_MAX_BYTES", "4096"}},
		{"gzip bomb", gzipped("name\n" + strings.Repeat("a", 1<<20)), []string{"Content-Type", "text/csv", "Content-Encoding", "gzip"}, 413, []string{"BATCH_MAX_BYTES"}},
		{"too many rows", []byte("name\na\nb\nc\nd\ne\nf\n"), []string{"Content-Type", "text/csv"}, 413, []string{"BATCH_MAX_ROWS", "5 rows"}},
		{"blank lines are not rows", []byte("name\na\n\nb\n\nc\nd\n\ne\n"), []string{"Content-Type", "text/csv"}, 202, nil},
		{"multipart without a file part", noFile, []string{"Content-Type", noFileType}, 400, []string{`no part named \"file\"`, `\"upload\"`}},
		{"empty body", nil, []string{"Content-Type", "text/csv"}, 400, []string{"empty"}},
		{"corrupt gzip", gzipped(smallCSV)[:20], []string{"Content-Type", "text/csv", "Content-Encoding", "gzip"}, 400, []string{"gzip"}},
		{"unknown encoding", []byte(smallCSV), []string{"Content-Type", "text/csv", "Content-Encoding", "br"}, 415, []string{"br"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := b.upload(t, "", tt.body, tt.headers...)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if tt.status >= 400 && w.Header().Get("Content-Type") != ProblemContentType {
				t.Errorf("not a problem: %s", w.Header().Get("Content-Type"))
			}
			for _, s := range tt.has {
				if !strings.Contains(w.Body.String(), s) {
					t.Errorf("body lacks %q: %s", s, w.Body)
				}
			}
		})
	}
	// Nothing of the refused uploads was queued.
	if n := b.bm.Active(); n != 1 {
		t.Errorf("%d active jobs, want the one accepted", n)
	}
	if w := b.upload(t, "?format=xml", []byte(smallCSV), "Content-Type", "text/csv"); w.Code != 400 || !strings.Contains(w.Body.String(), `"format"`) {
		t.Errorf("bad format: %d %s", w.Code, w.Body)
	}
}

// TestBatchBadRowsReportedRestScreened: every kind of bad row is reported
// on its own line and the rows after it are still screened; nothing is
// dropped.
func TestBatchBadRowsReportedRestScreened(t *testing.T) {
	b := newBatchServer(t, batchTestOptions{ChunkRows: 3}, Options{}, false)
	long := strings.Repeat("x", screening.MaxNameRunes+1)
	in := "reference,name,country,type,notes\n" + // 1
		"A,Kaspersky Lab,RU,,first\n" + // 2
		"B,\"Broken Quote Ltd,RU,,x\n" + // 3: quote never closed
		"C,Acme Trading,US,Entity,after the broken quote\n" + // 4
		"\n" + // 5: blank, not a row
		"D,,US,,empty name\n" + // 6
		"E," + long + ",US,,long name\n" + // 7
		"F,Bad \xff Bytes,DE,,invalid utf-8\n" + // 8
		"G,Too Few\n" + // 9
		"H,Acme,XX,,bad country\n" + // 10
		"I,Acme,US,Spaceship,bad type\n" + // 11
		"J,\"Kaspersky, Labs\",GB,,\"multi\nline note\"\n" + // 12-13
		"K,Zzyzx Qwerty Plumbing,,,last\n" // 14
	w := b.upload(t, "", []byte(in), "Content-Type", "text/csv")
	if w.Code != 202 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if loc := w.Header().Get("Location"); !strings.HasPrefix(loc, "/v1/batches/") {
		t.Fatalf("Location %q", loc)
	}
	st := decode[struct {
		ID   string
		Rows int64
	}](t, w)
	if st.Rows != 11 {
		t.Errorf("rows %d, want 11 (good and bad, not the blank line)", st.Rows)
	}
	job := b.waitJob(t, st.ID)
	if job.Status != batch.Done || job.RowsDone != 11 || job.RowsWithErrors != 7 || job.RowsWithMatches != 2 {
		t.Errorf("job %+v", job.Job)
	}
	res := do(t, b.h, "GET", job.Results, "", "")
	rows := csvRows(t, res.Body.String())
	want := []struct{ line, ref, status, errHas string }{
		{"2", "A", "match", ""},
		{"3", "", "error", "field 2 opens a quote that is not closed"},
		{"4", "C", "clear", ""},
		{"6", "D", "error", "name: is required"},
		{"7", "E", "error", "at most 1000"},
		{"8", "F", "error", "not valid UTF-8"},
		{"9", "", "error", "2 fields; the header has 5"},
		{"10", "H", "error", `country: "XX" is not an ISO 3166-1`},
		{"11", "I", "error", `type: "Spaceship"`},
		{"12", "J", "match", ""},
		{"14", "K", "clear", ""},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d result rows, want %d:\n%s", len(rows), len(want), res.Body)
	}
	for i, w := range want {
		r := rows[i]
		if r["line"] != w.line || (w.ref != "" && r["reference"] != w.ref) || r["status"] != w.status || !strings.Contains(r["error"], w.errHas) {
			t.Errorf("row %d: %v, want %+v", i, r, w)
		}
	}
	if rows[9]["notes"] != "multi\nline note" || rows[2]["notes"] != "after the broken quote" || !strings.Contains(rows[5]["name"], "\uFFFD") {
		t.Errorf("pass-through: %q %q %q", rows[9]["notes"], rows[2]["notes"], rows[5]["name"])
	}
}

// TestBatchRowsJudgedLikeSingleRequests: a batch row gets the matches and
// the validation of POST /v1/screen.
func TestBatchRowsJudgedLikeSingleRequests(t *testing.T) {
	b := newBatchServer(t, batchTestOptions{WaitMaxRows: 100}, Options{}, true)
	names := []screening.Request{{Name: "Kaspersky Lab"}, {Name: "kaspersky labs ltd", Country: "gb"}, {Name: "OOO Kaspersky Group", Type: "entity"},
		{Name: "Zzyzx"}, {Name: "Kasp\u0007ersky"}, {Name: "Kaspersky", Country: "Russia"}}
	var in strings.Builder
	for _, n := range names {
		line, _ := json.Marshal(n)
		in.Write(line)
		in.WriteByte('\n')
	}
	w := b.upload(t, "?wait=true", []byte(in.String()), "Content-Type", "application/x-ndjson")
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("status %d %s: %s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	lines := strings.Split(strings.TrimSpace(w.Body.String()), "\n")
	for i, n := range names {
		var got struct {
			Status     string
			MatchCount int `json:"match_count"`
			BestScore  float64
			Matches    []struct {
				ID    string
				Score float64
			}
			Error string
		}
		json.Unmarshal([]byte(lines[i]), &got)
		body, _ := json.Marshal(n)
		single := do(t, b.h, "POST", "/v1/screen", "application/json", string(body))
		if single.Code == 400 {
			p := decode[Problem](t, single)
			if got.Status != "error" || !strings.Contains(got.Error, p.Errors[0].Reason) {
				t.Errorf("%+v: batch %+v, single refused with %+v", n, got, p.Errors)
			}
			continue
		}
		resp := decode[ScreenResponse](t, single)
		if got.MatchCount != len(resp.Matches) {
			t.Errorf("%+v: batch %d matches, single %d", n, got.MatchCount, len(resp.Matches))
			continue
		}
		for k := range got.Matches {
			if got.Matches[k].ID != resp.Matches[k].ID || got.Matches[k].Score != resp.Matches[k].Score {
				t.Errorf("%+v: match %d: batch %+v, single %s %v", n, k, got.Matches[k], resp.Matches[k].ID, resp.Matches[k].Score)
			}
		}
	}
}

func TestBatchLifecycle(t *testing.T) {
	// No workers: the job stays queued until we say.
	b := newBatchServer(t, batchTestOptions{WaitMaxRows: 1}, Options{}, true)
	w := b.upload(t, "?wait=true", []byte(smallCSV), "Content-Type", "text/csv")
	if w.Code != 202 {
		t.Fatalf("over the wait limit: %d %s", w.Code, w.Body)
	}
	st := decode[struct {
		ID, Status, Results string
		Rows                int
		Columns             []string
	}](t, w)
	if st.Status != "queued" || st.Rows != 2 || st.Results != "/v1/batches/"+st.ID+"/results" || strings.Join(st.Columns, ",") != "segment" {
		t.Errorf("202 body %+v", st)
	}
	w = do(t, b.h, "GET", st.Results, "", "")
	if w.Code != 409 || !strings.Contains(w.Body.String(), "queued: 0 of 2 rows") || w.Header().Get("Retry-After") == "" {
		t.Errorf("results of a queued job: %d %s", w.Code, w.Body)
	}
	w = do(t, b.h, "GET", st.Results+"?partial=true", "", "")
	if w.Code != 200 || len(csvRows(t, w.Body.String())) != 0 || w.Header().Get("X-Batch-Status") != "queued" {
		t.Errorf("partial results of a queued job: %d %s", w.Code, w.Body)
	}

	// Start the workers.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { b.bm.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	job := b.waitJob(t, st.ID)
	if job.Status != batch.Done || job.StartedAt == nil || job.FinishedAt == nil || job.ExpiresAt == nil || job.ListVersion == "" {
		t.Errorf("done %+v", job.Job)
	}
	for _, tc := range []struct{ query, accept, ctype string }{
		{"", "", "text/csv"},
		{"?format=jsonl", "", "application/x-ndjson"},
		{"", "application/x-ndjson", "application/x-ndjson"},
		{"?format=csv", "application/x-ndjson", "text/csv"},
	} {
		w := do(t, b.h, "GET", st.Results+tc.query, "", "", "Accept", tc.accept)
		if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), tc.ctype) ||
			!strings.Contains(w.Header().Get("Content-Disposition"), st.ID) || !strings.Contains(w.Body.String(), "Kaspersky") {
			t.Errorf("%+v: %d %s %s", tc, w.Code, w.Header().Get("Content-Type"), w.Body)
		}
	}
	if w := do(t, b.h, "DELETE", "/v1/batches/"+st.ID, "", ""); w.Code != 204 {
		t.Errorf("delete: %d", w.Code)
	}
	for _, p := range []string{"/v1/batches/" + st.ID, st.Results} {
		if w := do(t, b.h, "GET", p, "", ""); w.Code != 404 || w.Header().Get("Content-Type") != ProblemContentType {
			t.Errorf("%s after delete: %d", p, w.Code)
		}
	}
	if w := do(t, b.h, "DELETE", "/v1/batches/"+st.ID, "", ""); w.Code != 404 {
		t.Errorf("second delete: %d", w.Code)
	}
	if w := do(t, b.h, "GET", "/v1/batches/..%2f..%2fetc", "", ""); w.Code != 404 {
		t.Errorf("odd id: %d", w.Code)
	}
}

func TestBatchCancelKeepsStatus(t *testing.T) {
	b := newBatchServer(t, batchTestOptions{}, Options{}, true)
	w := b.upload(t, "", []byte(smallCSV), "Content-Type", "text/csv")
	id := decode[struct{ ID string }](t, w).ID
	if w := do(t, b.h, "DELETE", "/v1/batches/"+id, "", ""); w.Code != 204 {
		t.Fatalf("cancel: %d", w.Code)
	}
	st := decode[struct{ Status string }](t, do(t, b.h, "GET", "/v1/batches/"+id, "", ""))
	if st.Status != "cancelled" {
		t.Errorf("status %q", st.Status)
	}
	// Gone for good: 410, and no Retry-After inviting the client to wait.
	if w := do(t, b.h, "GET", "/v1/batches/"+id+"/results?partial=true", "", ""); w.Code != 410 || !strings.Contains(w.Body.String(), "cancelled") || w.Header().Get("Retry-After") != "" {
		t.Errorf("results of a cancelled job: %d %v %s", w.Code, w.Header(), w.Body)
	}
	if w := do(t, b.h, "GET", "/v1/batches/"+id+"/results?partial=maybe", "", ""); w.Code != 400 || !strings.Contains(w.Body.String(), `"partial"`) {
		t.Errorf("?partial=maybe: %d %s", w.Code, w.Body)
	}
}

func TestBatchJobsBelongToTheirKey(t *testing.T) {
	keys, _ := ParseKeys(strings.NewReader("alice:"+hashKey("ka")+",bob:"+hashKey("kb")), "API_KEYS")
	b := newBatchServer(t, batchTestOptions{WaitMaxRows: 10}, Options{Keys: keys}, true)
	if w := b.upload(t, "", []byte(smallCSV), "Content-Type", "text/csv"); w.Code != 401 {
		t.Errorf("no key: %d", w.Code)
	}
	w := b.upload(t, "?wait=true", []byte(smallCSV), "Content-Type", "text/csv", "X-API-Key", "ka")
	id := w.Header().Get("X-Batch-Id")
	if w.Code != 200 || id == "" {
		t.Fatalf("alice: %d %v", w.Code, w.Header())
	}
	for _, p := range []string{"/v1/batches/" + id, "/v1/batches/" + id + "/results"} {
		if w := do(t, b.h, "GET", p, "", "", "X-API-Key", "kb"); w.Code != 404 {
			t.Errorf("bob reads %s: %d", p, w.Code)
		}
		if w := do(t, b.h, "GET", p, "", "", "X-API-Key", "ka"); w.Code != 200 {
			t.Errorf("alice reads %s: %d", p, w.Code)
		}
	}
	if w := do(t, b.h, "DELETE", "/v1/batches/"+id, "", "", "X-API-Key", "kb"); w.Code != 404 {
		t.Errorf("bob deletes: %d", w.Code)
	}
}

func TestBatchMetricsAndAudit(t *testing.T) {
	ring := audit.NewRing(100, 0)
	keys, _ := ParseKeys(strings.NewReader("ops:"+hashKey("k")), "API_KEYS")
	b := newBatchServer(t, batchTestOptions{Audit: Audit{Log: ring, Backend: "memory"}}, Options{Keys: keys}, false)
	in := smallCSV + "C3,,US,x\n"
	w := b.upload(t, "", []byte(in), "Content-Type", "text/csv", "X-API-Key", "k")
	id := decode[struct{ ID string }](t, w).ID
	b.waitJob(t, id, "X-API-Key", "k")
	// The job reads done as soon as its last chunk is stored; the replica
	// that stored it reports it to the observer just after: wait for that.
	var body string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		body = do(t, b.h, "GET", "/metrics", "", "").Body.String()
		if strings.Contains(body, `screener_batch_jobs_total{status="done"} 1`) || time.Now().After(deadline) {
			break
		}
	}
	for _, want := range []string{
		`screener_batch_jobs_total{status="queued"} 1`,
		`screener_batch_jobs_total{status="done"} 1`,
		`screener_batch_rows_total{outcome="match"} 1`,
		`screener_batch_rows_total{outcome="clear"} 1`,
		`screener_batch_rows_total{outcome="error"} 1`,
		`screener_batch_job_duration_seconds_count 1`,
		`screener_batch_jobs_active 0`,
		`screener_screenings_total{channel="batch",outcome="match"} 1`,
		`screener_screenings_total{channel="batch",outcome="clear"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	// The job's record, and (the log being capped, not a system of record)
	// the one row with a match.
	var page audit.Page
	var err error
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		page, err = ring.Query(context.Background(), audit.Filter{BatchJob: id})
		if err != nil || len(page.Records) >= 2 || time.Now().After(deadline) {
			break
		}
	}
	if err != nil || len(page.Records) != 2 {
		t.Fatalf("audit %+v %v", page, err)
	}
	row, job := page.Records[0], page.Records[1]
	if row.Channel == audit.ChannelBatch {
		row, job = job, row
	}
	if row.Channel != audit.ChannelBatchRow || row.Status != "match" || row.BatchRow.JobID != id || row.BatchRow.Reference != "C1" ||
		row.Query.Name != "Kaspersky Lab" || len(row.TopMatches) == 0 || row.KeyID != "ops" {
		t.Errorf("row record %+v", row)
	}
	if job.Channel != audit.ChannelBatch || job.KeyID != "ops" || job.ListVersion == "" || job.Batch == nil || job.Batch.JobID != id ||
		job.Batch.Rows != 3 || job.Batch.Outcomes["match"] != 1 || job.Batch.Outcomes["error"] != 1 || job.Batch.Outcomes["clear"] != 1 ||
		len(job.Batch.InputSHA256) != 64 {
		t.Errorf("job record %+v %+v", job, job.Batch)
	}
	if sum := sha256.Sum256([]byte(in)); job.Batch.InputSHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("input sha256 %s, want the upload's", job.Batch.InputSHA256)
	}
}

// TestBatchResultsNeverLookWholeWhenCut: if a finished job's results vanish
// while they are sent, the connection is broken, so the client cannot take
// a short file for the whole one.
func TestBatchResultsNeverLookWholeWhenCut(t *testing.T) {
	dir := t.TempDir()
	b := newBatchServer(t, batchTestOptions{Dir: dir, ChunkRows: 100, WaitMaxRows: 2000}, Options{}, true)
	in := "name\n" + strings.Repeat("Acme\n", 2000) // well over the write buffer before the lost chunk
	w := b.upload(t, "?wait=true", []byte(in), "Content-Type", "text/csv")
	id := w.Header().Get("X-Batch-Id")
	files, _ := filepath.Glob(filepath.Join(dir, "*", id, "out-000015"))
	if len(files) != 1 {
		t.Fatalf("result files %v", files)
	}
	os.Remove(files[0])
	srv := httptest.NewServer(b.h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/v1/batches/" + id + "/results")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err == nil {
		t.Fatalf("a cut result stream read as complete (%d bytes)", len(got))
	}
	if n := bytes.Count(got, []byte("\n")); n < 1000 || n > 1501 {
		t.Errorf("%d lines before the cut, want the rows of the 15 chunks before it", n)
	}
}
