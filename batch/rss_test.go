//go:build rss

package batch

// The peak memory of the largest upload the service accepts. Not part of
// the ordinary test run (it writes about a gigabyte to a temporary
// directory and takes a minute or two):
//
//	go test -tags rss -run TestPeakRSS -v ./batch
//
// RSS_UPLOAD_BYTES sets the upload size (default 1 GiB, BATCH_MAX_BYTES's
// largest value) and RSS_LIMIT_MB the peak it must stay under (300).

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fatRows generates a CSV upload of rows just under MaxLineBytes (a name
// and a long notes column) until it holds total bytes, without keeping it.
type fatRows struct {
	total, sent int64
	n           int
	noise       []byte
	pending     []byte
}

func newFatRows(total int64) *fatRows {
	noise := make([]byte, 1<<20)
	rnd := rand.New(rand.NewPCG(1, 2))
	const letters = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ,.0123456789"
	for i := range noise {
		noise[i] = letters[rnd.IntN(len(letters))]
	}
	return &fatRows{total: total, noise: noise, pending: []byte("reference,name,notes\n")}
}

func (f *fatRows) Read(p []byte) (int, error) {
	if len(f.pending) == 0 {
		if f.sent+MaxLineBytes > f.total {
			return 0, io.EOF // the last row that fits
		}
		f.n++
		prefix := fmt.Sprintf("R%d,Customer %d,\"", f.n, f.n)
		size := MaxLineBytes - len(prefix) - 16
		off := (f.n * 7919) % (len(f.noise) - size)
		row := make([]byte, 0, MaxLineBytes)
		row = append(row, prefix...)
		row = append(row, f.noise[off:off+size]...)
		row = append(row, "\"\n"...)
		f.pending = row
	}
	n := copy(p, f.pending)
	f.pending = f.pending[n:]
	f.sent += int64(n)
	return n, nil
}

func vmHWM(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
	return 0
}

func envInt(name string, def int64) int64 {
	if v, err := strconv.ParseInt(os.Getenv(name), 10, 64); err == nil && v > 0 {
		return v
	}
	return def
}

func TestPeakRSS(t *testing.T) {
	total := envInt("RSS_UPLOAD_BYTES", 1<<30)
	limit := envInt("RSS_LIMIT_MB", 300) << 20
	st, err := NewFileStore(t.TempDir(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// The fake screener: the rows' names are short, and the memory in
	// question is the rows' text carried through chunks and results.
	m := New(Options{Store: st, rows: &fakeScreener{version: "v1"}, Logger: quietLog})
	run(t, m)
	start := time.Now()
	body, f, err := Open(newFatRows(total), Media{ContentType: "text/csv"}, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	j, err := m.Submit(context.Background(), Upload{Body: body, Format: f})
	if err != nil {
		t.Fatal(err)
	}
	afterSubmit := vmHWM(t)
	for deadline := time.Now().Add(10 * time.Minute); !j.Status.Finished(); {
		if time.Now().After(deadline) {
			t.Fatalf("job not finished in time: %+v", j)
		}
		time.Sleep(100 * time.Millisecond) // polling the job's state
		if j, err = m.Get(context.Background(), j.ID, ""); err != nil {
			t.Fatal(err)
		}
	}
	afterScreen := vmHWM(t)
	cw := &countingWriter{}
	w := bufio.NewWriter(cw)
	n, err := m.WriteResults(context.Background(), j, NewResultWriter(w, CSV, j), false)
	if err != nil || n != j.Rows {
		t.Fatalf("results: %d of %d rows, %v", n, j.Rows, err)
	}
	w.Flush()
	peak := vmHWM(t)
	t.Logf("upload %d MiB, %d rows, %d chunks (%s); results %d MiB; peak RSS after upload %d MiB, after screening %d MiB, after results %d MiB",
		total>>20, j.Rows, j.Chunks, time.Since(start).Round(time.Second), cw.n>>20, afterSubmit>>20, afterScreen>>20, peak>>20)
	if peak > limit {
		t.Errorf("peak RSS %d MiB, want under %d MiB", peak>>20, limit>>20)
	}
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }
