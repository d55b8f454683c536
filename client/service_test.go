package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cslscreen/screener/batch"
	"github.com/cslscreen/screener/client"
	"github.com/cslscreen/screener/lists"
	"github.com/cslscreen/screener/monitor"
	"github.com/cslscreen/screener/screening"
	"github.com/cslscreen/screener/service"
)

// refuseFirst is a rate limiter that refuses the first n requests.
type refuseFirst struct {
	n     int32
	calls atomic.Int32
}

func (r *refuseFirst) Allow(context.Context, string) (bool, time.Duration, error) {
	return r.calls.Add(1) > r.n, time.Millisecond, nil
}

// TestAgainstTheService runs the client against the real handler: its
// types read the service's answers with no field left over, and the
// service's own 429 (Retry-After: 1) is waited out.
func TestAgainstTheService(t *testing.T) {
	cat := &screening.Catalog{}
	cat.Load(lists.Embedded())
	limiter := &refuseFirst{n: 1}
	srv := service.New(service.Options{Catalog: cat, Limiter: limiter, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	var raw bytes.Buffer
	hc := &http.Client{Transport: recordBodies{http.DefaultTransport, &raw}}
	c, err := client.New(hs.URL, client.WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Screen(context.Background(), client.ScreenRequest{Name: "Kaspersky Lab", Country: "RU"})
	if err != nil {
		t.Fatal(err)
	}
	if limiter.calls.Load() != 2 || r.Outcome() != client.StatusMatch || len(r.Matches) == 0 || r.Matches[0].Explanation.Summary == "" {
		t.Fatalf("%d calls, answer %+v", limiter.calls.Load(), r)
	}
	dec := json.NewDecoder(bytes.NewReader(raw.Bytes()))
	dec.DisallowUnknownFields()
	var strict client.ScreenResponse
	if err := dec.Decode(&strict); err != nil {
		t.Errorf("the client's ScreenResponse does not mirror the service's: %v", err)
	}

	_, err = c.Screen(context.Background(), client.ScreenRequest{Name: "Acme", Country: "XX"})
	var p *client.Problem
	if !errors.As(err, &p) || p.Status != 400 || len(p.Errors) != 1 || p.Errors[0].Field != "country" || p.RequestID == "" {
		t.Fatalf("a bad country: %#v", err)
	}
}

// recordBodies keeps the last 2xx answer's body.
type recordBodies struct {
	rt  http.RoundTripper
	buf *bytes.Buffer
}

func (r recordBodies) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.rt.RoundTrip(req)
	if err != nil || resp.StatusCode/100 != 2 {
		return resp, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	r.buf.Reset()
	r.buf.Write(b)
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, err
}

// TestDecideAgainstTheService decides a match a false positive through the
// client and reads the next answer's suppressed match and its decision,
// with the client's types mirroring the service's.
func TestDecideAgainstTheService(t *testing.T) {
	cat := &screening.Catalog{}
	cat.Load(lists.Embedded())
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	eng := monitor.New(monitor.Options{Store: monitor.NewMemoryStore(), Catalog: cat, Logger: quiet})
	srv := service.New(service.Options{Catalog: cat, Monitor: eng, Logger: quiet})
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	var raw bytes.Buffer
	c, err := client.New(hs.URL, client.WithHTTPClient(&http.Client{Transport: recordBodies{http.DefaultTransport, &raw}}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	first, err := c.Screen(ctx, client.ScreenRequest{Name: "Kaspersky Lab"})
	if err != nil || len(first.Matches) == 0 {
		t.Fatalf("%+v %v", first, err)
	}
	m := first.Matches[0]
	d, err := c.Decide(ctx, client.MatchDecision{Name: first.Query.Name, EntryID: m.ID, Source: m.Source, Outcome: client.FalsePositive,
		Reason: "a namesake", ScreeningID: first.ID})
	if err != nil || d.ID == "" || d.EntryHash == "" || d.ScreeningID != first.ID {
		t.Fatalf("decide: %+v %v", d, err)
	}
	strict := func(v any) {
		t.Helper()
		dec := json.NewDecoder(bytes.NewReader(raw.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			t.Errorf("the client's %T does not mirror the service's: %v", v, err)
		}
	}
	strict(&client.Decision{})
	again, err := c.Screen(ctx, client.ScreenRequest{Name: "Kaspersky Lab"})
	if err != nil || len(again.Suppressed) != 1 || again.Suppressed[0].ID != m.ID || again.Suppressed[0].SuppressedBy != d.ID {
		t.Fatalf("the next screening: %+v %v", again, err)
	}
	strict(&client.ScreenResponse{})
	got, err := c.Decision(ctx, d.ID)
	if err != nil || got.ID != d.ID || got.Outcome != client.FalsePositive {
		t.Errorf("read the decision: %+v %v", got, err)
	}
	_, err = c.Decide(ctx, client.MatchDecision{Name: "x", EntryID: "nope", Outcome: client.TrueMatch, Reason: "x"})
	var p *client.Problem
	if !errors.As(err, &p) || p.Status != 404 {
		t.Errorf("an unknown entry: %v", err)
	}
}

// TestSuppressedRowsAgainstTheService reads a batch row with a suppressed
// match through the client: ResultRow mirrors the service's JSON lines.
func TestSuppressedRowsAgainstTheService(t *testing.T) {
	cat := &screening.Catalog{}
	cat.Load(lists.NewList(lists.Version{Source: "file", Origin: "test"}, lists.Embedded().Entries))
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	eng := monitor.New(monitor.Options{Store: monitor.NewMemoryStore(), Catalog: cat, Logger: quiet})
	st, err := batch.NewFileStore(t.TempDir(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	bm := batch.New(batch.Options{Store: st, Catalog: cat, Logger: quiet, Suppressor: eng.Suppressor})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { bm.Run(ctx); close(done) }()
	defer func() { cancel(); <-done; bm.Close() }()
	srv := service.New(service.Options{Catalog: cat, Monitor: eng, Logger: quiet, Batches: service.NewBatches(bm, 1<<20, quiet)})
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	c, err := client.New(hs.URL)
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.Decide(ctx, client.MatchDecision{Name: "Kaspersky Lab", Reference: "R1", EntryID: "88a5a8ac99fb224dc40025c5c2abb25919f56d25bd1f0c766af312b1",
		Source: "EL", Outcome: client.FalsePositive, Reason: "a namesake"})
	if err != nil {
		t.Fatal(err)
	}
	j, err := c.SubmitBatch(ctx, strings.NewReader("reference,name\nR1,AO Kaspersky Lab\n"), client.BatchOptions{Format: "csv"})
	if err != nil {
		t.Fatal(err)
	}
	if j, err = c.Wait(ctx, j.ID, 10*time.Millisecond, nil); err != nil || j.Status != client.JobDone {
		t.Fatalf("wait: %+v %v", j, err)
	}
	var out bytes.Buffer
	if _, err := c.Results(ctx, j.ID, &out, "jsonl"); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(out.Bytes()))
	dec.DisallowUnknownFields()
	var row client.ResultRow
	if err := dec.Decode(&row); err != nil {
		t.Fatalf("the client's ResultRow does not mirror the service's: %v\n%s", err, out.String())
	}
	if len(row.Suppressed) != 1 || row.Suppressed[0].SuppressedBy != d.ID || row.Suppressed[0].List != "EL" || row.MatchCount != len(row.Matches) {
		t.Errorf("row %+v", row)
	}
}
