package main

import (
	"testing"
	"time"
)

// TestMetricsServerTimeouts: the METRICS_ADDR server bounds every phase of
// a connection, not only the request headers.
func TestMetricsServerTimeouts(t *testing.T) {
	m := startMain(t, map[string]string{"METRICS_ADDR": "127.0.0.1:0"})
	sv := m.metricsSv
	for name, d := range map[string]time.Duration{"ReadHeaderTimeout": sv.ReadHeaderTimeout, "ReadTimeout": sv.ReadTimeout,
		"WriteTimeout": sv.WriteTimeout, "IdleTimeout": sv.IdleTimeout} {
		if d <= 0 || d > 5*time.Minute {
			t.Errorf("%s = %v, want a bound of minutes at most", name, d)
		}
	}
}
