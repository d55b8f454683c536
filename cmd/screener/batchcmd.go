package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cslscreen/screener/client"
)

// batchCmd screens a CSV or JSON lines file: on a running server (upload,
// poll, download), or in this process with --local. Exit codes: 0 done,
// 1 the job failed or was cancelled, 2 usage, 3 any other error.
func batchCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("batch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf clientFlags
	cf.register(fs)
	out := fs.String("o", "", "write the results to this file (default: standard output); a device or FIFO is written in place")
	format := fs.String("format", "", "results format: csv or jsonl (default: the input's format)")
	local := fs.Bool("local", false, "screen in this process instead of on a server")
	listFile := fs.String("list", os.Getenv("LIST_FILE"), "with --local: the CSL CSV or JSON (optionally .gz) to screen against (env LIST_FILE; default: the small built-in snapshot)")
	threshold := fs.Float64("threshold", 0, "with --local: minimum match score (default: MATCH_THRESHOLD or the matcher's default)")
	progressMode := fs.String("progress", "auto", "progress bar on standard error: auto (on a terminal), always or never")
	poll := fs.Duration("poll", time.Second, "how often to ask the server for the job's progress")
	noGzip := fs.Bool("no-gzip", false, "send the file uncompressed (it is gzip-compressed on the wire by default)")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: screener batch [flags] FILE
  Screens every row of a CSV (with a "name" column; optional reference or id,
  country, type; other columns are passed through) or JSON lines file, on the
  server (--server, --api-key) or in this process (--local). FILE may be
  gzip-compressed, or - for standard input. Results are written in input
  order, one row per input row, each with its status (match, clear,
  unscreenable or error) and warnings. Flags may also follow FILE.
  Answers 429 and 503 are retried as the server's Retry-After says.
  Exit codes: 0 done, 1 the job failed or was cancelled, 2 usage, 3 error.

`)
		fs.PrintDefaults()
	}
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			return exitUsage
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(files) != 1 {
		fs.Usage()
		return exitUsage
	}
	var resFormat string
	if *format != "" {
		f, ok := parseFormat(*format)
		if !ok {
			fmt.Fprintf(stderr, "screener batch: --format %q: want csv or jsonl\n", *format)
			return exitUsage
		}
		resFormat = f
	}
	var showProgress bool
	switch *progressMode {
	case "auto":
		showProgress = isTerminal(stderr)
	case "always":
		showProgress = true
	case "never":
	default:
		fmt.Fprintf(stderr, "screener batch: --progress %q: want auto, always or never\n", *progressMode)
		return exitUsage
	}
	var c *client.Client
	if !*local {
		var err error
		if c, err = cf.client(); err != nil {
			fmt.Fprintf(stderr, "screener batch: --server: %v\n", err)
			return exitUsage
		}
	}

	in, size, name, err := openInput(files[0], stdin)
	if err != nil {
		fmt.Fprintf(stderr, "screener batch: %v\n", err)
		return exitError
	}
	defer in.Close()
	// -o is checked before anything is uploaded or screened.
	o, err := openOutput(*out, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "screener batch: %v\n", err)
		return exitError
	}
	defer o.abort()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	b := &batchRun{stderr: stderr, out: o, format: resFormat, bar: &progress{w: stderr, on: showProgress}}
	if *local {
		return b.runLocal(ctx, in, size, name, *listFile, *threshold)
	}
	return b.runRemote(ctx, c, in, size, name, *poll, !*noGzip)
}

// parseFormat reads --format: csv, or jsonl and its other names.
func parseFormat(s string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "csv":
		return "csv", true
	case "jsonl", "ndjson", "json-lines", "jsonlines":
		return "jsonl", true
	}
	return "", false
}

// batchRun is one run of the batch command.
type batchRun struct {
	stderr io.Writer
	out    *output
	format string // of the results; "": the input's
	bar    *progress
}

func (b *batchRun) errorf(code int, format string, args ...any) int {
	b.bar.clear()
	fmt.Fprintf(b.stderr, "screener batch: "+format+"\n", args...)
	return code
}

func openInput(path string, stdin io.Reader) (io.ReadCloser, int64, string, error) {
	if path == "-" {
		return io.NopCloser(stdin), -1, "", nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, "", err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, "", err
	}
	if st.IsDir() {
		f.Close()
		return nil, 0, "", fmt.Errorf("%s is a directory", path)
	}
	if !st.Mode().IsRegular() {
		return f, -1, filepath.Base(path), nil // a FIFO or device: no size
	}
	return f, st.Size(), filepath.Base(path), nil
}

// runRemote uploads the file, waits for the job and downloads its results.
func (b *batchRun) runRemote(ctx context.Context, c *client.Client, in io.Reader, size int64, name string, poll time.Duration, gz bool) int {
	b.bar.bytes("uploading", size)
	j, err := c.SubmitBatch(ctx, in, client.BatchOptions{Name: name, Size: size, Gzip: gz, Progress: b.bar.setBytes})
	if err != nil {
		var p *client.Problem
		if errors.As(err, &p) {
			return b.errorf(exitError, "upload refused: %v", err)
		}
		return b.errorf(exitError, "upload to %s: %v", c.BaseURL(), err)
	}
	b.bar.done()
	fmt.Fprintf(b.stderr, "screener batch: job %s: %s rows queued against list version %s\n", j.ID, numbers.Sprint(j.Rows), j.ListVersion)

	id := j.ID
	b.bar.showJob(j)
	j, err = c.Wait(ctx, id, poll, b.bar.showJob)
	if err != nil {
		if ctx.Err() != nil {
			return b.errorf(exitError, "interrupted; job %s goes on on the server (GET %s/v1/batches/%s)", id, c.BaseURL(), id)
		}
		return b.errorf(exitError, "job %s: %v", id, err)
	}
	if j.Status != client.JobDone {
		return b.errorf(exitNoMatch, "job %s %s: %s (%d of %d rows screened)", j.ID, j.Status, j.Error, j.RowsDone, j.Rows)
	}
	b.bar.done()

	f := b.format
	if f == "" {
		f = j.Format
	}
	pr, pw := io.Pipe()
	go func() {
		_, err := c.Results(ctx, j.ID, pw, f)
		pw.CloseWithError(err)
	}()
	t, err := b.save(pr, f)
	pr.CloseWithError(errors.New("stopped reading")) // ends the download if save failed
	if err != nil {
		return b.errorf(exitError, "job %s: download results: %v", j.ID, err)
	}
	return b.finish(j, t)
}

// tally counts the results' rows by status.
type tally struct {
	rows     int64
	byStatus map[string]int64
}

// save writes the results to the output and counts their rows.
func (b *batchRun) save(r io.Reader, format string) (tally, error) {
	w, err := b.out.writer()
	if err != nil {
		return tally{}, err
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	t, err := countRows(io.TeeReader(r, bw), format)
	if err != nil {
		return t, err
	}
	if err := bw.Flush(); err != nil {
		return t, err
	}
	return t, b.out.commit()
}

// countRows reads results to the end and counts their data rows, by the
// status column.
func countRows(r io.Reader, format string) (tally, error) {
	t := tally{byStatus: map[string]int64{}}
	if format == "jsonl" {
		dec := json.NewDecoder(bufio.NewReaderSize(r, 256<<10))
		for {
			var row struct {
				Status string `json:"status"`
			}
			err := dec.Decode(&row)
			if err == io.EOF {
				return t, nil
			}
			if err != nil {
				return t, fmt.Errorf("results row %d: %w", t.rows+1, err)
			}
			t.rows++
			t.byStatus[row.Status]++
		}
	}
	cr := csv.NewReader(bufio.NewReaderSize(r, 256<<10))
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err == io.EOF {
		return t, nil
	}
	if err != nil {
		return t, err
	}
	status := -1
	for i, h := range header {
		if h == "status" {
			status = i
			break
		}
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return t, nil
		}
		if err != nil {
			return t, err
		}
		t.rows++
		if status >= 0 && status < len(rec) {
			t.byStatus[rec[status]]++
		}
	}
}

// finish checks the results hold every row and prints the summary. The
// time and rate are the server's (the job's start and finish), not this
// command's, which include the upload, the polling and the download.
func (b *batchRun) finish(j *client.Job, t tally) int {
	if t.rows != j.Rows {
		return b.errorf(exitError, "job %s: the results hold %d rows, the job %d", j.ID, t.rows, j.Rows)
	}
	took := j.Elapsed(time.Now())
	msg := numbers.Sprintf("screener batch: job %s done: %d rows in %s (%d rows/s), %d with matches, %d errors",
		j.ID, j.Rows, took.Round(time.Millisecond), int64(j.Rate(time.Now())), j.RowsWithMatches, j.RowsWithErrors)
	if n := t.byStatus[string(client.StatusUnscreenable)]; n > 0 {
		msg += numbers.Sprintf(", %d UNSCREENABLE (neither cleared nor matched)", n)
	}
	fmt.Fprintf(b.stderr, "%s; results in %s (list version %s)\n", msg, b.out.where(), j.ListVersion)
	return exitOK
}

// countingReader counts the bytes read and reports them to progress.
type countingReader struct {
	r        io.Reader
	n        atomic.Int64
	progress func(int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	total := c.n.Add(int64(n))
	if c.progress != nil {
		c.progress(total)
	}
	return n, err
}
