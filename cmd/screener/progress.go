package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/cslscreen/screener/client"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// isTerminal reports whether w is a terminal (and not TERM=dumb). A
// character device is not enough: /dev/null is one.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && os.Getenv("TERM") != "dumb" && term.IsTerminal(int(f.Fd()))
}

// progress draws the batch command's progress bar on standard error: the
// bytes uploaded (or read), then the job's rows. Its methods may be called
// from any goroutine; when it is off they do nothing.
type progress struct {
	w  io.Writer
	on bool

	mu  sync.Mutex
	bar *progressbar.ProgressBar
	job bool // bar counts a job's rows, not bytes
}

func (p *progress) options(desc string) []progressbar.Option {
	return []progressbar.Option{
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionSetWidth(24),
		progressbar.OptionUseANSICodes(true),
		progressbar.OptionSpinnerType(14),
	}
}

// bytes starts a bar of size bytes (size ≤ 0: unknown, a spinner).
func (p *progress) bytes(desc string, size int64) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stop()
	p.bar = progressbar.NewOptions64(max(size, -1), append(p.options(desc),
		progressbar.OptionShowBytes(true), progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionSetRenderBlankState(true))...)
	p.job = false
}

// setBytes moves the bytes bar to n.
func (p *progress) setBytes(n int64) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil && !p.job {
		p.bar.Set64(n)
	}
}

// showJob draws the job's state. Rates and the time left come from the
// server's timings (client.Job.Rate), not from when this client polled.
func (p *progress) showJob(j *client.Job) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar == nil || !p.job || p.bar.GetMax64() != max(j.Rows, 1) {
		p.stop()
		p.bar = progressbar.NewOptions64(max(j.Rows, 1), append(p.options(""), progressbar.OptionSetPredictTime(false))...)
		p.job = true
	}
	// Unthrottled (one draw per poll). The line first: reaching the end
	// finishes the bar, which is then drawn no more.
	p.bar.Describe(jobLine(j, time.Now()))
	p.bar.Set64(min(j.RowsDone, max(j.Rows, 1)))
}

// done fills the bar (the work is complete) and ends its line, leaving it
// visible.
func (p *progress) done() {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Finish()
		fmt.Fprintln(p.w)
		p.bar = nil
	}
}

// clear erases the bar before other output.
func (p *progress) clear() {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stop()
}

func (p *progress) stop() {
	if p.bar != nil {
		p.bar.Exit()
		p.bar.Clear()
		p.bar = nil
	}
}

// jobLine describes a job: state, rows, rows per second, matches, errors
// and the time left.
func jobLine(j *client.Job, now time.Time) string {
	rate := j.Rate(now)
	eta := "--"
	switch {
	case j.RowsDone >= j.Rows:
		eta = "0s"
	case rate > 0:
		eta = time.Duration(float64(j.Rows-j.RowsDone) / rate * float64(time.Second)).Round(time.Second).String()
	}
	return numbers.Sprintf("%-8s %d/%d rows  %d rows/s  %d matches  %d errors  ETA %s",
		j.Status, j.RowsDone, j.Rows, int64(rate), j.RowsWithMatches, j.RowsWithErrors, eta)
}
