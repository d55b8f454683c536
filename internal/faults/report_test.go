//go:build faults

package faults

import (
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
)

// row is one line of the results table: one scenario.
type row struct {
	scenario string
	injected string
	requests string
	errors   string
	rows     string // rows lost / duplicated (batch scenarios)
	before   string // p50 / p99 before the fault
	during   string // p50 / p99 during the fault
	rss      string // peak RSS per replica
	result   string
	notes    []string
	failures []string
}

var report struct {
	sync.Mutex
	rows []*row
}

// newRow starts the row of the running subtest; its result is filled in
// when the subtest ends, PASS or FAIL with the failed checks.
func newRow(t *testing.T, injected string) *row {
	name := t.Name()
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	r := &row{scenario: name, injected: injected, requests: "—", errors: "—", rows: "—", before: "—", during: "—", rss: "—"}
	report.Lock()
	report.rows = append(report.rows, r)
	report.Unlock()
	t.Cleanup(func() {
		switch {
		case t.Skipped():
			r.result = "SKIP"
		case t.Failed() && len(r.failures) == 0:
			r.result = "FAIL (see the log)"
		case t.Failed():
			r.result = "FAIL: " + strings.Join(r.failures, "; ")
		default:
			r.result = "PASS"
		}
	})
	return r
}

// check records a failed check in the row and in the test.
func (r *row) check(t *testing.T, ok bool, format string, args ...any) {
	t.Helper()
	if ok {
		return
	}
	msg := fmt.Sprintf(format, args...)
	r.failures = append(r.failures, msg)
	t.Error(msg)
}

// note adds a measured figure to the row and to the log.
func (r *row) note(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	r.notes = append(r.notes, msg)
	t.Log(msg)
}

func rssString(rs ...*replica) string {
	var parts []string
	for _, r := range rs {
		parts = append(parts, r.name+" "+mb(r.peakRSS()))
	}
	return strings.Join(parts, ", ")
}

// table renders the rows as markdown, then the notes of each row.
func table() string {
	report.Lock()
	defer report.Unlock()
	var b strings.Builder
	b.WriteString("| scenario | injected | requests | errors | rows lost / duplicated | p50 / p99 before | p50 / p99 during | peak RSS | result |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range report.rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			r.scenario, cell(r.injected), r.requests, cell(r.errors), r.rows, r.before, r.during, r.rss, cell(r.result))
	}
	b.WriteString("\nMeasured:\n\n")
	for _, r := range report.rows {
		for _, n := range r.notes {
			fmt.Fprintf(&b, "- %s: %s\n", r.scenario, n)
		}
	}
	return b.String()
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// writeReport prints the table and writes it to FAULTS_REPORT if set.
func writeReport(t *testing.T) {
	out := table()
	fmt.Println("\n" + out)
	if p := os.Getenv("FAULTS_REPORT"); p != "" {
		if err := os.WriteFile(p, []byte(out), 0o644); err != nil {
			t.Errorf("FAULTS_REPORT=%q: %v", p, err)
		}
	}
}

// freeAddr returns a loopback address nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func itoa(n int) string { return fmt.Sprintf("%d", n) }
