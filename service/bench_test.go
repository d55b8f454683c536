package service

import (
	"bufio"
	"encoding/json"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/cslscreen/screener/internal/fixtures"
	"github.com/cslscreen/screener/lists"
	"github.com/cslscreen/screener/screening"
)

// tuningBodies returns the tuning set's names as screening request bodies.
func tuningBodies(b testing.TB) []string {
	f, err := os.Open(fixtures.TuningSet(b))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var c struct {
			Query struct {
				Name string `json:"name"`
			} `json:"query"`
		}
		if json.Unmarshal(sc.Bytes(), &c) == nil {
			body, _ := json.Marshal(map[string]string{"name": c.Query.Name})
			out = append(out, string(body))
		}
	}
	return out
}

func fullCatalog(b *testing.B) *screening.Catalog {
	f, err := os.Open(fixtures.FullCSL(b))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	p, err := lists.Parse(f, lists.ParseOptions{})
	if err != nil {
		b.Fatal(err)
	}
	c := &screening.Catalog{}
	c.Load(lists.NewList(lists.Version{Source: "file"}, p.Entries))
	return c
}

// BenchmarkScreenHandler is POST /v1/screen through Gin and every
// middleware, without the network: the tuning set's names in turn against
// the full list. Compare BenchmarkHealthzHandler for the HTTP stack alone.
func BenchmarkScreenHandler(b *testing.B) {
	bodies := tuningBodies(b)
	s := New(Options{Catalog: fullCatalog(b), Logger: quietLog})
	h := s.Handler()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		req := httptest.NewRequest("POST", "/v1/screen", strings.NewReader(bodies[i%len(bodies)]))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		i++
	}
}

func BenchmarkHealthzHandler(b *testing.B) {
	s := New(Options{Catalog: fullCatalog(b), Logger: quietLog})
	h := s.Handler()
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("GET", "/healthz", nil)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
	}
}
