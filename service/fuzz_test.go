package service

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cslscreen/screener/internal/fixtures"
	"github.com/cslscreen/screener/lists"
	"github.com/cslscreen/screener/screening"
)

// FuzzScreenHandler sends arbitrary bodies and content types to POST
// /v1/screen through the whole middleware chain. Whatever comes in, the
// answer is a 200 screening or a documented 4xx problem: never a 5xx (the
// recovery middleware would turn a panic into one), never a non-JSON body.
//
//	go test ./service -run '^$' -fuzz FuzzScreenHandler -fuzztime 60s
func FuzzScreenHandler(f *testing.F) {
	for _, seed := range []struct{ ct, body string }{
		{"application/json", `{"name":"Kaspersky Lab"}`},
		{"application/json", `{"name":"Лаборатория Касперского","country":"RU","type":"Entity","limit":3,"min_score":0.5}`},
		{"application/json", `{"name":"OOO Kaspersky Group","country":"gb","limit":100,"min_score":0}`},
		{"application/json", `{"name":""}`},
		{"application/json", `{"name":"x","limit":1e309}`},
		{"application/json", `{"name":"\u0000\uffff\ud800"}`},
		{"application/json", "{\"name\":\"\xff\xfe\"}"},
		{"application/json", `[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]`},
		{"application/json; charset=utf-8", `{"name":"Mohammed al-Ahmad","type":"individual"}`},
		{"text/plain", `hello`},
		{"", ``},
		{"application/problem+json", `{"name":"Kasperskiy Labs Ltd"}`},
		{"application/json", `{"name":"a  b  c  d  e  f  g  h  i  j  k  l  m  n  o  p  q  r  s  t  u  v  w  x  y  z"}`},
		{"application/json", `{"name":"Co Ltd LLC JSC OOO AO GmbH Inc Corp SA PLC"}`},
	} {
		f.Add(seed.ct, seed.body)
	}
	s := New(Options{Catalog: func() *screening.Catalog { c := &screening.Catalog{}; c.Load(fuzzList()); return c }(), Logger: quietLog})
	h := s.Handler()
	f.Fuzz(func(t *testing.T, contentType, body string) {
		req := httptest.NewRequest("POST", "/v1/screen", strings.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		switch w.Code {
		case 200, 400, 413, 415:
		default:
			t.Fatalf("status %d for Content-Type %q body %q: %s", w.Code, contentType, body, w.Body)
		}
		if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("non-JSON answer for %q: %q", body, w.Body)
		}
		if w.Code == 200 {
			var r ScreenResponse
			if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil || r.ListVersion == "" || r.Matches == nil {
				t.Fatalf("bad 200 body for %q: %s", body, w.Body)
			}
			for _, m := range r.Matches {
				if m.Score < r.Query.MinScore || m.Score > 1 {
					t.Fatalf("score %v outside [%v, 1] for %q", m.Score, r.Query.MinScore, body)
				}
			}
		}
	})
}

// fuzzList is the full CSL fixture when ../shared is there (so the fuzzer
// drives the matcher over real names), else the embedded snapshot.
func fuzzList() *lists.List {
	if d := fixtures.SharedDir(); d != "" {
		if f, err := os.Open(filepath.Join(d, "data", "csl_full_fixture.csv.gz")); err == nil {
			defer f.Close()
			if p, err := lists.Parse(f, lists.ParseOptions{}); err == nil {
				return lists.NewList(lists.Version{Source: "file"}, p.Entries)
			}
		}
	}
	return lists.Embedded()
}
