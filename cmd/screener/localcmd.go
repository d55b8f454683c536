package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/cslscreen/screener/batch"
	"github.com/cslscreen/screener/client"
	"github.com/cslscreen/screener/lists"
	"github.com/cslscreen/screener/screening"
)

// runLocal screens the file in this process: the same reader, screening
// and result writer as the server, with chunks in a temporary directory.
func (b *batchRun) runLocal(ctx context.Context, in io.Reader, size int64, name, listFile string, threshold float64) int {
	if threshold == 0 {
		// The service's own configuration: MATCH_THRESHOLD read and
		// checked the one way the server reads it.
		e := envReader{getenv: os.Getenv}
		threshold = e.matchThreshold()
		if len(e.errs) > 0 {
			return b.errorf(2, "%v", e.errs[0])
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
	jobs, err := batch.NewFileStore(dir, 24*time.Hour)
	if err != nil {
		return b.errorf(3, "%v", err)
	}
	mgr := batch.New(batch.Options{Store: jobs, Catalog: catalog, Threshold: threshold, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { mgr.Run(runCtx); close(done) }()
	defer func() { cancel(); <-done; mgr.Close() }()

	b.bar.bytes("reading", size)
	counted := &countingReader{r: in, progress: b.bar.setBytes}
	content, inFormat, err := batch.Open(counted, batch.Media{Filename: name}, 1<<50)
	if err != nil {
		return b.errorf(3, "%v", err)
	}
	j, err := mgr.Submit(ctx, batch.Upload{Body: content, Format: inFormat})
	if err != nil {
		return b.errorf(3, "%v", err)
	}
	b.bar.done()
	fmt.Fprintf(b.stderr, "screener batch: job %s: %d rows against list version %s (%s, %d entries)\n", j.ID, j.Rows, j.ListVersion, list.Version.Origin, list.Version.Entries)
	for wait := 10 * time.Millisecond; !j.Status.Finished(); wait = min(2*wait, 200*time.Millisecond) {
		b.bar.showJob(clientJob(j))
		select {
		case <-ctx.Done():
			return b.errorf(3, "interrupted")
		case <-time.After(wait):
		}
		if j, err = mgr.Get(ctx, j.ID, ""); err != nil {
			return b.errorf(3, "%v", err)
		}
	}
	b.bar.showJob(clientJob(j))
	if j.Status != batch.Done {
		return b.errorf(1, "job %s %s: %s", j.ID, j.Status, j.Error)
	}
	b.bar.done()
	f := batch.Format(b.format)
	if f == "" {
		f = j.Format
	}
	pr, pw := io.Pipe()
	go func() {
		_, err := mgr.WriteResults(ctx, j, batch.NewResultWriter(pw, f, j), false)
		pw.CloseWithError(err)
	}()
	t, err := b.save(pr, string(f))
	pr.Close()
	if err != nil {
		return b.errorf(3, "write results: %v", err)
	}
	return b.finish(clientJob(j), t)
}

// clientJob is the job as the API shows it, for the progress bar and the
// summary the remote path prints.
func clientJob(j *batch.Job) *client.Job {
	var cj client.Job
	b, _ := json.Marshal(j)
	json.Unmarshal(b, &cj)
	return &cj
}
