package redistest

import (
	"errors"
	"net"
	"testing"
)

// TestFaults checks the fault injections the load-and-fault harness relies
// on: a paused server accepts connections but never answers, a resumed one
// answers again, a killed one refuses, and a restarted one answers.
func TestFaults(t *testing.T) {
	s := Start(t)
	if err := ping(s.Addr); err != nil {
		t.Fatalf("fresh server: %v", err)
	}
	s.Pause()
	err := ping(s.Addr)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("paused server: got %v, want a timeout", err)
	}
	s.Resume()
	if err := ping(s.Addr); err != nil {
		t.Fatalf("resumed server: %v", err)
	}
	s.Kill()
	if s.PID() != 0 {
		t.Fatalf("killed server still has a pid")
	}
	if err := ping(s.Addr); err == nil {
		t.Fatalf("killed server answered")
	}
	s.Restart()
	if err := ping(s.Addr); err != nil {
		t.Fatalf("restarted server: %v", err)
	}
}
