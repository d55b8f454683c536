package client_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/cslscreen/screener/client"
	"github.com/cslscreen/screener/lists"
	"github.com/cslscreen/screener/monitor"
	"github.com/cslscreen/screener/screening"
	"github.com/cslscreen/screener/service"
)

// TestPathsAreEscapedOnce: a reference or an id with characters a path
// escapes reaches the server escaped once, under the base URL's prefix.
func TestPathsAreEscapedOnce(t *testing.T) {
	var mu sync.Mutex
	var uris []string
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		uris = append(uris, r.Method+" "+r.RequestURI)
		mu.Unlock()
		if r.Method == http.MethodDelete {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, "{}")
	}))
	defer hs.Close()
	c, err := client.New(hs.URL + "/api/")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ref := "c 1/ü%?#"
	if _, err := c.Monitor(ctx, ref); err != nil {
		t.Fatal(err)
	}
	if err := c.Unmonitor(ctx, ref); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Alert(ctx, "al 1"); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"GET /api/v1/monitors/c%201%2F%C3%BC%25%3F%23",
		"DELETE /api/v1/monitors/c%201%2F%C3%BC%25%3F%23",
		"GET /api/v1/alerts/al%201",
	}
	if !slices.Equal(uris, want) {
		t.Errorf("requested\n%q\nwant\n%q", uris, want)
	}
}

// monitoringService starts the real service with monitoring in memory and
// returns a client of it and the last 2xx body it read.
func monitoringService(t *testing.T) (*client.Client, *bytes.Buffer) {
	t.Helper()
	cat := &screening.Catalog{}
	cat.Load(lists.Embedded())
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	eng := monitor.New(monitor.Options{Store: monitor.NewMemoryStore(), Catalog: cat, Logger: quiet})
	srv := service.New(service.Options{Catalog: cat, Monitor: eng, Logger: quiet})
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	raw := &bytes.Buffer{}
	c, err := client.New(hs.URL, client.WithHTTPClient(&http.Client{Transport: recordBodies{http.DefaultTransport, raw}}))
	if err != nil {
		t.Fatal(err)
	}
	return c, raw
}

// mirrors fails t when the last answer has a field v does not.
func mirrors(t *testing.T, raw *bytes.Buffer, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Errorf("the client's %T does not mirror the service's: %v", v, err)
	}
}

func gzipped(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	io.WriteString(zw, s)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestMonitorsAgainstTheService registers counterparties one by one and
// from files, reads them a page at a time and one by one, and removes
// one, with the client's types mirroring the service's answers.
func TestMonitorsAgainstTheService(t *testing.T) {
	c, raw := monitoringService(t)
	ctx := context.Background()

	regs, err := c.Register(ctx, []client.CounterpartyInput{
		{Reference: "c-uk", Name: "Kaspersky Labs Limited", Country: "GB", Type: "Entity"},
		{Reference: "c 2", Name: "Blue Harbour Bakery"},
	})
	if err != nil {
		t.Fatal(err)
	}
	mirrors(t, raw, &struct {
		Counterparties []client.Registered `json:"counterparties"`
	}{})
	if len(regs) != 2 {
		t.Fatalf("registered %+v", regs)
	}
	uk := regs[0]
	if !uk.Created || uk.Counterparty.Reference != "c-uk" || uk.Counterparty.Country != "GB" || uk.Counterparty.CreatedAt.IsZero() || len(uk.Alerts) == 0 {
		t.Errorf("a listed name: %+v", uk)
	}
	for _, a := range uk.Alerts {
		if a.Reference != "c-uk" || a.Status != client.AlertOpen || a.CounterpartyName != "Kaspersky Labs Limited" || !strings.Contains(strings.ToLower(a.Name), "kaspersky") {
			t.Errorf("an alert of the listed name: %+v", a)
		}
	}
	if !regs[1].Created || len(regs[1].Alerts) != 0 {
		t.Errorf("a name not listed: %+v", regs[1])
	}
	again, err := c.Register(ctx, []client.CounterpartyInput{{Reference: "c-uk", Name: "Kaspersky Labs Limited", Country: "GB", Type: "Entity"}})
	if err != nil || len(again) != 1 || again[0].Created || len(again[0].Alerts) != 0 {
		t.Errorf("registered again: %+v %v", again, err)
	}

	files := []struct {
		name, body string
		refs       []string
	}{
		{"cps.csv", "id,reference,name,country\n1,f-csv-1,AO Kaspersky Lab,RU\n2,f-csv-2,\"Acme, Inc.\",US\n", []string{"f-csv-1", "f-csv-2"}},
		{"cps.jsonl", `{"reference":"f-jl-1","name":"AO Kaspersky Lab","type":"Entity"}` + "\n\n" + `{"reference":"f-jl-2","name":"Acme"}` + "\n", []string{"f-jl-1", "f-jl-2"}},
		{"cps.csv.gz", gzipped(t, "reference,name\nf-gz-1,AO Kaspersky Lab\n"), []string{"f-gz-1"}},
		{"", "reference,name\nf-sniffed-1,AO Kaspersky Lab\n", []string{"f-sniffed-1"}},
		{"", `{"reference":"f-sniffed-2","name":"AO Kaspersky Lab"}` + "\n", []string{"f-sniffed-2"}},
	}
	all := []string{"c 2", "c-uk"}
	for _, f := range files {
		regs, err := c.RegisterFile(ctx, strings.NewReader(f.body), f.name)
		if err != nil {
			t.Errorf("%q: %v", f.name, err)
			continue
		}
		var refs []string
		for _, r := range regs {
			refs = append(refs, r.Counterparty.Reference)
			if !r.Created {
				t.Errorf("%q: %s not created", f.name, r.Counterparty.Reference)
			}
		}
		if !slices.Equal(refs, f.refs) {
			t.Errorf("%q registered %q, want %q", f.name, refs, f.refs)
		}
		if len(regs) > 0 && (regs[0].Counterparty.Name != "AO Kaspersky Lab" || len(regs[0].Alerts) == 0) {
			t.Errorf("%q: the listed name raised no alert: %+v", f.name, regs[0])
		}
		all = append(all, f.refs...)
	}
	slices.Sort(all)

	// Refusals name the field, or the line of a file.
	bad := []struct {
		what  string
		call  func() error
		field string
		line  int
	}{
		{"no name", func() error {
			_, err := c.Register(ctx, []client.CounterpartyInput{{Reference: "ok", Name: "Acme"}, {Reference: "x"}})
			return err
		}, "counterparties[1].name", 0},
		{"a bad country", func() error {
			_, err := c.Register(ctx, []client.CounterpartyInput{{Reference: "x", Name: "Acme", Country: "Narnia"}})
			return err
		}, "counterparties[0].country", 0},
		{"a CSV without a name column", func() error {
			_, err := c.RegisterFile(ctx, strings.NewReader("reference,nom\nx,Acme\n"), "cps.csv")
			return err
		}, "name", 1},
		{"a CSV row without a name", func() error {
			_, err := c.RegisterFile(ctx, strings.NewReader("reference,name\nx,Acme\ny,\n"), "cps.csv")
			return err
		}, "counterparties[1].name", 0},
		{"a JSON line that is not JSON", func() error {
			_, err := c.RegisterFile(ctx, strings.NewReader(`{"reference":"x","name":"Acme"}`+"\n{nope\n"), "cps.jsonl")
			return err
		}, "", 2},
	}
	for _, b := range bad {
		err := b.call()
		var p *client.Problem
		if !errors.As(err, &p) || p.Status != 400 || len(p.Errors) != 1 || p.Errors[0].Field != b.field || p.Errors[0].Line != b.line {
			t.Errorf("%s: %#v, want a 400 naming field %q line %d", b.what, err, b.field, b.line)
		}
	}

	// A page at a time, by reference; every page at once.
	var paged []string
	pages := 0
	for f := (client.MonitorsFilter{Limit: 3}); ; pages++ {
		p, err := c.Monitors(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		mirrors(t, raw, &client.MonitorsPage{})
		if len(p.Counterparties) > 3 {
			t.Fatalf("a page of %d with limit 3", len(p.Counterparties))
		}
		for _, cp := range p.Counterparties {
			paged = append(paged, cp.Reference)
		}
		if p.Next == "" {
			break
		}
		f.Cursor = p.Next
	}
	if !slices.Equal(paged, all) || pages < 2 {
		t.Errorf("paged %q in %d pages, want %q", paged, pages+1, all)
	}
	var every []string
	for cp, err := range c.AllMonitors(ctx, client.MonitorsFilter{Limit: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		every = append(every, cp.Reference)
	}
	if !slices.Equal(every, all) {
		t.Errorf("AllMonitors read %q, want %q", every, all)
	}
	_, err = c.Monitors(ctx, client.MonitorsFilter{Limit: 5000})
	var p *client.Problem
	if !errors.As(err, &p) || p.Status != 400 || len(p.Errors) != 1 || p.Errors[0].Field != "limit" {
		t.Errorf("a bad limit: %v", err)
	}

	m, err := c.Monitor(ctx, "c-uk")
	if err != nil {
		t.Fatal(err)
	}
	mirrors(t, raw, &client.Monitored{})
	if m.Counterparty.Name != "Kaspersky Labs Limited" || len(m.Alerts) != len(uk.Alerts) {
		t.Errorf("show c-uk: %+v", m)
	}
	if m, err := c.Monitor(ctx, "c 2"); err != nil || m.Counterparty.Name != "Blue Harbour Bakery" || len(m.Alerts) != 0 {
		t.Errorf("show a reference with a space: %+v %v", m, err)
	}
	// a reference holding "/" is one path segment, escaped
	if _, err := c.Register(ctx, []client.CounterpartyInput{{Reference: "ACME/7", Name: "Blue Harbour Bakery"}}); err != nil {
		t.Fatal(err)
	}
	if m, err := c.Monitor(ctx, "ACME/7"); err != nil || m.Counterparty.Reference != "ACME/7" {
		t.Errorf("show a reference with a slash: %+v %v", m, err)
	}
	if err := c.Unmonitor(ctx, "ACME/7"); err != nil {
		t.Errorf("remove a reference with a slash: %v", err)
	}

	if err := c.Unmonitor(ctx, "c-uk"); err != nil {
		t.Fatal(err)
	}
	for _, what := range []string{"show", "remove"} {
		var err error
		if what == "show" {
			_, err = c.Monitor(ctx, "c-uk")
		} else {
			err = c.Unmonitor(ctx, "c-uk")
		}
		if !errors.As(err, &p) || p.Status != 404 {
			t.Errorf("%s after remove: %v", what, err)
		}
	}
	for a, err := range c.AllAlerts(ctx, client.AlertsFilter{Reference: "c-uk"}) {
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != client.AlertClosed || a.ClosedReason != "monitor_deleted" {
			t.Errorf("an alert of the removed counterparty: %+v", a)
		}
	}
}

// TestRegisterFileTooLarge: a file past MaxRegisterFile is refused before
// anything is sent.
func TestRegisterFileTooLarge(t *testing.T) {
	sent := false
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sent = true }))
	defer hs.Close()
	c, err := client.New(hs.URL)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.RegisterFile(context.Background(), io.LimitReader(zeros{}, client.MaxRegisterFile+1), "big.csv")
	if err == nil || !strings.Contains(err.Error(), "larger than") || sent {
		t.Errorf("%v, sent %v", err, sent)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
