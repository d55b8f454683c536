package service

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cslscreen/screener/audit"
	"github.com/cslscreen/screener/internal/redisconn"
	"github.com/cslscreen/screener/internal/redistest"
	"github.com/cslscreen/screener/lists"
)

// TestRedisRateLimitSharedAcrossReplicas: two servers (replicas) with one
// Redis share each key's bucket.
func TestRedisRateLimitSharedAcrossReplicas(t *testing.T) {
	srv := redistest.Start(t)
	rdb, err := redisconn.New(srv.URL(), "", redisconn.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	keys, _ := ParseKeys(strings.NewReader("ops:"+hashKey("k1")+",ci:"+hashKey("k2")), "test")
	a := newTestServer(t, Options{Keys: keys, Limiter: NewRedisRateLimiter(rdb, "test", 0.01, 4)})
	b := newTestServer(t, Options{Keys: keys, Limiter: NewRedisRateLimiter(rdb, "test", 0.01, 4)})
	var codes []int
	for i := 0; i < 6; i++ {
		h := a.Handler()
		if i%2 == 1 {
			h = b.Handler()
		}
		codes = append(codes, do(t, h, "POST", "/v1/screen", "application/json", `{"name":"x"}`, "X-API-Key", "k1").Code)
	}
	if fmt.Sprint(codes) != "[200 200 200 200 429 429]" {
		t.Fatalf("codes across replicas = %v, want 4 allowed then 429", codes)
	}
	w := do(t, a.Handler(), "POST", "/v1/screen", "application/json", `{"name":"x"}`, "X-API-Key", "k1")
	if ra := w.Header().Get("Retry-After"); ra == "" {
		t.Error("no Retry-After")
	}
	// another key has its own bucket
	if w := do(t, b.Handler(), "POST", "/v1/screen", "application/json", `{"name":"x"}`, "X-API-Key", "k2"); w.Code != 200 {
		t.Fatalf("second key limited by the first: %d", w.Code)
	}
	// Redis down: requests go through rather than fail
	srv.Stop()
	if w := do(t, a.Handler(), "POST", "/v1/screen", "application/json", `{"name":"x"}`, "X-API-Key", "k2"); w.Code != 200 {
		t.Fatalf("with Redis down: %d", w.Code)
	}
}

func TestRedisAuditLog(t *testing.T) {
	srv := redistest.Start(t)
	rdb, _ := redisconn.New(srv.URL(), "", redisconn.Options{})
	defer rdb.Close()
	s := newTestServer(t, Options{Audit: Audit{Log: audit.NewRedisLog(rdb, "test", 1000, 0), Backend: "redis"}})
	h := s.Handler()
	var ids []string
	for _, name := range []string{"Kaspersky Lab", "Zzyzx Qwertyuiop", "OOO Kaspersky Group"} {
		ids = append(ids, decode[ScreenResponse](t, do(t, h, "POST", "/v1/screen", "application/json", `{"name":"`+name+`"}`)).ID)
	}
	page := decode[AuditPage](t, do(t, h, "GET", "/v1/audit?limit=2", "", ""))
	if len(page.Records) != 2 || page.NextCursor == "" || page.Records[0].ID != ids[0] || page.Records[0].MatchCount == 0 {
		t.Fatalf("first page = %+v", page)
	}
	next := decode[AuditPage](t, do(t, h, "GET", "/v1/audit?limit=2&cursor="+page.NextCursor, "", ""))
	if len(next.Records) != 1 || next.Records[0].ID != ids[2] {
		t.Fatalf("second page = %+v", next)
	}
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	empty := decode[AuditPage](t, do(t, h, "GET", "/v1/audit?from="+future+"&to="+time.Now().Add(2*time.Hour).UTC().Format(time.RFC3339), "", ""))
	if len(empty.Records) != 0 {
		t.Fatalf("future window = %+v", empty)
	}
	if w := do(t, h, "GET", "/v1/audit?cursor=abc", "", ""); w.Code != 400 {
		t.Fatalf("bad cursor: %d", w.Code)
	}
}

// TestShutdownLetsInFlightRequestsFinish: a request whose body is still
// arriving when shutdown begins completes; readiness is off meanwhile.
func TestShutdownLetsInFlightRequestsFinish(t *testing.T) {
	s := newTestServer(t, Options{})
	// The server reports when it is reading the request (StateActive), so
	// the shutdown below starts with the request in flight.
	active := make(chan struct{}, 1)
	s.http.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateActive {
			select {
			case active <- struct{}{}:
			default:
			}
		}
	}
	if err := s.Open("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"name":"Kaspersky Lab"}`
	fmt.Fprintf(conn, "POST /v1/screen HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:10])
	select {
	case <-active:
	case <-time.After(10 * time.Second):
		t.Fatal("the server never started reading the request")
	}

	closed := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		closed <- s.Close(ctx)
	}()
	for deadline := time.Now().Add(10 * time.Second); ; {
		if w := do(t, s.Handler(), "GET", "/readyz", "", ""); w.Code == 503 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("readyz stayed ready during shutdown")
		}
		runtime.Gosched()
	}
	conn.Write([]byte(body[10:]))
	resp, err := http.ReadResponse(bufioReader(conn), nil)
	if err != nil {
		t.Fatalf("in-flight request lost: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(b), "Kaspersky") {
		t.Fatalf("in-flight request: %d %s", resp.StatusCode, b)
	}
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func bufioReader(c net.Conn) *bufio.Reader { return bufio.NewReader(c) }

// TestRedisMetricsCountRealErrorsOnly: the handshake commands an older
// Redis refuses and the NOSCRIPT go-redis recovers from are not errors; a
// real failure (Redis gone) is.
func TestRedisMetricsCountRealErrorsOnly(t *testing.T) {
	srv := redistest.Start(t)
	rdb, _ := redisconn.New(srv.URL(), "", redisconn.Options{})
	defer rdb.Close()
	m := NewMetrics(BuildInfo{})
	rdb.AddHook(m.RedisHook())
	store := lists.NewRedisStore(rdb, lists.RedisOptions{Prefix: "t"})
	if err := store.Publish(context.Background(), lists.Embedded()); err != nil { // scripts: EVALSHA, NOSCRIPT, EVAL
		t.Fatal(err)
	}
	if n := testutilCount(t, m, "screener_redis_errors_total"); n != 0 {
		t.Fatalf("errors counted on a healthy Redis: %v", n)
	}
	if testutilCount(t, m, "screener_redis_command_duration_seconds") == 0 {
		t.Fatal("no command latency recorded")
	}
	srv.Stop()
	store.Current(context.Background())
	if n := testutilCount(t, m, "screener_redis_errors_total"); n == 0 {
		t.Fatal("a command against a dead Redis was not counted")
	}
}

// testutilCount sums a counter family, or counts a histogram's observations.
func testutilCount(t *testing.T, m *Metrics, name string) float64 {
	t.Helper()
	mfs, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, x := range mf.GetMetric() {
			if c := x.GetCounter(); c != nil {
				sum += c.GetValue()
			}
			if h := x.GetHistogram(); h != nil {
				sum += float64(h.GetSampleCount())
			}
		}
	}
	return sum
}

// TestShutdownDrainsKeepAlive: during the drain the server still answers,
// and says Connection: close, so clients leave its keep-alive connections
// after their answer instead of being reset under a request.
func TestShutdownDrainsKeepAlive(t *testing.T) {
	s := newTestServer(t, Options{ShutdownDrain: time.Hour})
	if err := s.Open("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	closed := make(chan error, 1)
	go func() { closed <- s.Close(ctx) }()
	for deadline := time.Now().Add(10 * time.Second); !s.stopping.Load(); runtime.Gosched() {
		if time.Now().After(deadline) {
			t.Fatal("shutdown did not begin")
		}
	}
	resp, err := http.Post("http://"+s.Addr()+"/v1/screen", "application/json", strings.NewReader(`{"name":"Kaspersky Lab"}`))
	if err != nil {
		t.Fatalf("a request during the drain: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !resp.Close {
		t.Errorf("during the drain: %d, Connection: close %v", resp.StatusCode, resp.Close)
	}
	cancel() // end the drain
	if err := <-closed; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("Close: %v", err)
	}
}
