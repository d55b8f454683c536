package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cslscreen/screener/lists"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestConfigDefaults(t *testing.T) {
	c, err := LoadConfig(env())
	if err != nil {
		t.Fatal(err)
	}
	if c.ListenAddr != ":8080" || c.ListURL != lists.OfficialCSLURL || c.RefreshInterval != time.Hour ||
		c.ListMaxShrink != 0.2 || c.RedisURL != "" || c.APIKeys.Len() != 0 || c.ShutdownTimeout != 20*time.Second {
		t.Fatalf("defaults = %+v", c)
	}
	c, _ = LoadConfig(env("LIST_URL", "off", "REFRESH_INTERVAL", "0"))
	if c.ListURL != "" || c.RefreshInterval != 0 {
		t.Fatalf("LIST_URL=off REFRESH_INTERVAL=0: %+v", c)
	}
}

func TestConfigErrorsNameTheVariable(t *testing.T) {
	tests := [][2]string{
		{"LISTEN_ADDR", "8080"},
		{"METRICS_ADDR", "nonsense"},
		{"LOG_LEVEL", "loud"},
		{"REDIS_URL", "http://localhost:6379"},
		{"REDIS_URL", "redis://h:1/abc"},
		{"REDIS_KEY_PREFIX", "a b"},
		{"LIST_URL", "ftp://example.test/x.csv"},
		{"LIST_FILE", "/does/not/exist.csv"},
		{"REFRESH_INTERVAL", "hourly"},
		{"REFRESH_INTERVAL", "-5m"},
		{"REFRESH_TIMEOUT", "0"},
		{"LIST_MAX_SHRINK", "1.5"},
		{"LIST_MAX_BAD_ROWS", "x"},
		{"MATCH_THRESHOLD", "0"},
		{"MATCH_THRESHOLD", "2"},
		{"SHUTDOWN_TIMEOUT", "soon"},
		{"MAX_BODY_BYTES", "12"},
		{"API_KEYS", "ops:nothex"},
		{"RATE_LIMIT_RPS", "-1"},
		{"RATE_LIMIT_BURST", "0"},
		{"AUDIT_ENABLED", "maybe"},
		{"READY_ON_BUILTIN", "sometimes"},
		{"LIST_MAX_AGE", "old"},
		{"BATCH_MAX_ROWS", "0"},
		{"BATCH_DIR", "/does/not/exist"},
	}
	for _, tc := range tests {
		_, err := LoadConfig(env(tc[0], tc[1]))
		if err == nil || !strings.Contains(err.Error(), tc[0]) {
			t.Errorf("%s=%q: err = %v, want one naming %s", tc[0], tc[1], err, tc[0])
		}
	}
	// several bad values are reported together
	_, err := LoadConfig(env("LOG_LEVEL", "loud", "REFRESH_INTERVAL", "hourly"))
	if err == nil || !strings.Contains(err.Error(), "LOG_LEVEL") || !strings.Contains(err.Error(), "REFRESH_INTERVAL") {
		t.Errorf("combined: %v", err)
	}
}

// Every switch reads the same words, whichever variable it is.
func TestConfigBooleansReadOneWay(t *testing.T) {
	for _, v := range []string{"true", "TRUE", "1", "yes", "on", "On"} {
		for _, name := range []string{"AUDIT_ENABLED", "READY_ON_BUILTIN"} {
			c, err := LoadConfig(env(name, v))
			if err != nil || !(c.AuditEnabled || c.ReadyOnBuiltin) {
				t.Errorf("%s=%s: %v %+v", name, v, err, c)
			}
		}
	}
	for _, v := range []string{"false", "0", "no", "off"} {
		c, err := LoadConfig(env("AUDIT_ENABLED", v, "READY_ON_BUILTIN", v))
		if err != nil || c.AuditEnabled || c.ReadyOnBuiltin {
			t.Errorf("%s: %v %+v", v, err, c)
		}
	}
}

func TestConfigAPIKeysFile(t *testing.T) {
	p := t.TempDir() + "/keys"
	os.WriteFile(p, []byte("# ops team\nops:"+strings.Repeat("ab", 32)+"\nci:"+strings.Repeat("cd", 32)+"\n"), 0o600)
	c, err := LoadConfig(env("API_KEYS_FILE", p))
	if err != nil || c.APIKeys.Len() != 2 {
		t.Fatalf("keys file: %v %d", err, c.APIKeys.Len())
	}
	if _, err := LoadConfig(env("API_KEYS_FILE", p, "API_KEYS", "x:"+strings.Repeat("ab", 32))); err == nil {
		t.Fatal("both API_KEYS and API_KEYS_FILE accepted")
	}
}

// TestREADMEDocumentsConfig keeps the README's configuration table and the
// parser in step: every variable is documented, with its default.
func TestREADMEDocumentsConfig(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, v := range envVars {
		row := "| `" + v.name + "` |"
		i := strings.Index(readme, row)
		if i < 0 {
			t.Errorf("README.md has no table row for %s", v.name)
			continue
		}
		line := readme[i:]
		if j := strings.IndexByte(line, '\n'); j >= 0 {
			line = line[:j]
		}
		if v.def != "" && !strings.Contains(line, "`"+v.def+"`") {
			t.Errorf("README.md row for %s does not give the default `%s`: %s", v.name, v.def, line)
		}
	}
}

func TestAuditQueueConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		backend string
		writers int
		linger  time.Duration // as audit.QueueConfig takes it: -1 no wait, 0 the queue's default
	}{
		{"postgres, ack by default", map[string]string{"DATABASE_URL": "postgres://db/x"}, "postgres", 2, -1},
		{"postgres, async", map[string]string{"DATABASE_URL": "postgres://db/x", "AUDIT_DURABILITY": "async"}, "postgres", 2, 0},
		{"memory", map[string]string{"AUDIT_ENABLED": "true"}, "memory", 1, 0},
		{"set by hand", map[string]string{"DATABASE_URL": "postgres://db/x", "AUDIT_WRITERS": "4", "AUDIT_LINGER": "3ms"}, "postgres", 4, 3 * time.Millisecond},
		{"no wait by hand", map[string]string{"AUDIT_ENABLED": "true", "AUDIT_LINGER": "0"}, "memory", 1, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := LoadConfig(func(k string) string { return tt.env[k] })
			if err != nil {
				t.Fatal(err)
			}
			q := auditQueueConfig(cfg, tt.backend)
			if q.Writers != tt.writers || q.Linger != tt.linger {
				t.Errorf("writers %d, linger %v; want %d, %v", q.Writers, q.Linger, tt.writers, tt.linger)
			}
		})
	}
	for _, bad := range []map[string]string{{"AUDIT_WRITERS": "17"}, {"AUDIT_WRITERS": "-1"}, {"AUDIT_LINGER": "2s"}, {"AUDIT_LINGER": "soon"}} {
		if _, err := LoadConfig(func(k string) string { return bad[k] }); err == nil {
			t.Errorf("%v: accepted", bad)
		}
	}
}
