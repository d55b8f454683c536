package service

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cslscreen/screener/audit"
	"github.com/cslscreen/screener/lists"
	"github.com/cslscreen/screener/screening"
	"github.com/gin-gonic/gin"
)

const (
	idAOKaspersky  = "88a5a8ac99fb224dc40025c5c2abb25919f56d25bd1f0c766af312b1"
	idOOOKaspersky = "3602e06799bcd90808e02b813332f0f97ec0d66bce1e87549d5a3450"
	idUKKaspersky  = "8e2975db722f844da153792847843a140517b2fb476b1e84311cd739"
)

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// newTestServer serves the embedded snapshot with the given options.
func newTestServer(t *testing.T, o Options) *Server {
	t.Helper()
	if o.Catalog == nil {
		o.Catalog = &screening.Catalog{}
		o.Catalog.Load(testList())
	}
	if o.Logger == nil {
		o.Logger = quietLog
	}
	return New(o)
}

func do(t *testing.T, h http.Handler, method, path, contentType, body string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func decode[T any](t *testing.T, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %T: %v\n%s", v, err, w.Body.String())
	}
	return v
}

func TestScreenKaspersky(t *testing.T) {
	s := newTestServer(t, Options{})
	w := do(t, s.Handler(), "POST", "/v1/screen", "application/json", `{"name":"Kaspersky Lab"}`)
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	resp := decode[ScreenResponse](t, w)
	if resp.ListVersion != testList().Version.ID || resp.ID == "" || resp.ScreenedAt.IsZero() || w.Header().Get(HeaderRequestID) == "" {
		t.Errorf("envelope = %+v", resp)
	}
	got := map[string]screening.Match{}
	for _, m := range resp.Matches {
		got[m.ID] = m
	}
	for _, id := range []string{idAOKaspersky, idOOOKaspersky, idUKKaspersky} {
		if _, ok := got[id]; !ok {
			t.Errorf("missing %s in %v", id, resp.Matches)
		}
	}
	ao := got[idAOKaspersky]
	if ao.Name != "AO Kaspersky Lab" || ao.List != "EL" || ao.FederalRegisterNotice != "89 FR 52362" ||
		ao.LicensePolicy != "Presumption of denial." || ao.StartDate != "2024-06-24" || len(ao.Addresses) != 1 ||
		ao.Addresses[0].Country != "RU" || ao.MatchedName == "" || ao.Score <= 0 || ao.Score > 1 {
		t.Errorf("AO Kaspersky Lab match = %+v", ao)
	}
}

// TestScreenResponseFieldNames pins the contract's field names: renaming
// one breaks clients.
func TestScreenResponseFieldNames(t *testing.T) {
	s := newTestServer(t, Options{})
	w := do(t, s.Handler(), "POST", "/v1/screen", "application/json", `{"name":"Kaspersky Lab"}`)
	var raw map[string]any
	json.Unmarshal(w.Body.Bytes(), &raw)
	for _, k := range []string{"list_version", "screened_at", "query", "matches"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("response lacks %q", k)
		}
	}
	m := raw["matches"].([]any)[0].(map[string]any)
	for _, k := range []string{"id", "source", "name", "matched_name", "score", "type", "addresses", "federal_register_notice",
		"start_date", "license_requirement", "license_policy", "source_list_url"} {
		if _, ok := m[k]; !ok {
			t.Errorf("match lacks %q", k)
		}
	}
}

// TestScreenBadInput is the table of bad inputs: each gets its documented
// 4xx with a problem+json body that names the field at fault.
func TestScreenBadInput(t *testing.T) {
	keys, err := ParseKeys(strings.NewReader("ops:"+hashKey("good-key")), "API_KEYS")
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, Options{Keys: keys}) // default body limit, 64 KiB
	long := strings.Repeat("a", screening.MaxNameRunes+1)
	tenMB := `{"name":"` + strings.Repeat("a", 10<<20) + `"}`
	goodKey := []string{"Authorization", "Bearer good-key"}
	tests := []struct {
		name, contentType, body string
		headers                 []string // default: a good key
		status                  int
		field                   string // the field the problem must name, if any
	}{
		{"empty name", "application/json", `{"name":""}`, nil, 400, "name"},
		{"blank name", "application/json", `{"name":"   "}`, nil, 400, "name"},
		{"missing name", "application/json", `{}`, nil, 400, "name"},
		{"name too long", "application/json", `{"name":"` + long + `"}`, nil, 400, "name"},
		{"name is a number", "application/json", `{"name":42}`, nil, 400, "name"},
		{"name is an object", "application/json", `{"name":{"a":1}}`, nil, 400, "name"},
		{"control characters", "application/json", `{"name":"a\u0000b"}`, nil, 400, "name"},
		{"unknown field", "application/json", `{"name":"x","nmae":"y"}`, nil, 400, "nmae"},
		{"bad country", "application/json", `{"name":"x","country":"XX"}`, nil, 400, "country"},
		{"country wrong type", "application/json", `{"name":"x","country":7}`, nil, 400, "country"},
		{"bad type", "application/json", `{"name":"x","type":"Company"}`, nil, 400, "type"},
		{"limit zero", "application/json", `{"name":"x","limit":0}`, nil, 400, "limit"},
		{"limit too big", "application/json", `{"name":"x","limit":101}`, nil, 400, "limit"},
		{"limit fractional", "application/json", `{"name":"x","limit":2.5}`, nil, 400, "limit"},
		{"min_score above 1", "application/json", `{"name":"x","min_score":1.5}`, nil, 400, "min_score"},
		{"min_score string", "application/json", `{"name":"x","min_score":"high"}`, nil, 400, "min_score"},
		{"not an object", "application/json", `["x"]`, nil, 400, ""},
		{"malformed", "application/json", `{"name":"x"`, nil, 400, ""},
		{"trailing data", "application/json", `{"name":"x"} {"name":"y"}`, nil, 400, ""},
		{"empty body", "application/json", ``, nil, 400, ""},
		{"deeply nested JSON", "application/json", `{"name":"x","country":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`, nil, 400, ""},
		{"deeply nested JSON, unknown field", "application/json", `{"x":` + strings.Repeat(`{"a":`, 5000) + `1` + strings.Repeat("}", 5000) + `}`, nil, 400, "x"},
		{"invalid UTF-8", "application/json", "{\"name\":\"K\xffaspersky\"}", nil, 400, ""},
		{"10 MB body", "application/json", tenMB, nil, 413, ""},
		{"no content type", "", `{"name":"x"}`, nil, 415, ""},
		{"wrong content type", "text/plain", `{"name":"x"}`, nil, 415, ""},
		{"form content type", "application/x-www-form-urlencoded", `name=x`, nil, 415, ""},
		{"no key", "application/json", `{"name":"x"}`, []string{}, 401, ""},
		{"bad key", "application/json", `{"name":"x"}`, []string{"Authorization", "Bearer not-a-key"}, 401, ""},
		{"bad key header", "application/json", `{"name":"x"}`, []string{"X-API-Key", "not-a-key"}, 401, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.headers
			if h == nil {
				h = goodKey
			}
			w := do(t, s.Handler(), "POST", "/v1/screen", tc.contentType, tc.body, h...)
			if w.Code != tc.status {
				t.Fatalf("status = %d, want %d: %s", w.Code, tc.status, truncate(w.Body.String()))
			}
			if ct := w.Header().Get("Content-Type"); ct != ProblemContentType {
				t.Fatalf("Content-Type = %q, want %s", ct, ProblemContentType)
			}
			p := decode[Problem](t, w)
			if p.Status != tc.status || p.Title == "" || p.Type == "" || p.RequestID == "" || p.Detail == "" {
				t.Errorf("problem = %+v", p)
			}
			if tc.field != "" {
				found := false
				for _, e := range p.Errors {
					found = found || e.Field == tc.field
				}
				if !found {
					t.Errorf("problem does not name field %q: %+v", tc.field, p.Errors)
				}
			}
		})
	}
}

func TestScreenQueryOptions(t *testing.T) {
	s := newTestServer(t, Options{})
	w := do(t, s.Handler(), "POST", "/v1/screen", "application/json", `{"name":"Kaspersky Lab","country":"gb","type":"entity","limit":1,"min_score":0.5}`)
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	resp := decode[ScreenResponse](t, w)
	if resp.Query.Country != "GB" || resp.Query.Type != "Entity" || resp.Query.Limit != 1 || resp.Query.MinScore != 0.5 {
		t.Errorf("query echo = %+v", resp.Query)
	}
	if len(resp.Matches) != 1 {
		t.Errorf("limit 1 gave %d matches", len(resp.Matches))
	}
}

func TestRoutesAndErrors(t *testing.T) {
	s := newTestServer(t, Options{OpenAPI: []byte("openapi: 3.0.3\n")})
	h := s.Handler()
	tests := []struct {
		method, path string
		status       int
		problem      bool
	}{
		{"GET", "/healthz", 200, false},
		{"GET", "/readyz", 200, false},
		{"GET", "/openapi.yaml", 200, false},
		{"GET", "/v1/lists", 200, false},
		{"GET", "/v1/lists/entries/" + idAOKaspersky, 200, false},
		{"GET", "/v1/lists/entries/nope", 404, true},
		{"GET", "/v1/nothing", 404, true},
		{"GET", "/v1/screen", 405, true},
		{"DELETE", "/v1/lists", 405, true},
		{"GET", "/v1/audit", 404, true}, // audit off
	}
	for _, tc := range tests {
		w := do(t, h, tc.method, tc.path, "", "")
		if w.Code != tc.status {
			t.Errorf("%s %s = %d, want %d: %s", tc.method, tc.path, w.Code, tc.status, w.Body)
		}
		if tc.problem && w.Header().Get("Content-Type") != ProblemContentType {
			t.Errorf("%s %s: Content-Type %q, want problem+json", tc.method, tc.path, w.Header().Get("Content-Type"))
		}
	}
	ent := decode[EntryResponse](t, do(t, h, "GET", "/v1/lists/entries/"+idUKKaspersky, "", ""))
	if len(ent.Entries) != 1 || ent.Entries[0].Name != "Kaspersky Labs Limited" || ent.Entries[0].AltNames[1] != "Kaspersky Labs Ltd" {
		t.Errorf("entry = %+v", ent)
	}
	s.catalog.Load(lists.Embedded())
	info := decode[ListsInfo](t, do(t, h, "GET", "/v1/lists", "", ""))
	if !info.Current.Builtin || info.Warning == "" || info.Current.Entries != 3 || len(info.Lists) != 1 || info.Lists[0].List != "EL" || len(info.Versions) != 1 {
		t.Errorf("lists = %+v", info)
	}
}

func TestReadiness(t *testing.T) {
	s := New(Options{Catalog: &screening.Catalog{}, Logger: quietLog})
	if w := do(t, s.Handler(), "GET", "/readyz", "", ""); w.Code != 503 || !strings.Contains(w.Body.String(), "no list loaded") {
		t.Fatalf("no list: %d %s", w.Code, w.Body)
	}
	if w := do(t, s.Handler(), "POST", "/v1/screen", "application/json", `{"name":"x"}`); w.Code != 503 {
		t.Fatalf("screen without list: %d", w.Code)
	}
	s.catalog.Load(lists.Embedded())
	if w := do(t, s.Handler(), "GET", "/readyz", "", ""); w.Code != 503 || !strings.Contains(w.Body.String(), "built-in") {
		t.Fatalf("built-in snapshot only: %d %s", w.Code, w.Body)
	}
	if w := do(t, New(Options{Catalog: s.catalog, Logger: quietLog, ReadyOnBuiltin: true}).Handler(), "HEAD", "/readyz", "", ""); w.Code != 200 {
		t.Fatalf("built-in snapshot with ReadyOnBuiltin: %d %s", w.Code, w.Body)
	}
	s.catalog.Load(testList())
	if w := do(t, s.Handler(), "GET", "/readyz", "", ""); w.Code != 200 {
		t.Fatalf("with list: %d %s", w.Code, w.Body)
	}
	s.BeginShutdown()
	if w := do(t, s.Handler(), "GET", "/readyz", "", ""); w.Code != 503 || !strings.Contains(w.Body.String(), "shutting down") {
		t.Fatalf("shutting down: %d %s", w.Code, w.Body)
	}
	if w := do(t, s.Handler(), "GET", "/healthz", "", ""); w.Code != 200 {
		t.Fatalf("healthz while shutting down: %d", w.Code)
	}
}

func TestRequestIDPropagation(t *testing.T) {
	s := newTestServer(t, Options{})
	w := do(t, s.Handler(), "GET", "/healthz", "", "", HeaderRequestID, "abc-123")
	if got := w.Header().Get(HeaderRequestID); got != "abc-123" {
		t.Errorf("request id = %q, want the caller's", got)
	}
	w = do(t, s.Handler(), "GET", "/healthz", "", "", HeaderRequestID, "bad id with spaces\n")
	if got := w.Header().Get(HeaderRequestID); len(got) != 32 {
		t.Errorf("request id = %q, want a fresh one for an unsafe value", got)
	}
}

func TestRecoveryAnswersProblem(t *testing.T) {
	s := newTestServer(t, Options{})
	s.engine.GET("/panic", func(c *gin.Context) { panic("boom") })
	w := do(t, s.Handler(), "GET", "/panic", "", "")
	if w.Code != 500 || w.Header().Get("Content-Type") != ProblemContentType {
		t.Fatalf("panic: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	if w := do(t, s.Handler(), "GET", "/healthz", "", ""); w.Code != 200 {
		t.Fatalf("server unusable after a panic: %d", w.Code)
	}
}

func hashKey(k string) string {
	h := sha256.Sum256([]byte(k))
	return hex.EncodeToString(h[:])
}

func TestAPIKeys(t *testing.T) {
	keys, err := ParseKeys(strings.NewReader("ops:"+hashKey("s3cret-ops")+", ci:"+hashKey("s3cret-ci")), "API_KEYS")
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, Options{Keys: keys})
	h := s.Handler()
	body := `{"name":"Kaspersky Lab"}`
	tests := []struct {
		name    string
		headers []string
		status  int
	}{
		{"no key", nil, 401},
		{"wrong key", []string{"Authorization", "Bearer nope"}, 401},
		{"wrong scheme", []string{"Authorization", "Basic czNjcmV0LW9wcw=="}, 401},
		{"bearer", []string{"Authorization", "Bearer s3cret-ops"}, 200},
		{"x-api-key", []string{"X-API-Key", "s3cret-ci"}, 200},
	}
	for _, tc := range tests {
		w := do(t, h, "POST", "/v1/screen", "application/json", body, tc.headers...)
		if w.Code != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, w.Code, tc.status)
		}
		if tc.status == 401 && (w.Header().Get("Content-Type") != ProblemContentType || w.Header().Get("WWW-Authenticate") == "") {
			t.Errorf("%s: 401 without problem body or WWW-Authenticate", tc.name)
		}
	}
	for _, open := range []string{"/healthz", "/readyz"} {
		if w := do(t, h, "GET", open, "", ""); w.Code != 200 {
			t.Errorf("%s needs no key, got %d", open, w.Code)
		}
	}
	if w := do(t, h, "GET", "/v1/lists", "", ""); w.Code != 401 {
		t.Errorf("/v1/lists without key: %d", w.Code)
	}
}

func TestParseKeysErrors(t *testing.T) {
	for _, in := range []string{"nocolon", "id:xyz", "id:" + hashKey("a") + ",id:" + hashKey("b"), ":" + hashKey("a"), "bad id:" + hashKey("a")} {
		if _, err := ParseKeys(strings.NewReader(in), "API_KEYS"); err == nil {
			t.Errorf("ParseKeys(%q) accepted", in)
		} else if strings.Contains(err.Error(), hashKey("a")) && strings.HasPrefix(in, "nocolon") {
			t.Errorf("error leaks input: %v", err)
		}
	}
	ks, err := ParseKeys(strings.NewReader("# comment\n\nops:"+strings.ToUpper(hashKey("k"))+"\n"), "file")
	if err != nil || ks.Len() != 1 {
		t.Fatalf("file form: %v %d", err, ks.Len())
	}
}

func TestRateLimitMemory(t *testing.T) {
	s := newTestServer(t, Options{Limiter: NewMemoryRateLimiter(0.001, 3)})
	h := s.Handler()
	codes := []int{}
	for i := 0; i < 5; i++ {
		codes = append(codes, do(t, h, "POST", "/v1/screen", "application/json", `{"name":"x"}`).Code)
	}
	if codes[0] != 200 || codes[2] != 200 || codes[3] != 429 || codes[4] != 429 {
		t.Fatalf("codes = %v, want 3×200 then 429", codes)
	}
	w := do(t, h, "POST", "/v1/screen", "application/json", `{"name":"x"}`)
	if ra := w.Header().Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After = %q", ra)
	}
	if w := do(t, h, "GET", "/healthz", "", ""); w.Code != 200 {
		t.Errorf("healthz rate limited: %d", w.Code)
	}
}

func TestAuditMemory(t *testing.T) {
	ring := audit.NewRing(100, 0)
	keys, _ := ParseKeys(strings.NewReader("ops:"+hashKey("k")+",other:"+hashKey("o")+",boss:"+hashKey("b")+":admin"), "API_KEYS")
	s := newTestServer(t, Options{Audit: Audit{Log: ring, Backend: "memory"}, Keys: keys})
	h := s.Handler()
	// The caller's X-Request-ID, sent twice, does not make the audit id:
	// two screenings, two records, each keeping the caller's id beside.
	var resps []ScreenResponse
	for range 2 {
		w := do(t, h, "POST", "/v1/screen", "application/json", `{"name":"Kaspersky Lab"}`, "X-API-Key", "k", "X-Request-ID", "scr-42")
		resps = append(resps, decode[ScreenResponse](t, w))
	}
	do(t, h, "POST", "/v1/screen", "application/json", `{"name":"Acme Bakery"}`, "X-API-Key", "o")
	if resps[0].ID == resps[1].ID {
		t.Fatalf("two screenings share the id %s", resps[0].ID)
	}
	page := decode[AuditPage](t, do(t, h, "GET", "/v1/audit", "", "", "X-API-Key", "k"))
	if len(page.Records) != 2 || page.SystemOfRecord || page.Notice == "" {
		t.Fatalf("audit = %+v", page)
	}
	r := page.Records[0]
	if r.ID != resps[0].ID || r.ClientRequestID != "scr-42" || r.KeyID != "ops" || r.ListVersion != resps[0].ListVersion ||
		r.Query.Name != "Kaspersky Lab" || r.Status != "match" || r.MatchCount != len(resps[0].Matches) || len(r.TopMatches) == 0 {
		t.Errorf("record = %+v", r)
	}
	// One screening's record by the id its answer carried; another key's
	// record is not found, except by an administrator.
	if got := decode[audit.Record](t, do(t, h, "GET", "/v1/audit/"+resps[1].ID, "", "", "X-API-Key", "k")); got.ID != resps[1].ID {
		t.Errorf("GET /v1/audit/{id} = %+v", got)
	}
	if w := do(t, h, "GET", "/v1/audit/"+resps[1].ID, "", "", "X-API-Key", "o"); w.Code != 404 {
		t.Errorf("another key's record: %d", w.Code)
	}
	if w := do(t, h, "GET", "/v1/audit/"+resps[1].ID, "", "", "X-API-Key", "b"); w.Code != 200 {
		t.Errorf("an admin reading a record: %d", w.Code)
	}
	if p := decode[AuditPage](t, do(t, h, "GET", "/v1/audit", "", "", "X-API-Key", "b")); len(p.Records) != 3 {
		t.Errorf("an admin sees %d records, want every key's 3", len(p.Records))
	}
	if p := decode[AuditPage](t, do(t, h, "GET", "/v1/audit?status=clear&name=bakery", "", "", "X-API-Key", "b")); len(p.Records) != 1 || p.Records[0].KeyID != "other" {
		t.Errorf("filtered = %+v", p.Records)
	}
	if w := do(t, h, "GET", "/v1/audit?key_id=other", "", "", "X-API-Key", "k"); w.Code != 400 {
		t.Errorf("a key asking for another key's records: %d", w.Code)
	}
	if w := do(t, h, "GET", "/v1/audit?from=yesterday", "", "", "X-API-Key", "k"); w.Code != 400 || !strings.Contains(w.Body.String(), `"from"`) {
		t.Errorf("bad from: %d %s", w.Code, w.Body)
	}
	// An export of the range, the caller's records only, CSV escaped for
	// spreadsheets.
	from, to := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	w := do(t, h, "GET", "/v1/audit/export?format=csv&from="+from+"&to="+to, "", "", "X-API-Key", "k")
	lines := strings.Split(strings.TrimSpace(w.Body.String()), "\n")
	if w.Code != 200 || len(lines) != 3 || !strings.HasPrefix(lines[0], "id,time,key_id") || !strings.Contains(lines[1], resps[0].ID) {
		t.Errorf("export: %d %q", w.Code, w.Body.String())
	}
	if w := do(t, h, "GET", "/v1/audit/export", "", "", "X-API-Key", "k"); w.Code != 400 {
		t.Errorf("export without a range: %d", w.Code)
	}
}

func TestMetricsExposition(t *testing.T) {
	s := newTestServer(t, Options{MetricsOnMain: true})
	h := s.Handler()
	do(t, h, "POST", "/v1/screen", "application/json", `{"name":"Kaspersky Lab"}`)
	do(t, h, "POST", "/v1/screen", "application/json", `{"name":"Zzyzx Qwerty Plumbing"}`)
	s.metrics.ObserveSnapshot(s.catalog.Current())
	w := do(t, h, "GET", "/metrics", "", "")
	body := w.Body.String()
	for _, want := range []string{
		`screener_http_requests_total{code="200",method="POST",route="/v1/screen"} 2`,
		`screener_screenings_total{channel="api",outcome="match"} 1`,
		`screener_screenings_total{channel="api",outcome="clear"} 1`,
		`screener_matches_total{list="EL"}`,
		`screener_list_entries{list="EL"} 3`,
		`screener_list_info{builtin="false",source="file",version="`,
		`screener_list_builtin 0`,
		`screener_unscreenable_total{channel="api",reason="builtin_list"} 0`,
		`screener_match_score_bucket`,
		`screener_build_info{`,
		`go_goroutines`,
		`process_resident_memory_bytes`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(body, "Kaspersky") || strings.Contains(body, "Zzyzx") {
		t.Error("a screened name leaked into metrics")
	}
}

// Names arrive mangled: a Windows-1252 apostrophe mis-decoded to U+0092, a
// line break from a pasted address block. They are screened, not refused.
func TestScreenAcceptsMojibakeAndLineBreaks(t *testing.T) {
	s := newTestServer(t, Options{})
	for _, body := range []string{`{"name":"Kaspersky\u0092s Laboratory"}`, `{"name":"Kaspersky\nLab"}`, `{"name":"Kaspersky\tLab"}`} {
		w := do(t, s.Handler(), "POST", "/v1/screen", "application/json", body)
		if w.Code != 200 {
			t.Fatalf("%s: %d %s", body, w.Code, w.Body)
		}
		if r := decode[ScreenResponse](t, w); len(r.Matches) == 0 {
			t.Errorf("%s: no match", body)
		}
	}
}

// TestAccessLogLine: one JSON line per request with the route template,
// never the name screened; the client address comes from X-Forwarded-For
// only through a trusted proxy.
func TestAccessLogLine(t *testing.T) {
	for _, tc := range []struct {
		trusted []string
		remote  string
	}{
		{nil, "192.0.2.1"},                        // httptest's RemoteAddr; the header is not believed
		{[]string{"192.0.2.0/24"}, "203.0.113.7"}, // through a trusted proxy it is
	} {
		var buf lockedBuffer
		keys, _ := ParseKeys(strings.NewReader("ops:"+hashKey("k")), "test")
		s := newTestServer(t, Options{AccessLog: &AccessLog{W: &buf, Level: slog.LevelInfo}, Keys: keys, TrustedProxies: tc.trusted})
		do(t, s.Handler(), "POST", "/v1/screen", "application/json", `{"name":"Secret Counterparty Name"}`, "X-API-Key", "k", "X-Forwarded-For", "203.0.113.7")
		do(t, s.Handler(), "GET", "/healthz", "", "") // debug level: not written
		lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
		if len(lines) != 1 {
			t.Fatalf("lines = %q, want one", lines)
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
			t.Fatalf("not JSON: %v: %s", err, lines[0])
		}
		for k, want := range map[string]any{"level": "INFO", "msg": "http request", "method": "POST", "route": "/v1/screen",
			"status": float64(200), "key_id": "ops", "remote": tc.remote} {
			if rec[k] != want {
				t.Errorf("%s = %v, want %v (%s)", k, rec[k], want, lines[0])
			}
		}
		if _, err := time.Parse(time.RFC3339Nano, rec["time"].(string)); err != nil || rec["request_id"] == "" || rec["duration_ms"] == nil {
			t.Errorf("time/request_id/duration: %s", lines[0])
		}
		if strings.Contains(lines[0], "Secret") {
			t.Error("the screened name is in the access log")
		}
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// testList is the built-in snapshot's entries as a full list loaded from a
// file would be: answers on it can be clear. Tests of what only the
// built-in snapshot does load lists.Embedded() itself.
func testList() *lists.List {
	emb := lists.Embedded()
	return lists.NewList(lists.Version{Source: "file", Origin: "testdata/embedded-entries", FetchedAt: time.Now().UTC()}, emb.Entries)
}

// A fractional limit is refused for not being an integer; "must be a
// number, got number 2.5" said nothing.
func TestScreenFractionalLimitSaysInteger(t *testing.T) {
	s := newTestServer(t, Options{})
	p := decode[Problem](t, do(t, s.Handler(), "POST", "/v1/screen", "application/json", `{"name":"x","limit":2.5}`))
	if len(p.Errors) != 1 || p.Errors[0].Field != "limit" || p.Errors[0].Reason != "must be an integer, got number 2.5" {
		t.Errorf("problem %+v", p.Errors)
	}
}
