package service

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cslscreen/screener"
	"github.com/cslscreen/screener/audit"
	"github.com/cslscreen/screener/monitor"
	"github.com/cslscreen/screener/screening"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// contractCase is one request the contract test sends through the real Gin
// engine with all its middleware.
type contractCase struct {
	name        string
	method      string
	path        string
	contentType string
	body        string
	headers     []string
	status      int
	// invalid marks a request the spec itself must reject (its schema says
	// it is wrong); the server must answer it with a documented 4xx.
	invalid bool
}

const contractKey = "contract-test-key"

// JSON lines results are checked as text: the spec describes their lines
// in prose, and kin-openapi has no decoder for the type.
func init() {
	openapi3filter.RegisterBodyDecoder("application/x-ndjson", openapi3filter.PlainBodyDecoder)
	// The page's files (service/web) are checked as text too.
	for _, t := range []string{"text/html", "text/javascript", "text/css"} {
		openapi3filter.RegisterBodyDecoder(t, openapi3filter.PlainBodyDecoder)
	}
}

// loadSpec parses and validates openapi.yaml.
func loadSpec(t testing.TB) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(screener.OpenAPI)
	if err != nil {
		t.Fatalf("openapi.yaml does not parse: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.yaml is not a valid OpenAPI document: %v", err)
	}
	// Match routes on paths alone: test requests go to example.com, not to
	// the documented server.
	doc.Servers = nil
	return doc
}

// contractServer is the full server: keys, audit, rate limit off, metrics
// on the main listener, the bundled spec and the batch routes.
func contractServer(t *testing.T) *Server {
	t.Helper()
	keys, err := ParseKeys(strings.NewReader("contract:"+hashKey(contractKey)+":decide, plain:"+hashKey(plainKey)+",boss:"+hashKey(contractKey+"-admin")+":admin"), "test")
	if err != nil {
		t.Fatal(err)
	}
	cat := &screening.Catalog{}
	cat.Load(testList())
	m := NewMetrics(BuildInfo{Version: "test", Commit: "test"})
	aud := Audit{Log: audit.NewRing(100, 0), Backend: "memory"}
	bm, routes := newTestBatches(t, cat, m, batchTestOptions{Audit: aud, WaitMaxRows: 100})
	ctx, cancel := context.WithCancel(context.Background())
	go bm.Run(ctx)
	t.Cleanup(func() { cancel(); bm.Close() })
	return New(Options{Catalog: cat, Logger: quietLog, Metrics: m, Keys: keys, Audit: aud,
		OpenAPI: screener.OpenAPI, MetricsOnMain: true, Batches: routes,
		Monitor: monitor.New(monitor.Options{Store: monitor.NewMemoryStore(), Catalog: cat, Logger: quietLog})})
}

func TestOpenAPIContract(t *testing.T) {
	doc := loadSpec(t)
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	s := contractServer(t)
	auth := []string{"Authorization", "Bearer " + contractKey}

	cases := []contractCase{
		{name: "screen", method: "POST", path: "/v1/screen", contentType: "application/json", body: `{"name":"Kaspersky Lab"}`, headers: auth, status: 200},
		{name: "screen all options", method: "POST", path: "/v1/screen", contentType: "application/json", body: `{"name":"Лаборатория Касперского","country":"ru","type":"entity","limit":2,"min_score":0.5}`, headers: auth, status: 200},
		{name: "screen with facts", method: "POST", path: "/v1/screen", contentType: "application/json", body: `{"name":"Kaspersky Lab","date_of_birth":"1962-04-30","nationality":"ru","identifier":"BC-166 787"}`, headers: auth, status: 200},
		{name: "screen bad date of birth", method: "POST", path: "/v1/screen", contentType: "application/json", body: `{"name":"x","date_of_birth":"30/04/1962"}`, headers: auth, status: 400, invalid: true},
		{name: "screen bad nationality", method: "POST", path: "/v1/screen", contentType: "application/json", body: `{"name":"x","nationality":"XX"}`, headers: auth, status: 400},
		{name: "screen no match", method: "POST", path: "/v1/screen", contentType: "application/json", body: `{"name":"Zzyzx Qwertyuiop Plumbing"}`, headers: auth, status: 200},
		{name: "screen x-api-key", method: "POST", path: "/v1/screen", contentType: "application/json", body: `{"name":"Kaspersky"}`, headers: []string{"X-API-Key", contractKey}, status: 200},
		{name: "screen empty name", method: "POST", path: "/v1/screen", contentType: "application/json", body: `{"name":""}`, headers: auth, status: 400, invalid: true},
		{name: "screen name number", method: "POST", path: "/v1/screen", contentType: "application/json", body: `{"name":7}`, headers: auth, status: 400, invalid: true},
		{name: "screen unknown field", method: "POST", path: "/v1/screen", contentType: "application/json", body: `{"name":"x","colour":"red"}`, headers: auth, status: 400, invalid: true},
		{name: "screen limit too big", method: "POST", path: "/v1/screen", contentType: "application/json", body: `{"name":"x","limit":1000}`, headers: auth, status: 400, invalid: true},
		{name: "screen bad country code", method: "POST", path: "/v1/screen", contentType: "application/json", body: `{"name":"x","country":"XX"}`, headers: auth, status: 400},
		{name: "screen wrong content type", method: "POST", path: "/v1/screen", contentType: "text/plain", body: `name=x`, headers: auth, status: 415, invalid: true},
		{name: "screen no key", method: "POST", path: "/v1/screen", contentType: "application/json", body: `{"name":"x"}`, status: 401},
		{name: "screen bad key", method: "POST", path: "/v1/screen", contentType: "application/json", body: `{"name":"x"}`, headers: []string{"Authorization", "Bearer wrong"}, status: 401},
		{name: "screen too large", method: "POST", path: "/v1/screen", contentType: "application/json", body: `{"name":"x","type":"` + strings.Repeat("a", 70000) + `"}`, headers: auth, status: 413, invalid: true},
		{name: "lists", method: "GET", path: "/v1/lists", headers: auth, status: 200},
		{name: "lists refresh without the admin scope", method: "POST", path: "/v1/lists/refresh", headers: auth, status: 403},
		{name: "lists refresh without a source", method: "POST", path: "/v1/lists/refresh", headers: []string{"X-API-Key", contractKey + "-admin"}, status: 409},
		{name: "entry", method: "GET", path: "/v1/lists/entries/" + idAOKaspersky, headers: auth, status: 200},
		{name: "entry missing", method: "GET", path: "/v1/lists/entries/no-such-id", headers: auth, status: 404},
		{name: "audit", method: "GET", path: "/v1/audit?limit=5", headers: auth, status: 200},
		{name: "audit bad limit", method: "GET", path: "/v1/audit?limit=0", headers: auth, status: 400, invalid: true},
		{name: "audit bad time", method: "GET", path: "/v1/audit?from=yesterday", headers: auth, status: 400, invalid: true},
		{name: "audit filtered", method: "GET", path: "/v1/audit?status=match&name=kasp&channel=api", headers: auth, status: 200},
		{name: "audit record missing", method: "GET", path: "/v1/audit/0190b4c6-0b5e-7a3c-9d1e-2f3a4b5c6d7e", headers: auth, status: 404},
		{name: "audit record bad id", method: "GET", path: "/v1/audit/not-an-id", headers: auth, status: 400, invalid: true},
		{name: "audit export", method: "GET", path: "/v1/audit/export?from=2026-01-01T00:00:00Z&to=2099-01-01T00:00:00Z", headers: auth, status: 200},
		{name: "audit export csv", method: "GET", path: "/v1/audit/export?format=csv&from=2026-01-01T00:00:00Z&to=2099-01-01T00:00:00Z", headers: auth, status: 200},
		{name: "healthz", method: "GET", path: "/healthz", status: 200},
		{name: "readyz", method: "GET", path: "/readyz", status: 200},
		{name: "healthz head", method: "HEAD", path: "/healthz", status: 200},
		{name: "readyz head", method: "HEAD", path: "/readyz", status: 200},
		{name: "metrics", method: "GET", path: "/metrics", status: 200},
		{name: "openapi", method: "GET", path: "/openapi.yaml", status: 200},
		{name: "page", method: "GET", path: "/", status: 200},
		{name: "page head", method: "HEAD", path: "/", status: 200},
		{name: "page script", method: "GET", path: "/app.js", status: 200},
		{name: "page script head", method: "HEAD", path: "/app.js", status: 200},
		{name: "page style", method: "GET", path: "/app.css", status: 200},
		{name: "page style head", method: "HEAD", path: "/app.css", status: 200},
	}
	cases = append(cases, batchContractCases(t, s, auth)...)
	cases = append(cases, monitorContractCases(t, s, auth)...)

	exercised := map[string]bool{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			op := checkContract(t, router, s, tc)
			exercised[op] = true
		})
	}

	// Every route the server has is in the spec, every operation in the
	// spec has a route, and every operation was exercised above.
	serverOps := map[string]bool{}
	for _, r := range s.engine.Routes() {
		serverOps[r.Method+" "+ginToOpenAPIPath(r.Path)] = true
	}
	specOps := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			specOps[method+" "+path] = true
		}
	}
	for op := range serverOps {
		if !specOps[op] {
			t.Errorf("route %s is served but not in openapi.yaml", op)
		}
	}
	for op := range specOps {
		if !serverOps[op] {
			t.Errorf("openapi.yaml describes %s but the server has no such route", op)
		}
		if !exercised[op] {
			t.Errorf("the contract test sends no request to %s", op)
		}
	}
}

// checkContract sends one case, validating the request and the response
// against the spec, and returns the operation ("METHOD /path") it hit.
func checkContract(t *testing.T, router routers.Router, s *Server, tc contractCase) string {
	t.Helper()
	newReq := func() *http.Request {
		req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
		if tc.contentType != "" {
			req.Header.Set("Content-Type", tc.contentType)
		}
		for i := 0; i+1 < len(tc.headers); i += 2 {
			req.Header.Set(tc.headers[i], tc.headers[i+1])
		}
		return req
	}
	specReq := newReq()
	route, params, err := router.FindRoute(specReq)
	if err != nil {
		t.Fatalf("%s %s is not in openapi.yaml: %v", tc.method, tc.path, err)
	}
	op := tc.method + " " + route.Path
	in := &openapi3filter.RequestValidationInput{
		Request: specReq, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true},
	}
	reqErr := openapi3filter.ValidateRequest(context.Background(), in)
	switch {
	case tc.invalid && reqErr == nil:
		t.Errorf("the spec accepts a request the test calls invalid: %s", tc.body)
	case !tc.invalid && reqErr != nil && tc.status < 300:
		t.Errorf("the spec rejects a valid request: %v", reqErr)
	}

	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, newReq())
	if w.Code != tc.status {
		t.Fatalf("status = %d, want %d: %s", w.Code, tc.status, truncate(w.Body.String()))
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 w.Code,
		Header:                 w.Header(),
		Body:                   io.NopCloser(bytes.NewReader(w.Body.Bytes())),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("response does not match openapi.yaml: %v\nbody: %s", err, truncate(w.Body.String()))
	}
	if w.Code >= 400 && w.Header().Get("Content-Type") != ProblemContentType {
		t.Errorf("error answered as %q, want %s", w.Header().Get("Content-Type"), ProblemContentType)
	}
	return op
}

// ginToOpenAPIPath turns "/v1/batches/:id" into "/v1/batches/{id}".
func ginToOpenAPIPath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if strings.HasPrefix(s, ":") || strings.HasPrefix(s, "*") {
			parts[i] = "{" + s[1:] + "}"
		}
	}
	return strings.Join(parts, "/")
}

func truncate(s string) string {
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}

// TestContractCatchesRenamedField shows the contract test has teeth: a
// response whose field was renamed fails validation.
func TestContractCatchesRenamedField(t *testing.T) {
	doc := loadSpec(t)
	router, _ := legacy.NewRouter(doc)
	req := httptest.NewRequest("POST", "/v1/screen", strings.NewReader(`{"name":"Kaspersky Lab"}`))
	req.Header.Set("Content-Type", "application/json")
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, Options{})
	w := do(t, s.Handler(), "POST", "/v1/screen", "application/json", `{"name":"Kaspersky Lab"}`)
	validate := func(body []byte) error {
		return openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
			Status:                 200, Header: w.Header(), Body: io.NopCloser(bytes.NewReader(body)),
		})
	}
	if err := validate(w.Body.Bytes()); err != nil {
		t.Fatalf("the real response fails: %v", err)
	}
	for _, rename := range [][2]string{{`"matched_name"`, `"matchedName"`}, {`"list_version"`, `"listVersion"`}, {`"license_policy"`, `"policy"`}} {
		renamed := bytes.ReplaceAll(w.Body.Bytes(), []byte(rename[0]), []byte(rename[1]))
		if err := validate(renamed); err == nil {
			t.Errorf("renaming %s to %s passes the contract", rename[0], rename[1])
		}
	}
}
