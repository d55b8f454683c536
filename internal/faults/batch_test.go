//go:build faults

package faults

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/cslscreen/screener/internal/redistest"
)

type batchStatus struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Rows     int    `json:"rows"`
	RowsDone int    `json:"rows_done"`
	Error    string `json:"error"`
}

// testBatchSIGKILL uploads a batch (100,000 rows; 20,000 with -short) to
// replica A of two sharing Redis, kills A with SIGKILL once a fifth of the
// rows are done, and checks that B finishes the job with every row exactly
// once, in order.
func testBatchSIGKILL(t *testing.T) {
	rows := 100_000
	if testing.Short() {
		rows = 20_000
	}
	r := newRow(t, fmt.Sprintf("SIGKILL to replica A of 2 mid-batch (%d rows, BATCH_CLAIM_TIMEOUT 3s)", rows))
	env, _ := listEnv(t)
	env["REDIS_URL"] = redistest.Start(t).URL()
	env["BATCH_CLAIM_TIMEOUT"] = "3s"
	a, b := startReplica(t, "A", env), startReplica(t, "B", env)

	var in bytes.Buffer
	in.WriteString("reference,name,country\n")
	for i := range rows {
		fmt.Fprintf(&in, "R%07d,%s %d,US\n", i+1, names[i%len(names)], i)
	}
	resp, err := http.Post(a.base+"/v1/batches", "text/csv", &in)
	if err != nil {
		t.Fatal(err)
	}
	var st batchStatus
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || json.Unmarshal(body, &st) != nil || st.ID == "" {
		t.Fatalf("upload: %d %s", resp.StatusCode, body)
	}
	start := time.Now()
	c := &http.Client{Timeout: 10 * time.Second}
	poll := func(until func(batchStatus) bool, limit time.Duration) batchStatus {
		deadline := time.Now().Add(limit)
		for {
			var s batchStatus
			if _, err := getJSON(context.Background(), c, b.base+"/v1/batches/"+st.ID, &s); err == nil && until(s) {
				return s
			}
			if time.Now().After(deadline) {
				t.Fatalf("batch %s: condition not reached within %v (last %+v)", st.ID, limit, s)
			}
			<-time.After(100 * time.Millisecond)
		}
	}
	s := poll(func(s batchStatus) bool { return s.RowsDone >= rows/5 || s.Status == "done" }, 10*time.Minute)
	r.check(t, s.Status != "done", "the job finished before the kill (%+v); nothing was tested", s)
	if err := a.signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	a.waitExit(10 * time.Second)
	r.note(t, "killed A at %d of %d rows done, %v after the upload", s.RowsDone, rows, time.Since(start).Round(time.Millisecond))
	s = poll(func(s batchStatus) bool { return s.Status == "done" || s.Status == "failed" || s.Status == "cancelled" }, 20*time.Minute)
	r.note(t, "job %s after %v (%.0f rows/s overall)", s.Status, time.Since(start).Round(time.Millisecond), float64(rows)/time.Since(start).Seconds())
	r.check(t, s.Status == "done", "job ended %q: %s", s.Status, s.Error)

	resp, err = (&http.Client{Timeout: 5 * time.Minute}).Get(b.base + "/v1/batches/" + st.ID + "/results?format=csv&partial=true")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	cr := csv.NewReader(resp.Body)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		t.Fatalf("results: %d %v", resp.StatusCode, err)
	}
	ref, status := -1, -1
	for i, h := range header {
		switch h {
		case "reference":
			ref = i
		case "status":
			status = i
		}
	}
	if ref < 0 || status < 0 {
		t.Fatalf("results header has no reference or status column: %v", header)
	}
	seen := make([]int, rows+1)
	got, outOfOrder, unknown, errRows := 0, 0, 0, 0
	prev := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			r.check(t, false, "results broke off after %d rows: %v", got, err)
			break
		}
		got++
		var n int
		if _, err := fmt.Sscanf(rec[ref], "R%07d", &n); err != nil || n < 1 || n > rows {
			unknown++
			continue
		}
		seen[n]++
		if n != prev+1 {
			outOfOrder++
		}
		prev = n
		if rec[status] == "error" {
			errRows++
		}
	}
	lost, dup := 0, 0
	for _, k := range seen[1:] {
		if k == 0 {
			lost++
		} else if k > 1 {
			dup += k - 1
		}
	}
	r.requests = fmt.Sprintf("%d rows", rows)
	r.errors = fmt.Sprintf("%d error rows", errRows)
	r.rows = fmt.Sprintf("%d / %d", lost, dup)
	r.rss = rssString(a, b)
	r.note(t, "results: %d rows, %d lost, %d duplicated, %d unknown references, %d out of order, %d error rows", got, lost, dup, unknown, outOfOrder, errRows)
	r.check(t, lost == 0 && dup == 0 && unknown == 0 && got == rows, "rows: %d of %d, %d lost, %d duplicated, %d unknown", got, rows, lost, dup, unknown)
	r.check(t, outOfOrder == 0, "%d rows out of input order", outOfOrder)
	r.check(t, errRows == 0, "%d rows came back as errors", errRows)
}
