package service

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cslscreen/screener/lists"
	"github.com/cslscreen/screener/monitor"
	"github.com/cslscreen/screener/screening"
)

// metricValue reads one series ("name" or `name{a="b"}`) from a scrape;
// -1 when it is absent.
func metricValue(t *testing.T, scrape, series string) float64 {
	t.Helper()
	for _, line := range strings.Split(scrape, "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, err := strconv.ParseFloat(rest, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return v
		}
	}
	return -1
}

// The monitoring's metrics move as it works: counterparties registered,
// alerts raised and closed, a diff run, a webhook delivery retried then
// delivered, decisions on alerts and on matches.
func TestMonitoringMetrics(t *testing.T) {
	ctx := context.Background()
	var calls atomic.Int32
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
		}
	}))
	defer receiver.Close()

	emb := lists.Embedded()
	var base []lists.Entry
	for _, e := range emb.Entries {
		if e.ID != idUKKaspersky {
			base = append(base, e)
		}
	}
	a := lists.NewList(lists.Version{Source: "file", Origin: "A", FetchedAt: time.Now().UTC()}, base)
	b := lists.NewList(lists.Version{Source: "file", Origin: "B", FetchedAt: time.Now().UTC()}, emb.Entries)
	store := lists.NewMemoryStore()
	cat := &screening.Catalog{Store: store}
	serve := func(l *lists.List) {
		if err := store.Publish(ctx, l); err != nil {
			t.Fatal(err)
		}
		cat.Load(l)
	}
	serve(a)
	m := NewMetrics(BuildInfo{Version: "test"})
	hooks := &monitor.Webhooks{URLs: map[string]string{"*": receiver.URL}, Secret: []byte("s"), Backoff: time.Millisecond, Logger: quietLog}
	eng := monitor.New(monitor.Options{Store: monitor.NewMemoryStore(), Catalog: cat, Logger: quietLog, Webhooks: hooks, Registerer: m.Registry})
	if _, err := eng.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, Options{Catalog: cat, Store: store, Monitor: eng, Metrics: m, MetricsOnMain: true})
	h := s.Handler()
	scrape := func() string {
		t.Helper()
		w := do(t, h, "GET", "/metrics", "", "")
		if w.Code != 200 {
			t.Fatalf("/metrics: %d", w.Code)
		}
		return w.Body.String()
	}
	expect := func(when string, want map[string]float64) {
		t.Helper()
		body := scrape()
		for series, v := range want {
			if got := metricValue(t, body, series); got != v {
				t.Errorf("%s: %s = %v, want %v", when, series, got, v)
			}
		}
	}
	expect("at start", map[string]float64{
		"screener_monitor_counterparties":                                            0,
		"screener_monitor_open_alerts":                                               0,
		"screener_monitor_webhook_pending":                                           0,
		"screener_monitor_store_up":                                                  1,
		`screener_monitor_runs_total{outcome="done"}`:                                0,
		`screener_monitor_decisions_total{outcome="false_positive",subject="match"}`: 0,
		`screener_monitor_webhook_deliveries_total{outcome="delivered"}`:             0,
	})

	// Two counterparties; one resembles AO Kaspersky Lab (served in A).
	reg := unmarshal[RegisterResponse](t, do(t, h, "POST", "/v1/monitors", "application/json",
		`{"counterparties":[{"reference":"c-1","name":"AO Kaspersky Lab"},{"reference":"c-2","name":"Kaspersky Labs Limited"},{"reference":"c-3","name":"Zzyzx Plumbing"}]}`).Body.Bytes())
	registered := 0
	for _, c := range reg.Counterparties {
		registered += len(c.Alerts)
	}
	if registered == 0 {
		t.Fatalf("registration raised no alerts: %+v", reg)
	}
	expect("after registering", map[string]float64{
		"screener_monitor_counterparties":                                        3,
		"screener_monitor_open_alerts":                                           float64(registered),
		"screener_monitor_webhook_pending":                                       float64(registered),
		`screener_monitor_alerts_raised_total{cause="registered",status="open"}`: float64(registered),
	})

	// B adds Kaspersky Labs Limited: a run with one entry added, alerts.
	serve(b)
	rep, err := eng.CatchUp(ctx)
	if err != nil || rep.Added != 1 || rep.Alerts == 0 {
		t.Fatalf("run: %+v %v", rep, err)
	}
	body := scrape()
	if got := metricValue(t, body, `screener_monitor_runs_total{outcome="done"}`); got != 1 {
		t.Errorf("runs done: %v", got)
	}
	if got := metricValue(t, body, `screener_monitor_diff_entries_total{change="added"}`); got != 1 {
		t.Errorf("entries added: %v", got)
	}
	if got := metricValue(t, body, "screener_monitor_run_duration_seconds_count"); got != 1 {
		t.Errorf("run durations observed: %v", got)
	}
	if got := metricValue(t, body, `screener_monitor_alerts_raised_total{cause="entry_added",status="open"}`); got != float64(rep.Alerts) {
		t.Errorf("alerts raised by the run: %v, want %d", got, rep.Alerts)
	}
	open := registered + rep.Alerts
	if got := metricValue(t, body, "screener_monitor_open_alerts"); got != float64(open) {
		t.Errorf("open alerts: %v, want %d", got, open)
	}

	// Webhooks: the first attempt fails (retry), the rest are delivered.
	deadline := time.Now().Add(10 * time.Second)
	for metricValue(t, scrape(), "screener_monitor_webhook_pending") != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("deliveries still pending: %s", scrape())
		}
		if _, err := hooks.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
	}
	expect("after delivering", map[string]float64{
		`screener_monitor_webhook_deliveries_total{outcome="retry"}`:     1,
		`screener_monitor_webhook_deliveries_total{outcome="delivered"}`: float64(open),
		`screener_monitor_webhook_deliveries_total{outcome="failed"}`:    0,
	})

	// A decision on an alert closes it; one on a match closes none.
	alerts := unmarshal[AlertsPage](t, do(t, h, "GET", "/v1/alerts?status=open", "", "").Body.Bytes())
	do(t, h, "POST", "/v1/alerts/"+alerts.Alerts[0].ID+"/decision", "application/json", `{"outcome":"false_positive","reason":"x"}`)
	if w := do(t, h, "POST", "/v1/decisions", "application/json", `{"name":"Kaspersky","entry_id":"`+idAOKaspersky+`","outcome":"true_match","reason":"x"}`); w.Code != 201 {
		t.Fatalf("decide a match: %d %s", w.Code, w.Body)
	}
	expect("after deciding", map[string]float64{
		"screener_monitor_open_alerts":                                               float64(open - 1),
		`screener_monitor_alerts_closed_total{reason="decided"}`:                     1,
		`screener_monitor_decisions_total{outcome="false_positive",subject="alert"}`: 1,
		`screener_monitor_decisions_total{outcome="true_match",subject="match"}`:     1,
	})

	// Deleting a monitor closes its open alerts.
	do(t, h, "DELETE", "/v1/monitors/c-2", "", "")
	body = scrape()
	if got := metricValue(t, body, "screener_monitor_counterparties"); got != 2 {
		t.Errorf("counterparties after a delete: %v", got)
	}
	if got := metricValue(t, body, `screener_monitor_alerts_closed_total{reason="monitor_deleted"}`); got < 1 {
		t.Errorf("alerts closed by the delete: %v", got)
	}
}
