package service

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cslscreen/screener/internal/redisconn"
	"github.com/cslscreen/screener/internal/redistest"
)

// redisPID returns the process id of the redis-server behind srv.
func redisPID(t *testing.T, srv *redistest.Server) int {
	t.Helper()
	rdb, err := redisconn.New(srv.URL(), "", redisconn.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	info, err := rdb.Info(context.Background(), "server").Result()
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "process_id:"); ok {
			pid, err := strconv.Atoi(v)
			if err != nil {
				t.Fatal(err)
			}
			return pid
		}
	}
	t.Fatalf("no process_id in INFO server")
	return 0
}

// TestRedisRateLimitFaults: with Redis killed or hung, requests are still
// answered promptly, each key is still limited (by the replica's local
// limiter), and the breaker stops calling Redis; once Redis is back the
// shared limit is used again.
func TestRedisRateLimitFaults(t *testing.T) {
	srv := redistest.Start(t)
	rdb, err := redisconn.New(srv.URL(), "", redisconn.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	const burst = 3
	var ks []string
	for i := 1; i <= 6; i++ {
		ks = append(ks, fmt.Sprintf("k%d:%s", i, hashKey(fmt.Sprintf("k%d", i))))
	}
	keys, err := ParseKeys(strings.NewReader(strings.Join(ks, ",")), "test")
	if err != nil {
		t.Fatal(err)
	}
	rl := NewRedisRateLimiter(rdb, "test", 0.001, burst) // no token comes back during the test
	rl.cooldown = 100 * time.Millisecond
	// Longer than the 50 ms default, so a loaded test machine does not
	// turn a slow answer into a fault, and still well within the requests'
	// 1 s deadline.
	rl.timeout = 300 * time.Millisecond
	s := newTestServer(t, Options{Keys: keys, Limiter: rl, MetricsOnMain: true})

	// screen makes one request with key and a 1 s deadline, and returns
	// its status; a request the limiter held up past the deadline fails.
	screen := func(key string) int {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		req := httptest.NewRequestWithContext(ctx, "POST", "/v1/screen", strings.NewReader(`{"name":"Kaspersky Lab"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-API-Key", key)
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, req)
		if ctx.Err() != nil {
			t.Fatalf("key %s: the request outlived its 1 s deadline", key)
		}
		return w.Code
	}
	// limited checks that key gets burst answers, then 429.
	limited := func(phase, key string) {
		t.Helper()
		var codes []int
		for range burst + 1 {
			codes = append(codes, screen(key))
		}
		if got := fmt.Sprint(codes); got != "[200 200 200 429]" {
			t.Errorf("%s: key %s: codes %s, want [200 200 200 429]", phase, key, got)
		}
	}
	metric := func(want string) {
		t.Helper()
		if body := do(t, s.Handler(), "GET", "/metrics", "", "").Body.String(); !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	// backToRedis waits until a request has closed the breaker again.
	backToRedis := func(phase, key string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for rl.fallingBack() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: the breaker did not close after Redis came back", phase)
			}
			screen(key)
			time.Sleep(20 * time.Millisecond)
		}
	}

	limited("up", "k1")
	if rl.fallingBack() {
		t.Fatal("breaker open with Redis up")
	}
	metric("screener_ratelimit_fallback 0")

	srv.Stop()
	limited("killed", "k2")
	if !rl.fallingBack() {
		t.Error("killed: breaker closed")
	}
	metric("screener_ratelimit_fallback 1")
	metric(`screener_ratelimit_breaker_changes_total{state="open"} 1`)

	srv.Restart()
	backToRedis("restarted", "k3")
	metric("screener_ratelimit_fallback 0")
	metric(`screener_ratelimit_breaker_changes_total{state="closed"} 1`)
	// The shared bucket is used again: a key spent on another replica's
	// limiter (the same Redis) is limited here.
	other := NewRedisRateLimiter(rdb, "test", 0.001, burst)
	for range burst {
		other.Allow(context.Background(), "key:k4")
	}
	if code := screen("k4"); code != 429 {
		t.Errorf("restarted: a key spent in Redis got %d, want 429", code)
	}

	pid := redisPID(t, srv)
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGCONT) })
	limited("hung", "k5")
	if !rl.fallingBack() {
		t.Error("hung: breaker closed")
	}
	metric(`screener_ratelimit_breaker_changes_total{state="open"} 2`)
	syscall.Kill(pid, syscall.SIGCONT)
	backToRedis("resumed", "k6")
	if code := screen("k4"); code != 429 {
		t.Errorf("resumed: a key spent in Redis got %d, want 429", code)
	}
}
