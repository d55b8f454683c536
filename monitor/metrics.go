package monitor

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the monitoring's Prometheus metrics (docs/MONITORING.md).
// A nil *metrics counts nothing, so an engine without a registry pays
// nothing. Labels carry only bounded values (outcomes, reasons).
type metrics struct {
	runs        *prometheus.CounterVec
	runDuration prometheus.Histogram
	entries     *prometheus.CounterVec
	raised      *prometheus.CounterVec
	closed      *prometheus.CounterVec
	deliveries  *prometheus.CounterVec
	decisions   *prometheus.CounterVec
}

// countsTimeout bounds the store's answer to a scrape.
const countsTimeout = 3 * time.Second

func newMetrics(reg prometheus.Registerer, store Store) (*metrics, error) {
	m := &metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "screener_monitor_runs_total", Help: "Monitoring runs (the diff of a new list version against the monitored counterparties) by outcome: done, full_rescreen (the previous version was gone) or failed.",
		}, []string{"outcome"}),
		runDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "screener_monitor_run_duration_seconds", Help: "How long a monitoring run took, done or failed.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300},
		}),
		entries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "screener_monitor_diff_entries_total", Help: "List entries the monitoring runs found changed, by change: added, removed or changed.",
		}, []string{"change"}),
		raised: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "screener_monitor_alerts_raised_total", Help: "Alerts raised, by cause (registered, entry_added, entry_changed) and status: open, or closed when a false positive decision suppressed it.",
		}, []string{"cause", "status"}),
		closed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "screener_monitor_alerts_closed_total", Help: "Open alerts closed, by reason: decided, entry_removed or monitor_deleted.",
		}, []string{"reason"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "screener_monitor_webhook_deliveries_total", Help: "Webhook delivery attempts by outcome: delivered, retry (failed, tried again later) or failed (given up).",
		}, []string{"outcome"}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "screener_monitor_decisions_total", Help: "Analysts' decisions by outcome (true_match, false_positive) and subject (alert, match).",
		}, []string{"outcome", "subject"}),
	}
	for _, c := range []prometheus.Collector{m.runs, m.runDuration, m.entries, m.raised, m.closed, m.deliveries, m.decisions, &countsCollector{store: store}} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	// The series a dashboard graphs exist from the start, at zero.
	for _, o := range []string{"done", "full_rescreen", "failed"} {
		m.runs.WithLabelValues(o)
	}
	for _, o := range []string{"delivered", "retry", "failed"} {
		m.deliveries.WithLabelValues(o)
	}
	for _, o := range []string{TrueMatch, FalsePositive} {
		m.decisions.WithLabelValues(o, "alert")
		m.decisions.WithLabelValues(o, "match")
	}
	return m, nil
}

func (m *metrics) run(rep *RunReport, took time.Duration, err error) {
	if m == nil {
		return
	}
	outcome := "done"
	switch {
	case err != nil:
		outcome = "failed"
	case rep.FullRescreen:
		outcome = "full_rescreen"
	}
	m.runs.WithLabelValues(outcome).Inc()
	m.runDuration.Observe(took.Seconds())
	m.entries.WithLabelValues("added").Add(float64(rep.Added))
	m.entries.WithLabelValues("removed").Add(float64(rep.Removed))
	m.entries.WithLabelValues("changed").Add(float64(rep.Changed))
}

func (m *metrics) alertRaised(a *Alert) {
	if m != nil {
		m.raised.WithLabelValues(a.Cause, a.Status).Inc()
	}
}

func (m *metrics) alertClosed(reason string) {
	if m != nil {
		m.closed.WithLabelValues(reason).Inc()
	}
}

func (m *metrics) delivery(outcome string) {
	if m != nil {
		m.deliveries.WithLabelValues(outcome).Inc()
	}
}

func (m *metrics) decided(outcome, subject string) {
	if m != nil {
		m.decisions.WithLabelValues(outcome, subject).Inc()
	}
}

// countsCollector reports what the store holds at scrape time: every
// replica shares the store, so each reports the same figures (aggregate
// with max, not sum).
type countsCollector struct{ store Store }

var (
	descCounterparties = prometheus.NewDesc("screener_monitor_counterparties", "Monitored counterparties, every key's (the store's count at scrape time).", nil, nil)
	descOpenAlerts     = prometheus.NewDesc("screener_monitor_open_alerts", "Open alerts, every key's.", nil, nil)
	descPending        = prometheus.NewDesc("screener_monitor_webhook_pending", "Alerts whose webhook delivery is pending (not yet delivered nor given up).", nil, nil)
	descCountsUp       = prometheus.NewDesc("screener_monitor_store_up", "1 when the monitoring store answered the scrape's counts, 0 when it did not (the counts are then absent).", nil, nil)
)

func (c *countsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descCounterparties
	ch <- descOpenAlerts
	ch <- descPending
	ch <- descCountsUp
}

func (c *countsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), countsTimeout)
	defer cancel()
	n, err := c.store.Counts(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(descCountsUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(descCountsUp, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(descCounterparties, prometheus.GaugeValue, float64(n.Counterparties))
	ch <- prometheus.MustNewConstMetric(descOpenAlerts, prometheus.GaugeValue, float64(n.OpenAlerts))
	ch <- prometheus.MustNewConstMetric(descPending, prometheus.GaugeValue, float64(n.PendingDeliveries))
}
