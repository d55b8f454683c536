package redisconn

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cslscreen/screener/internal/redistest"
	"github.com/redis/go-redis/v9"
)

func TestNewURLs(t *testing.T) {
	tests := []struct {
		url     string
		wantErr bool
		kind    string
	}{
		{"redis://127.0.0.1:6379/0", false, "*redis.Client"},
		{"rediss://user:pw@example.test:6380", false, "*redis.Client"},
		{"redis://s1:26379?master_name=mymaster&addr=s2:26379", false, "*redis.Client"}, // a failover client is a *redis.Client
		{"redis://n1:7000?cluster=true&addr=n2:7000", false, "*redis.ClusterClient"},
		{"http://127.0.0.1:6379", true, ""},
		{"redis://127.0.0.1:6379/notanumber", true, ""},
		{"::not a url", true, ""},
	}
	for _, tc := range tests {
		c, err := New(tc.url, "override", Options{})
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: err = %v, wantErr %v", tc.url, err, tc.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if got := fmt.Sprintf("%T", c); got != tc.kind {
			t.Errorf("%s: client %s, want %s", tc.url, got, tc.kind)
		}
		if cc, ok := c.(*redis.Client); ok {
			o := cc.Options()
			if o.Password != "override" {
				t.Errorf("%s: REDIS_PASSWORD did not override", tc.url)
			}
			if !o.ContextTimeoutEnabled || o.DialTimeout != 2*time.Second || o.ReadTimeout != time.Second || o.WriteTimeout != time.Second || o.PoolTimeout != 2*time.Second {
				t.Errorf("%s: timeouts %v/%v/%v/%v, context deadlines %v; want 2s/1s/1s/2s and true",
					tc.url, o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout, o.ContextTimeoutEnabled)
			}
		}
		if cc, ok := c.(*redis.ClusterClient); ok && !cc.Options().ContextTimeoutEnabled {
			t.Errorf("%s: cluster client ignores context deadlines", tc.url)
		}
		c.Close()
	}
}

func TestNewOptions(t *testing.T) {
	c, err := New("redis://127.0.0.1:6379", "", Options{DialTimeout: 3 * time.Second, ReadTimeout: 250 * time.Millisecond, WriteTimeout: 300 * time.Millisecond, PoolTimeout: 4 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	o := c.(*redis.Client).Options()
	if o.DialTimeout != 3*time.Second || o.ReadTimeout != 250*time.Millisecond || o.WriteTimeout != 300*time.Millisecond || o.PoolTimeout != 4*time.Second {
		t.Fatalf("options not applied: %v/%v/%v/%v", o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout)
	}
}

// TestErrorsDoNotEchoThePassword feeds malformed URLs holding a password:
// the error must say what is wrong and never show the secret.
func TestErrorsDoNotEchoThePassword(t *testing.T) {
	const secret = "s3cr3tPa55"
	tests := []struct{ url, password, want string }{
		{"redis://user:" + secret + "@host:notaport", "", "REDIS_URL"},
		{"redis://:" + secret + "@127.0.0.1:6379/notanumber", "", "***"},
		{"http://user:" + secret + "@127.0.0.1:6379", "", "scheme"},
		{"redis://user:" + secret + "@127.0.0.1:6379/notanumber?master_name=m", "", "REDIS_URL"},
		{"redis://user:" + secret + "@n1:7000?cluster=true&db=x", "", "REDIS_URL"},
		{"redis://127.0.0.1:6379/x\x7f", secret, "REDIS_URL"},
		{"redis://us er:" + secret + "@h:1", "", "REDIS_URL"},
		{"redis://user:" + secret + "@[::1", "", "REDIS_URL"},
	}
	for _, tc := range tests {
		c, err := New(tc.url, tc.password, Options{})
		if err == nil {
			c.Close()
			t.Errorf("%q: no error", Redact(tc.url))
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error shows the password: %v", err)
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %q does not mention %q", err, tc.want)
		}
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"redis://user:pw@host:6379/0": "redis://***@host:6379/0",
		"redis://:pw@host":            "redis://***@host",
		"redis://host:6379":           "redis://host:6379",
		"rediss://a:b@c@host":         "rediss://***@host",
		"::not a url":                 "::not a url",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestHungRedisHonoursContextDeadline stops the server process (SIGSTOP): the
// TCP connection stays open and nothing answers. A command with a short
// context deadline must come back with a deadline error, not wait for the
// socket timeouts.
func TestHungRedisHonoursContextDeadline(t *testing.T) {
	srv := redistest.Start(t)
	// Long socket timeouts, so that only the context can end the command.
	c, err := New(srv.URL(), "", Options{ReadTimeout: time.Minute, WriteTimeout: time.Minute, DialTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("ping before the hang: %v", err)
	}
	if err := srv.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Signal(syscall.SIGCONT) })

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		done <- c.Get(ctx, "k").Err()
	}()
	select {
	case err := <-done:
		var ne interface{ Timeout() bool }
		if !errors.Is(err, context.DeadlineExceeded) && !(errors.As(err, &ne) && ne.Timeout()) {
			t.Fatalf("GET on a hung Redis: %v (%T), want a deadline error", err, err)
		}
	case <-time.After(10 * time.Second): // far beyond 200ms; only a client ignoring the deadline gets here
		t.Fatal("GET on a hung Redis did not return: the context deadline is ignored")
	}
}
