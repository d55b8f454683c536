package web_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cslscreen/screener/lists"
	"github.com/cslscreen/screener/screening"
	"github.com/cslscreen/screener/service"
	"github.com/cslscreen/screener/service/web"
)

// The service mounts the page at / outside the key check: with keys
// configured the page and its files load without one (with their security
// headers) while the API still refuses a call without one.
func TestServiceServesPageWithoutKey(t *testing.T) {
	cat := &screening.Catalog{}
	cat.Load(lists.Embedded())
	sum := sha256.Sum256([]byte("secret"))
	keys, err := service.ParseKeys(strings.NewReader("k:"+hex.EncodeToString(sum[:])), "test")
	if err != nil {
		t.Fatal(err)
	}
	h := service.New(service.Options{Catalog: cat, Keys: keys, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}).Handler()
	for _, tc := range []struct {
		method, path string
		want         int
		page         bool
	}{
		{"GET", "/", http.StatusOK, true},
		{"HEAD", "/", http.StatusOK, true},
		{"GET", "/app.js", http.StatusOK, true},
		{"GET", "/app.css", http.StatusOK, true},
		{"POST", "/v1/screen", http.StatusUnauthorized, false},
	} {
		req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(`{"name":"Kaspersky Lab"}`))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != tc.want {
			t.Errorf("%s %s: status %d, want %d", tc.method, tc.path, w.Code, tc.want)
		}
		if got := w.Header().Get("Content-Security-Policy"); tc.page && got != web.ContentSecurityPolicy {
			t.Errorf("%s %s: Content-Security-Policy %q", tc.method, tc.path, got)
		}
		if tc.page && w.Header().Get("X-Request-ID") == "" {
			t.Errorf("%s %s: not through the service's middleware (no X-Request-ID)", tc.method, tc.path)
		}
	}
}
