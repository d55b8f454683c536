package main

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cslscreen/screener/internal/redistest"
)

// customersCSV has a Kaspersky row, a clear row, a broken quote and the
// rows after it, a row with a bad country and a passed-through column.
const customersCSV = "reference,name,country,segment\n" +
	"C1,Kaspersky Lab,RU,retail\n" +
	"C2,Zzyzx Qwerty Plumbing,US,supplier\n" +
	"C3,\"Broken Quote Ltd,US,x\n" +
	"C4,Northwind Avionics Ltd,HK,partner\n" +
	"C5,Acme,XX,y\n"

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readResults(t *testing.T, path string) []map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("results: %v\n%s", err, b)
	}
	var out []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

func checkCustomers(t *testing.T, rows []map[string]string) {
	t.Helper()
	if len(rows) != 5 {
		t.Fatalf("%d result rows, want 5: %v", len(rows), rows)
	}
	want := []struct{ line, status string }{{"2", "match"}, {"3", "clear"}, {"4", "error"}, {"5", ""}, {"6", "error"}}
	for i, w := range want {
		if rows[i]["line"] != w.line || (w.status != "" && rows[i]["status"] != w.status) {
			t.Errorf("row %d: %v, want line %s status %s", i, rows[i], w.line, w.status)
		}
	}
	if rows[0]["match_1_id"] != idAOKaspersky && rows[0]["match_1_id"] != idUKKaspersky {
		t.Errorf("Kaspersky row matched %q", rows[0]["match_1_id"])
	}
	if rows[0]["segment"] != "retail" || !strings.Contains(rows[2]["error"], "quote") || !strings.Contains(rows[4]["error"], "country") {
		t.Errorf("rows %v", rows)
	}
}

func TestBatchCommandLocal(t *testing.T) {
	in := writeFile(t, "customers.csv", []byte(customersCSV))
	out := filepath.Join(t.TempDir(), "results.csv")
	var stdout, stderr bytes.Buffer
	code := run([]string{"batch", "--local", in, "-o", out, "--progress", "never", "--list", writeSmallList(t)}, nil, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	rows := readResults(t, out)
	if rows[3]["status"] != "match" || !strings.Contains(rows[3]["match_1_name"], "Northwind") {
		t.Errorf("the --list file was not used: %v", rows[3])
	}
	if !strings.Contains(stderr.String(), "job ") || !strings.Contains(stderr.String(), "5 rows") || stdout.Len() != 0 {
		t.Errorf("stderr %q, stdout %q", stderr.String(), stdout.String())
	}

	// The built-in snapshot, JSON lines to standard output, gzip input.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(customersCSV))
	zw.Close()
	in = writeFile(t, "customers.csv.gz", gz.Bytes())
	stdout.Reset()
	stderr.Reset()
	t.Setenv("LIST_FILE", "")
	code = run([]string{"batch", in, "--local", "--format", "jsonl", "--progress", "never"}, nil, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 5 || !strings.Contains(lines[0], `"status":"match"`) || !strings.Contains(stderr.String(), "built-in snapshot") {
		t.Errorf("jsonl out %q\nstderr %q", stdout.String(), stderr.String())
	}
	for _, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Errorf("invalid JSON line %q", l)
		}
	}
}

func TestBatchCommandUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	for _, args := range [][]string{{"batch"}, {"batch", "a.csv", "b.csv"}, {"batch", "--format", "xml", "a.csv"}, {"batch", "--progress", "maybe", "a.csv"}} {
		if code := run(args, nil, &stdout, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if code := run([]string{"batch", "--local", "/does/not/exist.csv"}, nil, &stdout, &stderr); code != 3 {
		t.Errorf("missing file: exit %d, want 3", code)
	}
}

func TestBatchCommandAgainstServer(t *testing.T) {
	m := startMain(t, map[string]string{"LIST_FILE": writeEntriesList(t)})
	server := "http://" + m.Addr()
	in := writeFile(t, "customers.csv", []byte(customersCSV))
	out := filepath.Join(t.TempDir(), "results.csv")
	var stdout, stderr bytes.Buffer
	// Flags before and after FILE; the progress bar forced on.
	code := run([]string{"batch", "--server", server, in, "-o", out, "--progress", "always", "--poll", "20ms"}, nil, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	rows := readResults(t, out)
	checkCustomers(t, rows)
	if !strings.Contains(stderr.String(), "rows/s") || !strings.Contains(stderr.String(), "matches") || !strings.Contains(stderr.String(), "done: 5 rows") {
		t.Errorf("progress and summary: %q", stderr.String())
	}

	// JSON lines from standard input.
	stdout.Reset()
	stderr.Reset()
	jsonl := `{"reference":"J1","name":"Kaspersky Lab"}` + "\n" + `{"reference":"J2","name":42}` + "\n"
	code = run([]string{"batch", "--server", server, "--progress", "never", "--poll", "20ms", "-"}, strings.NewReader(jsonl), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("stdin: exit %d: %s", code, stderr.String())
	}
	if lines := strings.Split(strings.TrimSpace(stdout.String()), "\n"); len(lines) != 2 || !strings.Contains(lines[1], "must be a string") {
		t.Errorf("stdin results %q", stdout.String())
	}

	// A refused upload: exit 3 with the server's reason, no output file.
	stderr.Reset()
	bad := writeFile(t, "bad.csv", []byte("company,country\nAcme,US\n"))
	out2 := filepath.Join(t.TempDir(), "never.csv")
	code = run([]string{"batch", "--server", server, bad, "-o", out2, "--progress", "never"}, nil, &stdout, &stderr)
	if code != 3 || !strings.Contains(stderr.String(), `"company", "country"`) {
		t.Errorf("refused: exit %d %q", code, stderr.String())
	}
	if _, err := os.Stat(out2); !os.IsNotExist(err) {
		t.Errorf("an output file was left after a failure")
	}
}

// TestBatchTwoReplicasShareRedis runs two replicas on one Redis through
// the real wiring: a job uploaded to one is visible on the other, and
// when the first shuts down mid-job the second finishes it, every row
// exactly once.
func TestBatchTwoReplicasShareRedis(t *testing.T) {
	srv := redistest.Start(t)
	env := map[string]string{"REDIS_URL": srv.URL(), "BATCH_CHUNK_ROWS": "50", "BATCH_CLAIM_TIMEOUT": "1s", "BATCH_WORKERS": "1"}
	a, b := startMain(t, env), startMain(t, env)
	const n = 3000
	var body strings.Builder
	body.WriteString("reference,name\n")
	for i := 0; i < n; i++ {
		name := "Customer " + strconv.Itoa(i)
		if i%100 == 7 {
			name = "Kaspersky Lab"
		}
		fmt.Fprintf(&body, "R%d,%s\n", i, name)
	}
	resp, err := http.Post("http://"+a.Addr()+"/v1/batches", "text/csv", strings.NewReader(body.String()))
	if err != nil {
		t.Fatal(err)
	}
	var st struct{ ID string }
	json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if resp.StatusCode != 202 {
		t.Fatalf("upload: %d", resp.StatusCode)
	}
	if _, code := getJSON[map[string]any](t, "http://"+b.Addr()+"/v1/batches/"+st.ID); code != 200 {
		t.Fatalf("the other replica does not see the job: %d", code)
	}
	a.Close() // hands its chunks back
	deadline := time.Now().Add(30 * time.Second)
	for {
		j, _ := getJSON[struct{ Status string }](t, "http://"+b.Addr()+"/v1/batches/"+st.ID)
		if j.Status == "done" {
			break
		}
		if (j.Status != "queued" && j.Status != "running") || time.Now().After(deadline) {
			t.Fatalf("job %s", j.Status)
		}
		time.Sleep(10 * time.Millisecond)
	}
	resp, err = http.Get("http://" + b.Addr() + "/v1/batches/" + st.ID + "/results")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(resp.Body).ReadAll()
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != n+1 {
		t.Fatalf("%d result rows, want %d", len(recs)-1, n)
	}
	for i, r := range recs[1:] {
		if r[0] != strconv.Itoa(i+2) || r[1] != "R"+strconv.Itoa(i) {
			t.Fatalf("result %d: line %s ref %s", i, r[0], r[1])
		}
		if (i%100 == 7) != (r[5] == "match") {
			t.Fatalf("line %s: status %s", r[0], r[5])
		}
	}
}
