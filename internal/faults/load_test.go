//go:build faults

package faults

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// connections bounds the load: this many goroutines, each with at most one
// request in flight, over keep-alive connections.
const connections = 16

// requestDeadline is the functional bound on one screening: a request
// slower than this counts as an error ("timeout").
const requestDeadline = 10 * time.Second

// names are screened in turn: matches, near misses and clear names, so
// the matcher does its usual work.
var names = []string{
	"Northwind Avionics", "Rosoboronexport", "Huawei Technologies Co Ltd",
	"Kaspersky Lab", "John Smith", "Acme Trading LLC", "Mahan Air",
	"Islamic Revolutionary Guard Corps", "Banco Nacional de Cuba",
	"Shenzhen Example Electronics", "Global Logistics GmbH", "Ivan Petrov",
	"Tehran Test Company", "Sberbank", "Aero Parts International",
}

// sample is one request of the load.
type sample struct {
	start  time.Time
	dur    time.Duration
	target int
	class  string // "" for a 200; "http_NNN" or a transport error class
	id     string // X-Request-ID sent, to find the request in a replica's log
}

// loadGen sends screenings to its targets from connections goroutines,
// round robin over the targets that are not marked down, and records every
// request.
type loadGen struct {
	targets []string
	down    []atomic.Bool
	client  *http.Client
	key     string // API key, if any

	mu      sync.Mutex
	samples []sample
	errMsgs map[string]string // first message of each error class
}

func newLoad(targets ...string) *loadGen {
	tr := &http.Transport{
		MaxIdleConns: 2 * connections, MaxIdleConnsPerHost: connections,
		MaxConnsPerHost: connections, IdleConnTimeout: time.Minute,
		DialContext: (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
	}
	return &loadGen{
		targets: targets, down: make([]atomic.Bool, len(targets)),
		client:  &http.Client{Transport: tr, Timeout: requestDeadline},
		errMsgs: map[string]string{},
	}
}

// start runs the load until ctx is done; the returned function waits for
// the goroutines to finish.
func (l *loadGen) start(ctx context.Context) (wait func()) {
	var wg sync.WaitGroup
	for g := range connections {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := g; ctx.Err() == nil; n++ {
				target := l.pick(n)
				if target < 0 {
					return
				}
				l.one(ctx, target, names[n%len(names)], fmt.Sprintf("faults-%d-%d", g, n))
			}
		}()
	}
	return func() { wg.Wait(); l.client.CloseIdleConnections() }
}

// pick returns the n-th target in turn among those not down, or -1.
func (l *loadGen) pick(n int) int {
	for i := range l.targets {
		t := (n + i) % len(l.targets)
		if !l.down[t].Load() {
			return t
		}
	}
	return -1
}

func (l *loadGen) one(ctx context.Context, target int, name, id string) {
	body := []byte(`{"name":"` + name + `"}`)
	req, err := http.NewRequest(http.MethodPost, l.targets[target]+"/v1/screen", bytes.NewReader(body))
	if err != nil {
		panic(err) // a constant URL and body
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-ID", id)
	if l.key != "" {
		req.Header.Set("Authorization", "Bearer "+l.key)
	}
	start := time.Now()
	class := ""
	resp, err := l.client.Do(req)
	if err == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			class = "body_" + classify(err) // the answer had started: accepted
		} else if resp.StatusCode != http.StatusOK {
			class = fmt.Sprintf("http_%d", resp.StatusCode)
		}
	} else {
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			return // the load was stopped
		}
		class = classify(err)
		if class == "refused" {
			// Nothing listens any more: a load balancer would take the
			// target out; so does the load.
			l.down[target].Store(true)
		}
	}
	s := sample{start: start, dur: time.Since(start), target: target, class: class, id: id}
	l.mu.Lock()
	l.samples = append(l.samples, s)
	if class != "" && l.errMsgs[class] == "" {
		msg := "status"
		if err != nil {
			msg = err.Error()
		}
		l.errMsgs[class] = msg
	}
	l.mu.Unlock()
}

// classify names a transport error: "refused" (nothing listening: never
// accepted), "closed" (EOF: the server closed a keep-alive connection
// before reading the request, which Go's server only does to idle
// connections), "pipe" (the request could not be written), "reset" (the
// connection was reset: a request may have been lost), "timeout", "other".
func classify(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "reset"
	case errors.Is(err, syscall.EPIPE):
		return "pipe"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		strings.Contains(err.Error(), "server closed idle connection"):
		return "closed"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	}
	return "other"
}

// stats summarises the samples started in [from, to) to target (-1: all).
type stats struct {
	n        int
	errs     map[string]int
	p50, p99 time.Duration
	max      time.Duration
}

func (l *loadGen) stats(from, to time.Time, target int) stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := stats{errs: map[string]int{}}
	var ds []time.Duration
	for _, s := range l.samples {
		if s.start.Before(from) || !s.start.Before(to) || (target >= 0 && s.target != target) {
			continue
		}
		st.n++
		if s.class != "" {
			st.errs[s.class]++
		}
		ds = append(ds, s.dur)
		st.max = max(st.max, s.dur)
	}
	slices.Sort(ds)
	st.p50, st.p99 = percentile(ds, 0.50), percentile(ds, 0.99)
	return st
}

func (l *loadGen) all() stats { return l.stats(time.Time{}, time.Now().Add(time.Hour), -1) }

// percentile of sorted durations, nearest rank.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func (s stats) errCount() int {
	n := 0
	for _, c := range s.errs {
		n += c
	}
	return n
}

// errString is "0" or "N (class n, …)".
func (s stats) errString() string {
	if len(s.errs) == 0 {
		return "0"
	}
	var parts []string
	for c, n := range s.errs {
		parts = append(parts, fmt.Sprintf("%s %d", c, n))
	}
	sort.Strings(parts)
	return fmt.Sprintf("%d (%s)", s.errCount(), strings.Join(parts, ", "))
}

func (s stats) latency() string {
	if s.n == 0 {
		return "—"
	}
	return fmt.Sprintf("%s / %s", ms(s.p50), ms(s.p99))
}

func ms(d time.Duration) string {
	if d < 10*time.Millisecond {
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
}

// failedIDs returns the request ids of the failed requests to target, by
// error class.
func (l *loadGen) failedIDs(target int) map[string][]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string][]string{}
	for _, s := range l.samples {
		if s.class != "" && s.target == target {
			out[s.class] = append(out[s.class], s.id)
		}
	}
	return out
}

// logErrors logs the first message of each error class.
func (l *loadGen) logErrors(t *testing.T) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for c, m := range l.errMsgs {
		t.Logf("first %s error: %s", c, m)
	}
}
