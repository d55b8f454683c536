package service

import (
	"slices"
	"strings"
	"testing"
)

func TestParseKeyScopes(t *testing.T) {
	h := strings.Repeat("ab", 32)
	tests := []struct {
		in     string
		scopes map[string][]string
		err    string
	}{
		{"a:" + h, map[string][]string{"a": {"screen"}}, ""},
		{"a:" + h + ":admin", map[string][]string{"a": {"screen", "admin"}}, ""},
		{"a:" + h + ":screen,admin,b:" + h, map[string][]string{"a": {"screen", "admin"}, "b": {"screen"}}, ""},
		{"a:" + h + ":screen+admin\nb:" + h + ":screen", map[string][]string{"a": {"screen", "admin"}, "b": {"screen"}}, ""},
		{"a:" + h + ":root", nil, `unknown scope "root"`},
		{"admin", nil, "want keyid:sha256hex"},
		{"a:" + h + "\nadmin", nil, "want keyid:sha256hex"}, // a bare scope on its own line is not a key's
	}
	for _, tt := range tests {
		ks, err := ParseKeys(strings.NewReader(tt.in), "API_KEYS")
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: err %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if ks.Len() != len(tt.scopes) {
			t.Errorf("%q: %d keys, want %d", tt.in, ks.Len(), len(tt.scopes))
		}
		for _, k := range ks.keys {
			if !slices.Equal(k.Scopes, tt.scopes[k.ID]) {
				t.Errorf("%q: key %s scopes %v, want %v", tt.in, k.ID, k.Scopes, tt.scopes[k.ID])
			}
		}
	}
}
