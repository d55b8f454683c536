package monitor_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cslscreen/screener/monitor"
)

func TestSignAndVerify(t *testing.T) {
	now := time.Unix(1_733_390_000, 0)
	body := []byte(`{"id":"al_1"}`)
	h := monitor.Sign([]byte("k"), now, body)
	for _, tc := range []struct {
		name   string
		secret string
		header string
		body   string
		at     time.Time
		ok     bool
	}{
		{"valid", "k", h, string(body), now, true},
		{"other body", "k", h, `{"id":"al_2"}`, now, false},
		{"other secret", "k2", h, string(body), now, false},
		{"old", "k", h, string(body), now.Add(10 * time.Minute), false},
		{"malformed", "k", "v1=abc", string(body), now, false},
	} {
		err := monitor.Verify([]byte(tc.secret), tc.header, []byte(tc.body), tc.at, 5*time.Minute)
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func TestParseWebhookURLs(t *testing.T) {
	m, err := monitor.ParseWebhookURLs(" app=https://a.example/h , *=http://b.example ")
	if err != nil || m["app"] != "https://a.example/h" || m["*"] != "http://b.example" {
		t.Fatalf("%v %v", m, err)
	}
	for _, bad := range []string{"app", "app=ftp://x", "=https://x", "a=https://x,a=https://y"} {
		if _, err := monitor.ParseWebhookURLs(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// A failing endpoint is retried with backoff until it answers; one that
// never does is given up after MaxAttempts, the last error kept.
func TestWebhookRetries(t *testing.T) {
	ctx := context.Background()
	var calls atomic.Int32
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
		}
	}))
	defer flaky.Close()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusInternalServerError)
	}))
	defer down.Close()

	ms := monitor.NewMemoryStore()
	for _, a := range []monitor.Alert{{ID: "al_f", KeyID: "flaky"}, {ID: "al_d", KeyID: "down"}} {
		a.Status, a.Delivery = monitor.AlertOpen, &monitor.Delivery{State: monitor.DeliveryPending}
		ms.AddAlert(ctx, a)
	}
	w := &monitor.Webhooks{URLs: map[string]string{"flaky": flaky.URL, "down": down.URL}, Secret: []byte("s"), Store: ms,
		Backoff: time.Millisecond, MaxAttempts: 4}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := w.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		f, _ := ms.GetAlert(ctx, "al_f")
		d, _ := ms.GetAlert(ctx, "al_d")
		if f.Delivery.State != monitor.DeliveryPending && d.Delivery.State != monitor.DeliveryPending {
			if f.Delivery.State != monitor.DeliveryDelivered || f.Delivery.Attempts != 3 || f.Delivery.At == nil {
				t.Errorf("flaky: %+v", f.Delivery)
			}
			if d.Delivery.State != monitor.DeliveryFailed || d.Delivery.Attempts != 4 || d.Delivery.LastError == "" {
				t.Errorf("down: %+v", d.Delivery)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries still pending: %+v %+v", f.Delivery, d.Delivery)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
