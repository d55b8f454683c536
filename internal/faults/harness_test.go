//go:build faults

package faults

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cslscreen/screener/internal/fixtures"
)

// binPath is the screener binary, built once by TestMain.
var binPath string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "faults-bin-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "screener")
	root, err := filepath.Abs("../..")
	if err == nil {
		if _, err = os.Stat(filepath.Join(root, "go.mod")); err != nil {
			err = fmt.Errorf("no go.mod at the repository root %s: %w", root, err)
		}
	}
	if err == nil {
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/screener")
		cmd.Dir = root
		var out []byte
		if out, err = cmd.CombinedOutput(); err != nil {
			err = fmt.Errorf("go build ./cmd/screener: %v\n%s", err, out)
		}
	}
	code := 1
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// loadDuration is how long each load scenario runs: FAULTS_DURATION, else
// 10 s with -short, else 60 s.
func loadDuration(t *testing.T) time.Duration {
	if v := os.Getenv("FAULTS_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 3*time.Second {
			t.Fatalf("FAULTS_DURATION=%q: want a duration of at least 3s, such as 10s or 60s", v)
		}
		return d
	}
	if testing.Short() {
		return 10 * time.Second
	}
	return 60 * time.Second
}

// listEnv is the list every replica serves: the full CSL fixture (14,163
// rows), or the embedded snapshot with READY_ON_BUILTIN when the fixture is
// absent (never under CI=true: fixtures.FullCSL fails the test there).
func listEnv(t *testing.T) (env map[string]string, what string) {
	if fixtures.SharedDir() != "" || os.Getenv("CI") == "true" {
		if p := fixtures.Path(t, "data/csl_full_fixture.csv.gz"); p != "" {
			return map[string]string{"LIST_FILE": p}, "full CSL fixture"
		}
	}
	t.Log("the full CSL fixture is absent: the replicas serve the embedded snapshot (READY_ON_BUILTIN=true)")
	return map[string]string{"READY_ON_BUILTIN": "true"}, "embedded snapshot"
}

// replica is one running screener process.
type replica struct {
	name    string
	base    string // http://127.0.0.1:port
	cmd     *exec.Cmd
	exited  chan struct{} // closed when the process has exited
	exitErr error         // valid once exited is closed
	logPath string

	// rssCap, when set before the first sample, is a safety net for the
	// machine: a replica whose RSS passes it is killed (cappedAt records
	// the RSS then), so an attack that works cannot exhaust the host.
	rssCap   int64 // KiB
	cappedAt atomic.Int64

	mu  sync.Mutex
	rss []rssSample
}

type rssSample struct {
	at time.Time
	kb int64
}

// startReplica runs the binary with env (over a base of LISTEN_ADDR on a
// free port, LIST_URL=off and warn-level logs) and waits until /readyz
// answers 200. Its RSS is sampled every 200 ms until it exits; the test's
// cleanup terminates it.
func startReplica(t *testing.T, name string, env map[string]string) *replica {
	t.Helper()
	return startReplicaCapped(t, name, env, 0)
}

// startReplicaCapped is startReplica with an RSS cap in KiB (0: none).
func startReplicaCapped(t *testing.T, name string, env map[string]string, capKB int64) *replica {
	t.Helper()
	return startReplicaWith(t, name, env, capKB, "")
}

// startReplicaWith is startReplicaCapped pinned to cpus (taskset's list
// form, such as "0"); "" leaves it free. Go sizes GOMAXPROCS to the CPUs
// it may use.
func startReplicaWith(t *testing.T, name string, env map[string]string, capKB int64, cpus string) *replica {
	t.Helper()
	return startReplicaFull(t, name, env, capKB, cpus, false)
}

// startReplicaFull is startReplicaWith, and with ownSession the replica
// starts a session of its own. Linux's scheduler (with autogroup, on by
// default) then shares a CPU fairly between sessions rather than between
// threads, so two replicas on one CPU each get half of it however many
// threads each runs.
func startReplicaFull(t *testing.T, name string, env map[string]string, capKB int64, cpus string, ownSession bool) *replica {
	t.Helper()
	addr := freeAddr(t)
	full := map[string]string{
		"LISTEN_ADDR": addr, "LIST_URL": "off", "LOG_LEVEL": "warn",
		"SHUTDOWN_TIMEOUT": "10s", "REFRESH_INTERVAL": "0",
	}
	for k, v := range env {
		full[k] = v
	}
	r := &replica{name: name, base: "http://" + addr, exited: make(chan struct{}),
		logPath: filepath.Join(t.TempDir(), name+".log"), rssCap: capKB}
	logf, err := os.Create(r.logPath)
	if err != nil {
		t.Fatal(err)
	}
	r.cmd = exec.Command(binPath)
	if cpus != "" {
		r.cmd = exec.Command("taskset", "-c", cpus, binPath) // execs the binary: the pid is the replica's
	}
	r.cmd.Env = os.Environ()
	for k, v := range full {
		r.cmd.Env = append(r.cmd.Env, k+"="+v)
	}
	r.cmd.Stdout, r.cmd.Stderr = logf, logf
	if ownSession {
		r.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		r.exitErr = r.cmd.Wait()
		logf.Close()
		close(r.exited)
	}()
	go r.sampleRSS()
	t.Cleanup(func() {
		r.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-r.exited:
		case <-time.After(20 * time.Second):
			r.cmd.Process.Kill()
			<-r.exited
		}
	})
	c := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := c.Get(r.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return r
			}
		}
		select {
		case <-r.exited:
			t.Fatalf("replica %s exited before it was ready (%v):\n%s", name, r.exitErr, r.logTail())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica %s was not ready within 90 s:\n%s", name, r.logTail())
		}
	}
}

func (r *replica) pid() int { return r.cmd.Process.Pid }

func (r *replica) alive() bool {
	select {
	case <-r.exited:
		return false
	default:
		return true
	}
}

func (r *replica) signal(sig syscall.Signal) error { return r.cmd.Process.Signal(sig) }

// waitExit waits for the process to exit, up to limit.
func (r *replica) waitExit(limit time.Duration) bool {
	select {
	case <-r.exited:
		return true
	case <-time.After(limit):
		return false
	}
}

// requestIDs returns the request ids in the replica's access log.
func (r *replica) requestIDs() (map[string]bool, error) {
	f, err := os.Open(r.logPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ids := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var line struct {
			Msg       string `json:"msg"`
			RequestID string `json:"request_id"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "http request" {
			ids[line.RequestID] = true
		}
	}
	return ids, sc.Err()
}

func (r *replica) logTail() string {
	b, _ := os.ReadFile(r.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

func (r *replica) sampleRSS() {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		if kb, err := procRSS(r.pid()); err == nil {
			r.mu.Lock()
			r.rss = append(r.rss, rssSample{time.Now(), kb})
			r.mu.Unlock()
			if r.rssCap > 0 && kb > r.rssCap && r.cappedAt.Load() == 0 {
				r.cappedAt.Store(kb)
				r.cmd.Process.Kill()
			}
		}
		select {
		case <-r.exited:
			return
		case <-tick.C:
		}
	}
}

// rssBetween returns the RSS samples (KiB) taken in [from, to).
func (r *replica) rssBetween(from, to time.Time) []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []int64
	for _, s := range r.rss {
		if !s.at.Before(from) && s.at.Before(to) {
			out = append(out, s.kb)
		}
	}
	return out
}

// peakRSS is the largest RSS sampled so far, in KiB.
func (r *replica) peakRSS() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var m int64
	for _, s := range r.rss {
		m = max(m, s.kb)
	}
	return m
}

// procRSS reads VmRSS (KiB) from /proc/PID/status.
func procRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat: 100
// on every Linux architecture Go supports.
const clockTicks = 100

// procCPU reads the process's user+system CPU time from /proc/PID/stat.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; the fields after its
	// closing parenthesis start with field 3 (state).
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, err2 := strconv.ParseInt(f[12], 10, 64) // field 15
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

func medianKB(xs []int64) int64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func mb(kb int64) string { return fmt.Sprintf("%.0f MB", float64(kb)/1024) }

// getJSON GETs url with a functional deadline and decodes the body into v.
func getJSON(ctx context.Context, c *http.Client, url string, v any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			return resp.StatusCode, fmt.Errorf("GET %s: %d %.200s: %w", url, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode, nil
}
