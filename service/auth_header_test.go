package service

import (
	"strings"
	"testing"
)

// TestKeyBehindGateway: an Authorization header that is not a Bearer token
// (a gateway's Basic credentials) does not hide a valid X-API-Key; a Bearer
// token still wins over X-API-Key.
func TestKeyBehindGateway(t *testing.T) {
	keys, _ := ParseKeys(strings.NewReader("ops:"+hashKey("s3cret-ops")), "API_KEYS")
	s := newTestServer(t, Options{Keys: keys})
	body := `{"name":"Kaspersky Lab"}`
	for _, tc := range []struct {
		name    string
		headers []string
		status  int
	}{
		{"basic and x-api-key", []string{"Authorization", "Basic Z2F0ZXdheTpwdw==", "X-API-Key", "s3cret-ops"}, 200},
		{"other scheme and x-api-key", []string{"Authorization", "Negotiate abc", "X-API-Key", "s3cret-ops"}, 200},
		{"bare token and x-api-key", []string{"Authorization", "garbage", "X-API-Key", "s3cret-ops"}, 200},
		{"basic alone", []string{"Authorization", "Basic Z2F0ZXdheTpwdw=="}, 401},
		{"wrong bearer wins over x-api-key", []string{"Authorization", "Bearer nope", "X-API-Key", "s3cret-ops"}, 401},
		{"lower-case bearer", []string{"Authorization", "bearer s3cret-ops"}, 200},
		{"empty bearer falls back", []string{"Authorization", "Bearer ", "X-API-Key", "s3cret-ops"}, 200},
	} {
		if w := do(t, s.Handler(), "POST", "/v1/screen", "application/json", body, tc.headers...); w.Code != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, w.Code, tc.status)
		}
	}
}
