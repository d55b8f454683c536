package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cslscreen/screener/internal/fixtures"
	"github.com/cslscreen/screener/lists"
	"github.com/cslscreen/screener/service"
)

// The tests here run the real binary, as a new user would: start-up is
// about the process (its exit code, its first answers), not only Main.

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// screenerBinary builds the binary once per test run.
func screenerBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "screener-bin-*")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "screener")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// freeAddr returns a loopback address nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// runBinary starts the binary with env and waits until it answers
// /healthz, or fails the test with its output.
func runBinary(t *testing.T, env ...string) (addr string) {
	t.Helper()
	addr = freeAddr(t)
	cmd := exec.Command(screenerBinary(t))
	cmd.Env = append(os.Environ(), append([]string{"LISTEN_ADDR=" + addr, "SHUTDOWN_TIMEOUT=2s"}, env...)...)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	var logMu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logMu.Lock()
			logs.WriteString(sc.Text() + "\n")
			logMu.Unlock()
		}
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			return addr
		}
		select {
		case err := <-exited:
			logMu.Lock()
			defer logMu.Unlock()
			t.Fatalf("the binary exited (%v):\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the binary did not answer /healthz in time")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func postScreen(t *testing.T, addr, body string) service.ScreenResponse {
	t.Helper()
	resp, err := http.Post("http://"+addr+"/v1/screen", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %s", body, resp.StatusCode, b)
	}
	var sr service.ScreenResponse
	if err := json.Unmarshal(b, &sr); err != nil {
		t.Fatal(err)
	}
	return sr
}

func hasWarning(sr service.ScreenResponse, code string) bool {
	for _, w := range sr.Warnings {
		if w.Code == code {
			return true
		}
	}
	return false
}

// With no reachable list, the binary still starts and answers, but every
// answer without a match says unscreenable, and it is not ready.
func TestBinaryWithoutAListIsLoudAboutIt(t *testing.T) {
	addr := runBinary(t, "LIST_URL=http://127.0.0.1:9/x", "LIST_FILE=", "REDIS_URL=")
	sr := postScreen(t, addr, `{"name":"Huawei Technologies"}`)
	if sr.Status != "unscreenable" || !hasWarning(sr, "builtin_list") || !sr.List.Builtin || sr.List.Entries != 3 {
		t.Errorf("Huawei on the built-in snapshot: status %q warnings %+v list %+v", sr.Status, sr.Warnings, sr.List)
	}
	if sr := postScreen(t, addr, `{"name":"Kaspersky Lab"}`); sr.Status != "match" || !hasWarning(sr, "builtin_list") {
		t.Errorf("Kaspersky on the built-in snapshot: status %q warnings %+v", sr.Status, sr.Warnings)
	}
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	var r service.Readiness
	json.NewDecoder(resp.Body).Decode(&r)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(r.Reason, "built-in") {
		t.Errorf("/readyz = %d %+v, want 503 naming the built-in snapshot", resp.StatusCode, r)
	}
	head, err := http.Head("http://" + addr + "/healthz")
	if err != nil || head.StatusCode != http.StatusOK {
		t.Errorf("HEAD /healthz = %v %v", head.StatusCode, err)
	}
}

func TestBinaryReadyOnBuiltinForDemos(t *testing.T) {
	addr := runBinary(t, "LIST_URL=off", "READY_ON_BUILTIN=on")
	resp, err := http.Head("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Errorf("HEAD /readyz with READY_ON_BUILTIN = %d", resp.StatusCode)
	}
}

func TestBinaryRefusesAnUnreadableListFile(t *testing.T) {
	cmd := exec.Command(screenerBinary(t))
	cmd.Env = append(os.Environ(), "LISTEN_ADDR="+freeAddr(t), "LIST_FILE=/dev/null", "LIST_URL=off")
	done := make(chan struct{})
	var combined []byte
	var err error
	go func() { combined, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the binary kept running with LIST_FILE=/dev/null")
	}
	if err == nil {
		t.Fatalf("exit 0 with LIST_FILE=/dev/null:\n%s", combined)
	}
	if !strings.Contains(string(combined), "/dev/null") {
		t.Errorf("the error does not name the file:\n%s", combined)
	}
}

// With the full list: a name that cannot be read is unscreenable, a listed
// name is a match, an unlisted one is clear, and the longest CSL name
// (pasted whole) is found.
func TestBinaryFullListStatuses(t *testing.T) {
	full := fixtures.FullCSL(t)
	addr := runBinary(t, "LIST_FILE="+full, "LIST_URL=off")
	for _, tc := range []struct{ name, status string }{
		{"!!!", "unscreenable"},
		{"😀", "unscreenable"},
		{"LLC", "unscreenable"},
		{"บริษัท ไทยเบฟเวอเรจ", "unscreenable"}, // Thai is not read
		{"华为技术有限公司", "match"},                   // Chinese is read in pinyin
		{"Huawei Technologies", "match"},
		{"Acme Bakery GmbH", "clear"},
	} {
		sr := postScreen(t, addr, `{"name":`+jsonString(tc.name)+`}`)
		if string(sr.Status) != tc.status {
			t.Errorf("%q: status %q (warnings %+v), want %s", tc.name, sr.Status, sr.Warnings, tc.status)
		}
		if sr.List.Builtin || sr.List.Entries < 10000 || sr.List.Version != sr.ListVersion {
			t.Errorf("%q: list %+v", tc.name, sr.List)
		}
	}
	longest := longestListedName(t, addr)
	sr := postScreen(t, addr, `{"name":`+jsonString(longest)+`}`)
	if sr.Status != "match" {
		t.Errorf("the longest listed name (%d characters) was not found: %+v", len([]rune(longest)), sr)
	}
}

// longestListedName finds the longest primary name in the fixture the
// binary serves.
func longestListedName(t *testing.T, _ string) string {
	t.Helper()
	l, err := (&lists.FileSource{Path: fixtures.FullCSL(t)}).Fetch(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	longest := ""
	for i := range l.Entries {
		if n := l.Entries[i].Name; len([]rune(n)) > len([]rune(longest)) {
			longest = n
		}
	}
	if len([]rune(longest)) <= 300 {
		t.Fatalf("the fixture's longest name has %d characters; expected the 366/384-character ministries", len([]rune(longest)))
	}
	return longest
}
