package service

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

// TestMethodLabelBounded: a method outside the standard set is "other" in
// the metrics and the access log, so a client without a key cannot grow
// either with made-up methods.
func TestMethodLabelBounded(t *testing.T) {
	odd := []string{strings.Repeat("Q", 30000), "BREW", "get", "PROPFIND"}
	for _, hand := range []bool{true, false} {
		var buf lockedBuffer
		o := Options{MetricsOnMain: true}
		if hand {
			o.AccessLog = &AccessLog{W: &buf, Level: slog.LevelInfo}
		} else {
			o.Logger = slog.New(slog.NewJSONHandler(&buf, nil))
		}
		s := newTestServer(t, o)
		for _, m := range odd {
			do(t, s.Handler(), m, "/v1/screen", "", "")
		}
		do(t, s.Handler(), "DELETE", "/v1/screen", "", "")
		body := do(t, s.Handler(), "GET", "/metrics", "", "").Body.String()
		for _, m := range odd {
			if strings.Contains(body, `method="`+m+`"`) {
				t.Errorf("method %.10q is a metric label", m)
			}
		}
		for _, want := range []string{
			`screener_http_requests_total{code="405",method="other",route="unmatched"} 4`,
			`screener_http_requests_total{code="405",method="DELETE",route="unmatched"} 1`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("metrics lack %q", want)
			}
		}
		var methods []string
		for line := range strings.SplitSeq(strings.TrimSpace(buf.String()), "\n") {
			var rec struct{ Msg, Method string }
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("not JSON: %v: %.200s", err, line)
			}
			if rec.Msg == "http request" {
				methods = append(methods, rec.Method)
			}
		}
		if got := strings.Join(methods, ","); got != "other,other,other,other,DELETE" {
			t.Errorf("hand-written %v: access log methods %.200s", hand, got)
		}
		if bytes.Contains([]byte(buf.String()), []byte("QQQQ")) {
			t.Errorf("hand-written %v: the made-up method is in the log", hand)
		}
	}
}
