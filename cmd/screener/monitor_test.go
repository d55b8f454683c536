package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cslscreen/screener/internal/fixtures"
	"github.com/cslscreen/screener/internal/pgtest"
	"github.com/cslscreen/screener/lists"
	"github.com/cslscreen/screener/monitor"
	"github.com/cslscreen/screener/service"
)

// writeList writes entries as a CSL JSON file at path with a new
// modification time, so the refresher reads it.
func writeList(t *testing.T, path string, entries []lists.Entry, gen int) {
	t.Helper()
	b, err := json.Marshal(map[string]any{"results": entries})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(time.Duration(gen) * time.Minute)
	os.Chtimes(path, at, at)
}

type apiClient struct {
	t    *testing.T
	base string
	key  string
}

func (c apiClient) call(method, path string, body any, want int, out any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		c.t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
}

func keyHash(k string) string { s := sha256.Sum256([]byte(k)); return hex.EncodeToString(s[:]) }

// TestMonitoringDoneWhen is the "done when" through the real
// wiring: the refresh interval loads version A (the CSL fixture without the
// Kaspersky rows), counterparties are registered over HTTP, the file
// becomes B (A and the three Kaspersky entries of 89 FR 52362): exactly the
// alerts a screening finds among the added entries appear, each POSTed to
// the webhook once with a valid signature; a false positive is suppressed
// in the next screening; C (= A) closes the alerts.
func TestMonitoringDoneWhen(t *testing.T) {
	f, err := os.Open(fixtures.Path(t, "data/csl_full_fixture.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := lists.Parse(f, lists.ParseOptions{})
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	var a []lists.Entry
	for _, e := range p.Entries {
		if !strings.Contains(strings.ToLower(e.Name), "kaspersky") {
			a = append(a, e)
		}
	}
	b := slices.Concat(a, lists.Embedded().Entries)
	kaspersky := map[string]bool{}
	for _, e := range lists.Embedded().Entries {
		kaspersky[e.ID] = true
	}

	secret := "a-webhook-secret-of-some-length"
	var mu sync.Mutex
	got := map[string]int{}
	bad := 0
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if err := monitor.Verify([]byte(secret), r.Header.Get(monitor.SignatureHeader), body, time.Now(), time.Minute); err != nil {
			bad++
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var al monitor.Alert
		json.Unmarshal(body, &al)
		got[al.ID]++
	}))
	defer recv.Close()

	path := filepath.Join(t.TempDir(), "list.json")
	writeList(t, path, a, 0)
	m := startMain(t, map[string]string{
		"LIST_FILE": path, "REFRESH_INTERVAL": "100ms", "MONITOR_CHECK_INTERVAL": "100ms",
		"API_KEYS":     "app:" + keyHash("k-app") + ",analyst:" + keyHash("k-analyst") + ":decide",
		"WEBHOOK_URLS": "app=" + recv.URL, "WEBHOOK_SECRET": secret,
	})
	app := apiClient{t, "http://" + m.Addr(), "k-app"}
	analyst := apiClient{t, "http://" + m.Addr(), "k-analyst"}
	var info service.ListsInfo
	app.call("GET", "/v1/lists", nil, 200, &info)
	versionA := info.Current.ID

	cps := []service.CounterpartyInput{
		{Reference: "c-kas", Name: "Kaspersky Lab JSC", Country: "RU"},
		{Reference: "c-kas2", Name: "Kaspersky Labs Ltd"},
		{Reference: "c-clean", Name: "Acme Widgets Ltd", Country: "US"},
		{Reference: "c-huawei", Name: "Chengdu Huawei Technologies Co., Ltd."},
	}
	var reg service.RegisterResponse
	app.call("POST", "/v1/monitors", service.RegisterRequest{Counterparties: cps}, 200, &reg)
	initial := 0
	for _, r := range reg.Counterparties {
		initial += len(r.Alerts)
		if (len(r.Alerts) > 0) != (r.Counterparty.Reference == "c-huawei") {
			t.Errorf("registering %s raised %+v", r.Counterparty.Reference, r.Alerts)
		}
	}

	// Version B: the refresher reads it, the monitoring runs its diff.
	writeList(t, path, b, 1)
	var versionB string
	waitFor(t, "version B to be served", func() bool {
		app.call("GET", "/v1/lists", nil, 200, &info)
		versionB = info.Current.ID
		return versionB != versionA
	})
	// What a screening of each counterparty finds among the added entries
	// is exactly what the run must raise.
	want := map[string]bool{}
	for _, c := range cps {
		var sr service.ScreenResponse
		app.call("POST", "/v1/screen", map[string]any{"name": c.Name, "country": c.Country, "limit": 100}, 200, &sr)
		for _, mt := range sr.Matches {
			if kaspersky[mt.ID] {
				want[c.Reference+" "+mt.ID] = true
			}
		}
	}
	if !want["c-kas "+idAOKaspersky] {
		t.Fatalf("the screenings miss Kaspersky Lab JSC ~ AO Kaspersky Lab: %v", want)
	}
	var page service.AlertsPage
	raised := map[string]monitor.Alert{}
	waitFor(t, "the alerts of version B", func() bool {
		app.call("GET", "/v1/alerts?limit=1000", nil, 200, &page)
		clear(raised)
		for _, al := range page.Alerts {
			if al.ListVersion == versionB {
				raised[al.Reference+" "+al.EntryID] = al
			}
		}
		return len(raised) >= len(want)
	})
	for k, al := range raised {
		if !want[k] || al.Cause != monitor.CauseAdded || al.Status != monitor.AlertOpen {
			t.Errorf("unexpected alert %s: %+v", k, al)
		}
	}
	if len(raised) != len(want) || len(page.Alerts) != initial+len(want) {
		t.Fatalf("%d alerts (%d from B), want %d from B: %v", len(page.Alerts), len(raised), len(want), want)
	}

	// Every alert reaches the webhook once, signed; the alert says so.
	waitFor(t, "the webhook deliveries", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) == len(page.Alerts)
	})
	mu.Lock()
	for id, n := range got {
		if n != 1 {
			t.Errorf("alert %s delivered %d times", id, n)
		}
	}
	if bad != 0 {
		t.Errorf("%d deliveries failed the signature check", bad)
	}
	mu.Unlock()
	fp := raised["c-kas2 "+idUKKaspersky]
	if fp.ID == "" {
		t.Fatalf("no alert of c-kas2 on Kaspersky Labs Limited: %v", raised)
	}
	waitFor(t, "the delivery state", func() bool {
		var al monitor.Alert
		app.call("GET", "/v1/alerts/"+fp.ID, nil, 200, &al)
		return al.Delivery != nil && al.Delivery.State == monitor.DeliveryDelivered
	})

	// A false positive, then the next screening of the name.
	app.call("POST", "/v1/alerts/"+fp.ID+"/decision", map[string]string{"outcome": "false_positive", "reason": "x"}, 403, nil)
	var dec service.DecisionResponse
	analyst.call("POST", "/v1/alerts/"+fp.ID+"/decision", map[string]string{"outcome": "false_positive", "reason": "our customer is Kaspersky Labs Ltd of Leeds, not the listed one"}, 200, &dec)
	var sr service.ScreenResponse
	app.call("POST", "/v1/screen", map[string]any{"name": "Kaspersky Labs Ltd"}, 200, &sr)
	if len(sr.Suppressed) != 1 || sr.Suppressed[0].ID != idUKKaspersky || sr.Suppressed[0].SuppressedBy != dec.Decision.ID {
		t.Errorf("suppressed %+v, want %s by %s", sr.Suppressed, idUKKaspersky, dec.Decision.ID)
	}

	// Version C = A: the Kaspersky entries are removed, their alerts close.
	writeList(t, path, a, 2)
	waitFor(t, "the alerts of removed entries to close", func() bool {
		app.call("GET", "/v1/alerts?status=open&limit=1000", nil, 200, &page)
		for _, al := range page.Alerts {
			if kaspersky[al.EntryID] {
				return false
			}
		}
		return true
	})
	for _, al := range raised {
		var now monitor.Alert
		app.call("GET", "/v1/alerts/"+al.ID, nil, 200, &now)
		if al.ID != fp.ID && now.ClosedReason != monitor.ClosedEntryRemoved {
			t.Errorf("alert %s closed for %q", al.ID, now.ClosedReason)
		}
	}
	if len(page.Alerts) != initial {
		t.Errorf("%d open alerts, want the %d of registration", len(page.Alerts), initial)
	}
}

// waitFor polls cond until it holds, failing after 60 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// With DATABASE_URL the monitoring lives in PostgreSQL: what one replica
// registers, another serves.
func TestMonitorsInPostgres(t *testing.T) {
	pg := pgtest.Start(t)
	env := map[string]string{"DATABASE_URL": pg.CreateDatabase(t), "LIST_FILE": writeEntriesList(t)}
	a, b := startMain(t, env), startMain(t, env)
	ca, cb := apiClient{t, "http://" + a.Addr(), ""}, apiClient{t, "http://" + b.Addr(), ""}
	var reg service.RegisterResponse
	ca.call("POST", "/v1/monitors", service.RegisterRequest{Counterparties: []service.CounterpartyInput{{Reference: "c-1", Name: "Kaspersky Lab"}}}, 200, &reg)
	if len(reg.Counterparties) != 1 || len(reg.Counterparties[0].Alerts) == 0 {
		t.Fatalf("registered %+v", reg)
	}
	var one service.MonitorResponse
	cb.call("GET", "/v1/monitors/c-1", nil, 200, &one)
	if one.Counterparty.Name != "Kaspersky Lab" || len(one.Alerts) != len(reg.Counterparties[0].Alerts) {
		t.Errorf("the other replica: %+v", one)
	}
}
