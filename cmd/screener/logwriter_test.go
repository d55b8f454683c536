package main

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestLogWriterFlushesOnTickAndClose(t *testing.T) {
	// Held until a flush: with an interval far longer than the test, only
	// Close writes it out.
	var held lockedBuffer
	slow := newLogWriter(&held, time.Hour)
	slow.Write([]byte("held\n"))
	if held.String() != "" {
		t.Fatal("written before a flush")
	}
	slow.Close()
	if held.String() != "held\n" {
		t.Fatalf("not flushed on Close: %q", held.String())
	}

	var out lockedBuffer
	lw := newLogWriter(&out, 20*time.Millisecond)
	lw.Write([]byte("one\n"))
	deadline := time.Now().Add(2 * time.Second)
	for out.String() != "one\n" {
		if time.Now().After(deadline) {
			t.Fatalf("not flushed on tick: %q", out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 100; j++ {
				lw.Write([]byte("line\n"))
			}
		}()
	}
	wg.Wait()
	lw.Close()
	if n := strings.Count(out.String(), "line\n"); n != 800 {
		t.Fatalf("%d lines after Close, want 800", n)
	}
}
