package service

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cslscreen/screener/audit"
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

// encodingLog is an audit backend that only encodes each record as JSON
// (as the PostgreSQL writer does, on the screening's goroutine) and keeps
// nothing: the service's own share of an audited screening, without a
// database.
type encodingLog struct{ audit.Ring }

func (l *encodingLog) Encode(r *audit.Record) (audit.Encoded, error) {
	if err := r.Validate(); err != nil {
		return audit.Encoded{}, err
	}
	return audit.Encoded{ID: r.ID, Time: r.Time, Data: r.AppendJSON(make([]byte, 0, 1024))}, nil
}

func (l *encodingLog) WriteEncoded(context.Context, []audit.Encoded) error { return nil }

func (l *encodingLog) WriteBatch(_ context.Context, rs []audit.Record) error {
	for i := range rs {
		if _, err := l.Encode(&rs[i]); err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkScreenHandlerAudited is BenchmarkScreenHandler with the audit
// trail of a system of record (AUDIT_DURABILITY=ack: the answer waits for
// its record's commit) over a backend that commits at once, from 64
// goroutines, against the same without an audit trail: the CPU an audited
// screening costs the service itself (docs/BENCHMARKS.md, "Throughput with
// the audit trail on and off").
func BenchmarkScreenHandlerAudited(b *testing.B) {
	bodies := tuningBodies(b)
	cat := fullCatalog(b)
	for _, audited := range []bool{false, true} {
		b.Run(fmt.Sprintf("audit=%v", audited), func(b *testing.B) {
			opt := Options{Catalog: cat, Logger: quietLog}
			if audited {
				q := audit.NewQueue(&encodingLog{}, audit.QueueConfig{Mode: audit.QueueAck, Writers: 2, Linger: -1})
				defer q.Close(context.Background())
				opt.Audit = Audit{Log: q, Durable: true, Record: true, Backend: "test"}
			}
			h := New(opt).Handler()
			var next atomic.Int64
			b.ReportAllocs()
			b.SetParallelism(32) // 64 goroutines on two cores, as a loaded replica has requests
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := int(next.Add(1))
					req := httptest.NewRequest("POST", "/v1/screen", strings.NewReader(bodies[i%len(bodies)]))
					req.Header.Set("Content-Type", "application/json")
					w := httptest.NewRecorder()
					h.ServeHTTP(w, req)
					if w.Code != 200 && w.Code != 400 {
						b.Errorf("status %d: %s", w.Code, w.Body)
						return
					}
				}
			})
		})
	}
}
