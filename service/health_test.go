package service

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/cslscreen/screener/lists"
)

// downStore is a list store whose Ping fails the way go-redis does.
type downStore struct{ lists.Store }

func (downStore) Kind() string { return "redis" }
func (downStore) Ping(context.Context) error {
	return errors.New("dial tcp 10.20.30.40:6379: connect: connection refused")
}

// TestReadinessHidesStoreError: /readyz, which needs no key, says the
// store is unreachable and nothing more; the error goes to the log, once a
// minute at most.
func TestReadinessHidesStoreError(t *testing.T) {
	var logs lockedBuffer
	s := newTestServer(t, Options{Store: downStore{}, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	for range 3 {
		w := do(t, s.Handler(), "GET", "/readyz", "", "")
		if w.Code != 200 {
			t.Fatalf("readyz: %d %s", w.Code, w.Body)
		}
		r := decode[Readiness](t, w)
		if r.Store.Status != "unreachable" || r.Store.Kind != "redis" {
			t.Errorf("store %+v", r.Store)
		}
		if strings.Contains(w.Body.String(), "10.20.30.40") || strings.Contains(w.Body.String(), "dial") {
			t.Errorf("the store's error is in the answer: %s", w.Body)
		}
	}
	if n := strings.Count(logs.String(), "10.20.30.40:6379"); n != 1 {
		t.Errorf("the store's error is logged %d times, want once: %s", n, logs.String())
	}
}
