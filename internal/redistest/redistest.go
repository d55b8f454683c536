// Package redistest starts a real redis-server on a free loopback port for a
// test and stops it when the test ends.
package redistest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Server is a running redis-server.
type Server struct {
	Addr string // host:port
	Port int
	Dir  string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	tb   testing.TB
}

// URL returns the redis:// URL of the server.
func (s *Server) URL() string { return "redis://" + s.Addr }

// Start runs redis-server on a free port for the rest of the test. Without a
// redis-server binary the test is skipped, except under CI=true where that
// is a failure: CI installs it.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("redis-server not found on PATH: required under CI=true (apt-get install -y redis-server)")
		}
		tb.Skip("redis-server not found on PATH; install it (apt-get install -y redis-server) to run this test")
	}
	s := &Server{Dir: tb.TempDir(), tb: tb}
	for attempt := 0; ; attempt++ {
		port, err := freePort()
		if err != nil {
			tb.Fatalf("redistest: free port: %v", err)
		}
		s.Port = port
		s.Addr = "127.0.0.1:" + strconv.Itoa(port)
		if err := s.start(bin); err == nil {
			break
		} else if attempt == 4 {
			tb.Fatalf("redistest: %v", err)
		}
	}
	tb.Cleanup(s.Stop)
	return s
}

func (s *Server) start(bin string) error {
	s.cmd = exec.Command(bin,
		"--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.Dir,
		"--protected-mode", "yes", "--loglevel", "warning")
	logf, err := os.Create(filepath.Join(s.Dir, "redis.log"))
	if err != nil {
		return err
	}
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	done := make(chan struct{})
	s.done = done
	go func(c *exec.Cmd) { c.Wait(); logf.Close(); close(done) }(s.cmd)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if ping(s.Addr) == nil {
			return nil
		}
		select {
		case <-done: // exited: the port was taken, most likely
			deadline = time.Time{}
		case <-time.After(20 * time.Millisecond):
		}
	}
	s.Stop()
	b, _ := os.ReadFile(filepath.Join(s.Dir, "redis.log"))
	return fmt.Errorf("redis-server on %s did not come up: %s", s.Addr, b)
}

// Stop kills the server; the test can Restart it on the same port.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

// Signal sends sig to the server process: SIGSTOP and SIGCONT let a test
// see how its client copes with a Redis that hangs. Stop works on a stopped
// server too.
func (s *Server) Signal(sig os.Signal) error {
	if s.cmd == nil || s.cmd.Process == nil {
		return fmt.Errorf("redistest: server not running")
	}
	return s.cmd.Process.Signal(sig)
}

// Kill sends SIGKILL, as a crash would: nothing is flushed, clients see
// their connections reset. The test can Restart it on the same port.
func (s *Server) Kill() { s.Stop() }

// Pause sends SIGSTOP: the server hangs with its connections open, as a
// stuck or swapping Redis would; clients see timeouts, not errors.
func (s *Server) Pause() { s.signal(syscall.SIGSTOP) }

// Resume sends SIGCONT to a paused server; it answers what was queued.
func (s *Server) Resume() { s.signal(syscall.SIGCONT) }

// PID is the server's process id, 0 when it is not running.
func (s *Server) PID() int {
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

func (s *Server) signal(sig syscall.Signal) {
	s.tb.Helper()
	if s.cmd == nil || s.cmd.Process == nil {
		s.tb.Fatalf("redistest: %v: the server is not running", sig)
	}
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.tb.Fatalf("redistest: %v: %v", sig, err)
	}
}

// Restart starts the server again on the same port (empty: no persistence).
func (s *Server) Restart() {
	s.tb.Helper()
	s.Stop()
	bin, _ := exec.LookPath("redis-server")
	var err error
	for i := 0; i < 50; i++ { // the port may linger briefly
		if err = s.start(bin); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.tb.Fatalf("redistest: restart: %v", err)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("unexpected reply %q", line)
	}
	return nil
}
