package pgtest

import (
	"context"
	"testing"
	"time"
)

// TestCPUTime checks that the server's CPU time is read and grows with
// work done by a backend.
func TestCPUTime(t *testing.T) {
	s := Start(t)
	before, err := s.CPUTime()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// about a second of a backend's CPU: enough ticks to be seen
	for {
		if err := s.Exec(ctx, "SELECT count(*) FROM generate_series(1, 3000000) g WHERE md5(g::text) > 'f'"); err != nil {
			t.Fatal(err)
		}
		after, err := s.CPUTime()
		if err != nil {
			t.Fatal(err)
		}
		if after-before >= 50*time.Millisecond {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("CPU time went from %v to %v after a minute of queries", before, after)
		}
	}
}
