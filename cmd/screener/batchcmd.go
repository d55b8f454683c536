package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cslscreen/screener/batch"
	"github.com/cslscreen/screener/lists"
	"github.com/cslscreen/screener/screening"
)

// batchCmd screens a CSV or JSON lines file: on a running server (upload,
// poll, download), or in this process with --local. Exit codes: 0 done,
// 1 the job failed or was cancelled, 2 usage, 3 any other error.
func batchCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("batch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf clientFlags
	cf.register(fs)
	out := fs.String("o", "", "write the results to this file (default: standard output)")
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
  order, one row per input row. Flags may also follow FILE.

`)
		fs.PrintDefaults()
	}
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(files) != 1 {
		fs.Usage()
		return 2
	}
	var resFormat batch.Format
	if *format != "" {
		f, ok := batch.ParseFormat(*format)
		if !ok {
			fmt.Fprintf(stderr, "screener batch: --format %q: want csv or jsonl\n", *format)
			return 2
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
		return 2
	}

	in, size, name, err := openInput(files[0], stdin)
	if err != nil {
		fmt.Fprintf(stderr, "screener batch: %v\n", err)
		return 3
	}
	defer in.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	b := &batchRun{stderr: stderr, out: *out, stdout: stdout, format: resFormat, bar: &progressBar{w: stderr, on: showProgress}}
	if *local {
		return b.runLocal(ctx, in, size, name, *listFile, *threshold)
	}
	return b.runRemote(ctx, &cf, in, size, name, *poll, !*noGzip)
}

// batchRun is one run of the batch command.
type batchRun struct {
	stderr, stdout io.Writer
	out            string
	format         batch.Format
	bar            *progressBar
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
	return f, st.Size(), filepath.Base(path), nil
}

// runRemote uploads the file, waits for the job and downloads its results.
func (b *batchRun) runRemote(ctx context.Context, cf *clientFlags, in io.Reader, size int64, name string, poll time.Duration, gz bool) int {
	client := &http.Client{}
	// Upload, streaming: the file is never held in memory.
	counted := &countingReader{r: in}
	br := bufio.NewReaderSize(counted, 64<<10)
	head, _ := br.Peek(2)
	alreadyGzip := len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b
	var body io.Reader = br
	encoding := ""
	if gz && !alreadyGzip {
		pr, pw := io.Pipe()
		go func() {
			zw, _ := gzip.NewWriterLevel(pw, gzip.BestSpeed)
			_, err := io.Copy(zw, br)
			if err == nil {
				err = zw.Close()
			}
			pw.CloseWithError(err)
		}()
		body, encoding = pr, "gzip"
	}
	path := "/v1/batches"
	if name != "" {
		path += "?filename=" + url.QueryEscape(name)
	}
	req, err := cf.request(ctx, http.MethodPost, path, body, uploadType(name))
	if err != nil {
		return b.errorf(2, "%v", err)
	}
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	req.Header.Set("Accept", "application/json")
	stopUpload := b.bar.every(200*time.Millisecond, func() string {
		return uploadLine(counted.n.Load(), size)
	})
	resp, err := client.Do(req)
	stopUpload()
	if err != nil {
		return b.errorf(3, "upload to %s: %v", cf.server, err)
	}
	if resp.StatusCode != http.StatusAccepted {
		defer resp.Body.Close()
		return b.errorf(3, "upload refused: %v", problemError(resp))
	}
	var j batch.Job
	err = json.NewDecoder(resp.Body).Decode(&j)
	resp.Body.Close()
	if err != nil {
		return b.errorf(3, "bad response to the upload: %v", err)
	}
	b.bar.clear()
	fmt.Fprintf(b.stderr, "screener batch: job %s: %d rows queued against list version %s\n", j.ID, j.Rows, j.ListVersion)

	// Wait for it.
	queued := time.Now()
	failures := 0
	for !j.Status.Finished() {
		b.bar.show(jobLine(&j, queued))
		select {
		case <-ctx.Done():
			return b.errorf(3, "interrupted; job %s goes on on the server (GET %s/v1/batches/%s)", j.ID, cf.server, j.ID)
		case <-time.After(poll):
		}
		next, err := b.status(ctx, client, cf, j.ID)
		if err != nil {
			if failures++; failures >= 5 {
				return b.errorf(3, "job %s: %v", j.ID, err)
			}
			continue
		}
		failures = 0
		j = *next
	}
	b.bar.show(jobLine(&j, queued))
	if j.Status != batch.Done {
		return b.errorf(1, "job %s %s: %s (%d of %d rows screened)", j.ID, j.Status, j.Error, j.RowsDone, j.Rows)
	}

	// Download.
	f := b.format
	if f == "" {
		f = j.Format
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err = cf.request(rctx, http.MethodGet, "/v1/batches/"+j.ID+"/results?format="+string(f), nil, "")
	if err != nil {
		return b.errorf(3, "%v", err)
	}
	resp, err = client.Do(req)
	if err != nil {
		return b.errorf(3, "download results: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return b.errorf(3, "download results: %v", problemError(resp))
	}
	n, err := b.save(resp.Body, f)
	if err != nil {
		return b.errorf(3, "job %s: download results: %v", j.ID, err)
	}
	return b.finish(&j, n, queued)
}

func (b *batchRun) status(ctx context.Context, client *http.Client, cf *clientFlags, id string) (*batch.Job, error) {
	ctx, cancel := context.WithTimeout(ctx, cf.timeout)
	defer cancel()
	req, err := cf.request(ctx, http.MethodGet, "/v1/batches/"+id, nil, "")
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, problemError(resp)
	}
	var j batch.Job
	if err := json.NewDecoder(resp.Body).Decode(&j); err != nil {
		return nil, err
	}
	return &j, nil
}

// uploadType labels the upload by its file name; the server sniffs the
// content of anything else.
func uploadType(name string) string {
	n := strings.TrimSuffix(strings.ToLower(name), ".gz")
	switch filepath.Ext(n) {
	case ".csv", ".tsv", ".txt":
		return "text/csv"
	case ".jsonl", ".ndjson", ".json", ".jsonlines":
		return "application/x-ndjson"
	}
	return "application/octet-stream"
}

// runLocal screens the file in this process: the same reader, screening
// and result writer as the server, with chunks in a temporary directory.
func (b *batchRun) runLocal(ctx context.Context, in io.Reader, size int64, name, listFile string, threshold float64) int {
	if threshold == 0 {
		if v := os.Getenv("MATCH_THRESHOLD"); v != "" {
			t, err := strconv.ParseFloat(v, 64)
			if err != nil || t <= 0 || t > 1 {
				return b.errorf(2, "MATCH_THRESHOLD=%q: want a number above 0 and at most 1", v)
			}
			threshold = t
		}
	}
	var list *lists.List
	if listFile != "" {
		l, err := (&lists.FileSource{Path: listFile}).Fetch(ctx, nil)
		if err != nil {
			return b.errorf(3, "load the list: %v", err)
		}
		list = l
	} else {
		list = lists.Embedded()
		fmt.Fprintln(b.stderr, "screener batch: screening against the small built-in snapshot, NOT a full list; pass --list or set LIST_FILE")
	}
	catalog := &screening.Catalog{}
	catalog.Load(list)
	dir, err := os.MkdirTemp("", "screener-batch-local-*")
	if err != nil {
		return b.errorf(3, "%v", err)
	}
	defer os.RemoveAll(dir)
	jobs, err := batch.NewMemoryStore(dir, 24*time.Hour)
	if err != nil {
		return b.errorf(3, "%v", err)
	}
	mgr := batch.New(batch.Options{Store: jobs, Catalog: catalog, Threshold: threshold, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { mgr.Run(runCtx); close(done) }()
	defer func() { cancel(); <-done; mgr.Close() }()

	counted := &countingReader{r: in}
	content, inFormat, err := batch.Open(counted, batch.Media{Filename: name}, 1<<50)
	if err != nil {
		return b.errorf(3, "%v", err)
	}
	stopRead := b.bar.every(200*time.Millisecond, func() string { return readLine(counted.n.Load(), size) })
	queued := time.Now()
	j, err := mgr.Submit(ctx, batch.Upload{Body: content, Format: inFormat})
	stopRead()
	if err != nil {
		return b.errorf(3, "%v", err)
	}
	b.bar.clear()
	fmt.Fprintf(b.stderr, "screener batch: job %s: %d rows against list version %s (%s, %d entries)\n", j.ID, j.Rows, j.ListVersion, list.Version.Origin, list.Version.Entries)
	for wait := 10 * time.Millisecond; !j.Status.Finished(); wait = min(2*wait, 200*time.Millisecond) {
		b.bar.show(jobLine(j, queued))
		select {
		case <-ctx.Done():
			return b.errorf(3, "interrupted")
		case <-time.After(wait):
		}
		if j, err = mgr.Get(ctx, j.ID, ""); err != nil {
			return b.errorf(3, "%v", err)
		}
	}
	b.bar.show(jobLine(j, queued))
	if j.Status != batch.Done {
		return b.errorf(1, "job %s %s: %s", j.ID, j.Status, j.Error)
	}
	f := b.format
	if f == "" {
		f = j.Format
	}
	pr, pw := io.Pipe()
	go func() {
		_, err := mgr.WriteResults(ctx, j, batch.NewResultWriter(pw, f, j), false)
		pw.CloseWithError(err)
	}()
	n, err := b.save(pr, f)
	pr.Close()
	if err != nil {
		return b.errorf(3, "write results: %v", err)
	}
	return b.finish(j, n, queued)
}

// save writes the results to -o (through a temporary file renamed at the
// end, so a failed run never leaves a file that looks complete) or standard
// output, and returns the data rows it holds.
func (b *batchRun) save(r io.Reader, f batch.Format) (int64, error) {
	var w io.Writer = b.stdout
	var tmp *os.File
	if b.out != "" && b.out != "-" {
		var err error
		tmp, err = os.CreateTemp(filepath.Dir(b.out), "."+filepath.Base(b.out)+".*")
		if err != nil {
			return 0, err
		}
		defer func() {
			if tmp != nil {
				tmp.Close()
				os.Remove(tmp.Name())
			}
		}()
		w = tmp
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	n, err := countRows(io.TeeReader(r, bw), f)
	if err != nil {
		return n, err
	}
	if err := bw.Flush(); err != nil {
		return n, err
	}
	if tmp != nil {
		if err := tmp.Close(); err != nil {
			return n, err
		}
		if err := os.Rename(tmp.Name(), b.out); err != nil {
			return n, err
		}
		tmp = nil
	}
	return n, nil
}

// countRows reads results to the end and counts their data rows.
func countRows(r io.Reader, f batch.Format) (int64, error) {
	if f == batch.JSONL {
		var n int64
		br := bufio.NewReaderSize(r, 256<<10)
		for {
			line, err := br.ReadSlice('\n')
			if len(line) > 0 && line[len(line)-1] == '\n' {
				n++
			}
			if err == io.EOF {
				return n, nil
			}
			if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
				return n, err
			}
		}
	}
	cr := csv.NewReader(bufio.NewReaderSize(r, 256<<10))
	cr.ReuseRecord = true
	var n int64 = -1 // the header
	for {
		_, err := cr.Read()
		if err == io.EOF {
			return max(n, 0), nil
		}
		if err != nil {
			return n, err
		}
		n++
	}
}

func (b *batchRun) finish(j *batch.Job, n int64, queued time.Time) int {
	b.bar.done()
	if n != j.Rows {
		return b.errorf(3, "job %s: the results hold %d rows, the job %d", j.ID, n, j.Rows)
	}
	took := time.Since(queued)
	where := "standard output"
	if b.out != "" && b.out != "-" {
		where = b.out
	}
	fmt.Fprintf(b.stderr, "screener batch: job %s done: %s rows in %s (%s rows/s), %s with matches, %s errors; results in %s (list version %s)\n",
		j.ID, thousands(j.Rows), took.Round(100*time.Millisecond), thousands(int64(float64(j.Rows)/max(took.Seconds(), 0.001))),
		thousands(j.RowsWithMatches), thousands(j.RowsWithErrors), where, j.ListVersion)
	return 0
}

type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("TERM") == "dumb" {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressBar redraws one status line on a terminal.
type progressBar struct {
	w     io.Writer
	on    bool
	drawn bool
}

func (p *progressBar) show(line string) {
	if !p.on {
		return
	}
	fmt.Fprint(p.w, "\r\033[K"+line)
	p.drawn = true
}

// clear erases the line before other output.
func (p *progressBar) clear() {
	if p.on && p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
}

// done ends the line, leaving the last state visible.
func (p *progressBar) done() {
	if p.on && p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}

// every redraws line() until the returned stop is called.
func (p *progressBar) every(d time.Duration, line func() string) (stop func()) {
	if !p.on {
		return func() {}
	}
	quit, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			p.show(line())
			select {
			case <-quit:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(quit); <-finished }
}

func bar(frac float64, width int) string {
	frac = min(max(frac, 0), 1)
	full := int(frac * float64(width))
	return "[" + strings.Repeat("█", full) + strings.Repeat("░", width-full) + "]"
}

func uploadLine(n, size int64) string {
	if size > 0 {
		return fmt.Sprintf("uploading %s %3.0f%% %s of %s", bar(float64(n)/float64(size), 24), 100*float64(n)/float64(size), mb(n), mb(size))
	}
	return "uploading " + mb(n)
}

func readLine(n, size int64) string {
	if size > 0 {
		return fmt.Sprintf("reading   %s %3.0f%% %s of %s", bar(float64(n)/float64(size), 24), 100*float64(n)/float64(size), mb(n), mb(size))
	}
	return "reading " + mb(n)
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }

// jobLine is the progress line of a job: share done, rows, rows per
// second, matches and errors so far, and the time left.
func jobLine(j *batch.Job, since time.Time) string {
	frac := 1.0
	if j.Rows > 0 {
		frac = float64(j.RowsDone) / float64(j.Rows)
	}
	el := time.Since(since).Seconds()
	rate := float64(j.RowsDone) / max(el, 0.001)
	eta := "--"
	if rate > 0 && j.RowsDone < j.Rows {
		eta = (time.Duration(float64(j.Rows-j.RowsDone)/rate) * time.Second).Round(time.Second).String()
	} else if j.RowsDone >= j.Rows {
		eta = "0s"
	}
	return fmt.Sprintf("%-9s %s %3.0f%% %s/%s rows  %s rows/s  %s matches  %s errors  ETA %s",
		j.Status, bar(frac, 24), 100*frac, thousands(j.RowsDone), thousands(j.Rows), thousands(int64(rate)),
		thousands(j.RowsWithMatches), thousands(j.RowsWithErrors), eta)
}

// thousands writes n with thousands separators.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
