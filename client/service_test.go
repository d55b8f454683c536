package client_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
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

// TestAlertsAndDecisionsAgainstTheService lists alerts, decides one, and
// pages through decisions with the client against the real handler, with
// API keys and scopes: every answer mirrors the client's types with no
// field left over, and refusals come back as problems naming the field.
func TestAlertsAndDecisionsAgainstTheService(t *testing.T) {
	cat := &screening.Catalog{}
	cat.Load(lists.Embedded())
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	eng := monitor.New(monitor.Options{Store: monitor.NewMemoryStore(), Catalog: cat, Logger: quiet})
	keys, err := service.ParseKeys(strings.NewReader("app:"+sha("k-app")+"\nanalyst:"+sha("k-analyst")+":decide\n"), "test")
	if err != nil {
		t.Fatal(err)
	}
	srv := service.New(service.Options{Catalog: cat, Monitor: eng, Logger: quiet, Keys: keys})
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	ctx := context.Background()

	// The application's key registers counterparties: their alerts.
	req, _ := http.NewRequest(http.MethodPost, hs.URL+"/v1/monitors", strings.NewReader(
		`{"counterparties":[{"reference":"c-1","name":"Kaspersky Lab"},{"reference":"c-2","name":"Kaspersky Labs Ltd"}]}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", "k-app")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("register: %d", resp.StatusCode)
	}

	var raw bytes.Buffer
	hc := &http.Client{Transport: recordBodies{http.DefaultTransport, &raw}}
	app, _ := client.New(hs.URL, client.WithHTTPClient(hc), client.WithAPIKey("k-app"))
	analyst, _ := client.New(hs.URL, client.WithHTTPClient(hc), client.WithAPIKey("k-analyst"))
	strict := func(v any) {
		t.Helper()
		dec := json.NewDecoder(bytes.NewReader(raw.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			t.Errorf("the client's %T does not mirror the service's: %v\n%s", v, err, raw.String())
		}
	}

	page, err := app.Alerts(ctx, client.AlertsFilter{Status: client.AlertOpen, Limit: 1})
	if err != nil || len(page.Alerts) != 1 || page.Next == "" {
		t.Fatalf("a page of one alert: %+v %v", page, err)
	}
	strict(&client.AlertsPage{})
	var alerts []client.Alert
	for a, err := range app.AllAlerts(ctx, client.AlertsFilter{Limit: 1}) {
		if err != nil {
			t.Fatal(err)
		}
		alerts = append(alerts, *a)
	}
	if len(alerts) < 2 || alerts[0].ID != page.Alerts[0].ID {
		t.Fatalf("every alert, a page at a time: %+v", alerts)
	}
	seen := map[string]bool{}
	for _, a := range alerts {
		if seen[a.ID] || a.Status != client.AlertOpen || a.KeyID != "app" || a.EntryHash == "" {
			t.Errorf("alert %+v (seen before: %v)", a, seen[a.ID])
		}
		seen[a.ID] = true
	}
	one, err := analyst.Alert(ctx, alerts[0].ID)
	if err != nil || one.ID != alerts[0].ID {
		t.Fatalf("one alert: %+v %v", one, err)
	}
	strict(&client.Alert{})

	// Deciding needs the decide scope.
	var p *client.Problem
	if _, err := app.DecideAlert(ctx, alerts[0].ID, client.FalsePositive, "x"); !errors.As(err, &p) || p.Status != http.StatusForbidden {
		t.Errorf("the application's key decided: %v", err)
	}
	ad, err := analyst.DecideAlert(ctx, alerts[0].ID, client.FalsePositive, "a namesake")
	if err != nil || ad.Alert.Status != client.AlertClosed || ad.Decision.AlertID != alerts[0].ID || ad.Decision.DecidedBy != "analyst" {
		t.Fatalf("decide the alert: %+v %v", ad, err)
	}
	strict(&client.AlertDecision{})
	if _, err := analyst.DecideAlert(ctx, alerts[0].ID, client.TrueMatch, "again"); !errors.As(err, &p) || p.Status != http.StatusConflict {
		t.Errorf("a second decision: %v", err)
	}
	if _, err := analyst.DecideAlert(ctx, "al_nope", client.TrueMatch, "x"); !errors.As(err, &p) || p.Status != http.StatusNotFound {
		t.Errorf("an unknown alert: %v", err)
	}
	if _, err := analyst.DecideAlert(ctx, alerts[1].ID, "maybe", "x"); !errors.As(err, &p) || p.Status != 400 || len(p.Errors) != 1 || p.Errors[0].Field != "outcome" {
		t.Errorf("a bad outcome: %#v", err)
	}
	m, err := analyst.Decide(ctx, client.MatchDecision{KeyID: "app", Name: "Kaspersky Lab", EntryID: alerts[1].EntryID, Outcome: client.TrueMatch, Reason: "it is them"})
	if err != nil {
		t.Fatal(err)
	}

	// Both decisions cover the application's screenings: it sees them,
	// newest first; the analyst sees them with key_id, and by outcome.
	for _, tt := range []struct {
		name string
		c    *client.Client
		f    client.DecisionsFilter
		want []string
	}{
		{"the owner's", app, client.DecisionsFilter{}, []string{m.ID, ad.Decision.ID}},
		{"a page at a time", app, client.DecisionsFilter{Limit: 1}, []string{m.ID, ad.Decision.ID}},
		{"every key's", analyst, client.DecisionsFilter{Limit: 1}, []string{m.ID, ad.Decision.ID}},
		{"one key's", analyst, client.DecisionsFilter{KeyID: "app"}, []string{m.ID, ad.Decision.ID}},
		{"false positives", analyst, client.DecisionsFilter{Outcome: client.FalsePositive}, []string{ad.Decision.ID}},
		{"another key's", analyst, client.DecisionsFilter{KeyID: "analyst"}, nil},
	} {
		var got []string
		for d, err := range tt.c.AllDecisions(ctx, tt.f) {
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			got = append(got, d.ID)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	dp, err := app.Decisions(ctx, client.DecisionsFilter{Limit: 1})
	if err != nil || len(dp.Decisions) != 1 || dp.Next == "" {
		t.Fatalf("a page of one decision: %+v %v", dp, err)
	}
	strict(&client.DecisionsPage{})
	for _, tt := range []struct {
		c     *client.Client
		f     client.DecisionsFilter
		field string
	}{
		{app, client.DecisionsFilter{Outcome: "maybe"}, "outcome"},
		{app, client.DecisionsFilter{Limit: 5000}, "limit"},
		{app, client.DecisionsFilter{KeyID: "analyst"}, "key_id"},
	} {
		_, err := tt.c.Decisions(ctx, tt.f)
		if !errors.As(err, &p) || p.Status != 400 || len(p.Errors) != 1 || p.Errors[0].Field != tt.field {
			t.Errorf("%+v: %#v, want a problem naming %s", tt.f, err, tt.field)
		}
	}
}

func sha(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
