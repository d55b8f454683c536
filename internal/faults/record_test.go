//go:build faults

package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cslscreen/screener/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

// The system-of-record tests: the real binary writing its audit trail to a
// real PostgreSQL (fsync on). They are not rows of TestFaults' table; run
//
//	go test -tags faults -run TestRecord -v ./internal/faults/
//
// RECORD_DURATION (default 6s) is the length of the load of
// TestRecordSIGKILL and of each run of TestRecordThroughput.

// recordDuration is RECORD_DURATION, else 6 s.
func recordDuration(t *testing.T) time.Duration {
	if v := os.Getenv("RECORD_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 2*time.Second {
			t.Fatalf("RECORD_DURATION=%q: want a duration of at least 2s, such as 6s or 20s", v)
		}
		return d
	}
	return 6 * time.Second
}

// acked is one screening answered 200: the replica that answered and the
// id its answer carried (the audit record's id).
type acked struct {
	target int
	id     string
}

// idLoad sends screenings from connections goroutines, round robin over the
// targets not marked down, and keeps the id of every 200.
type idLoad struct {
	targets []string
	down    []atomic.Bool
	client  *http.Client

	mu     sync.Mutex
	acked  []acked
	errors map[string]int // by class: http_NNN or a transport error class
	bad    []string       // 200s whose body had no id (first few)
}

func newIDLoad(targets ...string) *idLoad {
	tr := &http.Transport{
		MaxIdleConns: 2 * connections, MaxIdleConnsPerHost: connections,
		MaxConnsPerHost: connections, IdleConnTimeout: time.Minute,
		DialContext: (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
	}
	return &idLoad{targets: targets, down: make([]atomic.Bool, len(targets)),
		client: &http.Client{Transport: tr, Timeout: requestDeadline}, errors: map[string]int{}}
}

// run sends load until ctx is done and returns when every goroutine has.
func (l *idLoad) run(ctx context.Context) {
	var wg sync.WaitGroup
	for g := range connections {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := g; ctx.Err() == nil; n++ {
				target := -1
				for i := range l.targets {
					if c := (n + i) % len(l.targets); !l.down[c].Load() {
						target = c
						break
					}
				}
				if target < 0 {
					return
				}
				l.one(ctx, target, names[n%len(names)])
			}
		}()
	}
	wg.Wait()
	l.client.CloseIdleConnections()
}

func (l *idLoad) one(ctx context.Context, target int, name string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.targets[target]+"/v1/screen",
		strings.NewReader(`{"name":"`+name+`"}`))
	if err != nil {
		panic(err) // a constant URL and body
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := l.client.Do(req)
	class := ""
	var body []byte
	if err == nil {
		body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case err != nil:
			class = "body_" + classify(err)
		case resp.StatusCode != http.StatusOK:
			class = fmt.Sprintf("http_%d", resp.StatusCode)
		}
	} else {
		if ctx.Err() != nil {
			return // the load was stopped
		}
		class = classify(err)
		if class == "refused" {
			l.down[target].Store(true)
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if class != "" {
		l.errors[class]++
		return
	}
	var ans struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(body, &ans) != nil || ans.ID == "" {
		if len(l.bad) < 5 {
			l.bad = append(l.bad, fmt.Sprintf("%.200s", body))
		}
		return
	}
	l.acked = append(l.acked, acked{target, ans.ID})
}

// auditIDs returns every id in audit_records and how many rows there are.
func auditIDs(t *testing.T, url string) (ids map[string]bool, rows int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	r, err := c.Query(ctx, "SELECT id::text FROM audit_records")
	if err != nil {
		t.Fatal(err)
	}
	list, err := pgx.CollectRows(r, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	ids = make(map[string]bool, len(list))
	for _, id := range list {
		ids[id] = true
	}
	return ids, len(list)
}

// TestRecordSIGKILL: two replicas write their audit trails to one
// PostgreSQL (AUDIT_DURABILITY=ack, the default) under load; replica A is
// killed with SIGKILL halfway through while B carries on. Every screening
// that got a 200, from either replica, must be in audit_records, and no id
// may be kept twice. A is then started again on the same database and
// answers GET /v1/audit/{id} for the records it wrote before it was killed.
func TestRecordSIGKILL(t *testing.T) {
	d := recordDuration(t)
	pg := pgtest.StartWith(t, pgtest.Options{Durable: true})
	db := pg.CreateDatabase(t)
	env, list := listEnv(t)
	env["DATABASE_URL"] = db
	a := startReplica(t, "A", env)
	b := startReplica(t, "B", env)
	t.Logf("list: %s; load: %d connections for %v, SIGKILL of A at %v", list, connections, d, d/2)

	load := newIDLoad(a.base, b.base)
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	loaded := make(chan struct{})
	go func() { load.run(ctx); close(loaded) }()
	t0 := time.Now()
	at(t0, d/2)
	load.mu.Lock()
	beforeKill := len(load.acked)
	load.mu.Unlock()
	if err := a.signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if !a.waitExit(10 * time.Second) {
		t.Fatal("replica A did not exit within 10 s of SIGKILL")
	}
	load.down[0].Store(true) // a load balancer takes it out
	<-loaded

	perReplica := [2]int{}
	for _, x := range load.acked {
		perReplica[x.target]++
	}
	t.Logf("200s: %d (A %d, all before its SIGKILL; B %d); 200s before the kill: %d; errors: %v",
		len(load.acked), perReplica[0], perReplica[1], beforeKill, load.errors)
	if len(load.bad) > 0 {
		t.Errorf("200s without an id: %q", load.bad)
	}
	if perReplica[0] == 0 || perReplica[1] == 0 {
		t.Fatalf("a replica answered no screening (A %d, B %d): the test proves nothing", perReplica[0], perReplica[1])
	}

	// B stops cleanly, so that every record it holds is flushed and the
	// table is still; A's records were committed before its 200s or not at
	// all.
	if err := b.signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if !b.waitExit(30 * time.Second) {
		t.Fatal("replica B did not exit within 30 s of SIGTERM")
	}
	ids, rows := auditIDs(t, db)
	var missing []string
	for _, x := range load.acked {
		if !ids[x.id] {
			missing = append(missing, fmt.Sprintf("%s (replica %c)", x.id, 'A'+x.target))
		}
	}
	t.Logf("audit_records: %d rows, %d distinct ids; answered 200 but missing: %d; kept but not answered 200 (A's in-flight answers, or answers lost when A died): %d",
		rows, len(ids), len(missing), len(ids)-(len(load.acked)-len(missing)))
	if len(missing) > 0 {
		t.Errorf("%d screenings answered 200 are not in audit_records, e.g. %v", len(missing), missing[:min(len(missing), 5)])
	}
	if rows != len(ids) {
		t.Errorf("audit_records has %d rows but %d distinct ids", rows, len(ids))
	}

	// A again, on the same database: the API finds what A wrote before
	// SIGKILL.
	a2 := startReplica(t, "A2", env)
	c := &http.Client{Timeout: 5 * time.Second}
	checked := 0
	for _, x := range load.acked {
		if x.target != 0 {
			continue
		}
		var rec struct {
			ID string `json:"id"`
		}
		code, err := getJSON(context.Background(), c, a2.base+"/v1/audit/"+x.id, &rec)
		if err != nil || code != http.StatusOK || rec.ID != x.id {
			t.Errorf("GET /v1/audit/%s on the restarted A: %d %v (id %q)", x.id, code, err, rec.ID)
		}
		if checked++; checked == 200 {
			break
		}
	}
	t.Logf("GET /v1/audit/{id} on the restarted A found %d of A's records checked", checked)
}

// TestRecordThroughput compares the throughput of POST /v1/screen with the
// audit trail on (PostgreSQL with fsync, AUDIT_DURABILITY=ack) and off, in
// the same run: two replicas serve the same list, for each number of
// connections in RECORD_CONNECTIONS (default 16,512: with ack an answer
// waits for a group commit, so a closed-loop load needs many more
// connections than without to keep a replica busy; 16 shows the latency
// bound, 512 what a saturated replica sustains).
//
// With wrk on PATH both replicas are loaded at once, each by its own wrk,
// three times (throughputTogether); RECORD_TOGETHER=0 loads one at a time
// instead, alternating, three times each. Without wrk the harness's own
// load (16 connections) goes to one at a time.
//
// RECORD_PIN=1 gives PostgreSQL a core of its own, as it has a machine of
// its own in production (docs/DEPLOY.md): both replicas run on CPU 0,
// PostgreSQL and wrk on CPU 1. Without it everything shares both cores.
//
// It reports; it asserts only that every answer was a 200, since a ratio of
// throughputs on a shared machine is a measurement, not a test.
func TestRecordThroughput(t *testing.T) {
	d := recordDuration(t)
	pin := os.Getenv("RECORD_PIN") == "1"
	var serviceCPUs, otherCPUs string
	if pin {
		if runtime.NumCPU() < 2 {
			t.Fatalf("RECORD_PIN=1 needs two CPUs; this machine has %d", runtime.NumCPU())
		}
		serviceCPUs, otherCPUs = "0", "1"
	}
	pg := pgtest.StartWith(t, pgtest.Options{Durable: true, CPUs: otherCPUs})
	db := pg.CreateDatabase(t)
	env, list := listEnv(t)
	wrk, _ := exec.LookPath("wrk")
	together := wrk != "" && os.Getenv("RECORD_TOGETHER") != "0"
	off := startReplicaFull(t, "off", env, 0, serviceCPUs, together)
	onEnv := map[string]string{"DATABASE_URL": db}
	for k, v := range env {
		onEnv[k] = v
	}
	for k, v := range recordTuning() {
		onEnv[k] = v
	}
	on := startReplicaFull(t, "on", onEnv, 0, serviceCPUs, together)
	conns := recordConnections(t)
	if wrk == "" {
		conns = []int{connections}
	}
	placement := "replicas, PostgreSQL and the load share both cores"
	if pin {
		placement = "replicas on CPU 0; PostgreSQL and the load on CPU 1"
	}
	t.Logf("list: %s; %v per run; %s", list, d, placement)
	// Warm both replicas up first, unmeasured: a replica's first seconds
	// under load grow its heap and, with the audit on, fill its pool of
	// connections and PostgreSQL's caches; counted, they would fall on
	// whichever replica runs first.
	for _, rep := range []*replica{on, off} {
		if wrk != "" {
			if _, errs := runWrk(t, wrk, rep.base, 3*time.Second, conns[len(conns)-1], otherCPUs); errs != "" {
				t.Errorf("warm-up of %s: %s", rep.name, errs)
			}
		} else if _, errs := runIDLoad(rep.base, 3*time.Second); errs != "" {
			t.Errorf("warm-up of %s: %s", rep.name, errs)
		}
	}

	if together {
		throughputTogether(t, wrk, on, off, pg, conns, d, otherCPUs)
		return
	}

	type result struct {
		conns         int
		on, off       []float64
		cpuOn, cpuOff [][2]float64
	}
	var results []result
	for _, c := range conns {
		tool := fmt.Sprintf("the harness's load (%d connections)", c)
		if wrk != "" {
			tool = fmt.Sprintf("wrk -t2 -c%d", c)
		}
		rates := map[string][]float64{}
		cpu := map[string][][2]float64{} // µs a request: the service's, PostgreSQL's
		order := [][2]string{{"on", "off"}, {"off", "on"}, {"on", "off"}}
		for round, pair := range order {
			for _, mode := range pair {
				rep := on
				if mode == "off" {
					rep = off
				}
				var rps float64
				var errs string
				rows0, commits0 := pgCounts(t, db)
				svc0, pg0 := replicaCPU(t, rep), pgCPU(t, pg)
				if wrk != "" {
					rps, errs = runWrk(t, wrk, rep.base, d, c, otherCPUs)
				} else {
					rps, errs = runIDLoad(rep.base, d)
				}
				reqs := rps * d.Seconds()
				svcCPU := float64((replicaCPU(t, rep) - svc0).Microseconds()) / reqs
				pgCPUr := float64((pgCPU(t, pg) - pg0).Microseconds()) / reqs
				cpu[mode] = append(cpu[mode], [2]float64{svcCPU, pgCPUr})
				if errs != "" {
					t.Errorf("%s, round %d, audit %s: %s", tool, round+1, mode, errs)
				}
				rates[mode] = append(rates[mode], rps)
				if mode == "off" {
					t.Logf("%s, round %d, audit off: %.0f req/s; CPU a request: service %.0f µs", tool, round+1, rps, svcCPU)
					continue
				}
				rows1, commits1 := pgCounts(t, db)
				t.Logf("%s, round %d, audit on : %.0f req/s; CPU a request: service %.0f µs, PostgreSQL %.0f µs; %d records in %d commits (%.1f a commit; PostgreSQL's counts lag by up to a second)",
					tool, round+1, rps, svcCPU, pgCPUr, rows1-rows0, commits1-commits0, float64(rows1-rows0)/float64(max(commits1-commits0, 1)))
			}
		}
		results = append(results, result{conns: c, on: rates["on"], off: rates["off"], cpuOn: cpu["on"], cpuOff: cpu["off"]})
	}
	mean := func(xs []float64) float64 {
		s := 0.0
		for _, x := range xs {
			s += x
		}
		return s / float64(len(xs))
	}
	var st struct {
		Audit map[string]any `json:"audit"`
	}
	getJSON(context.Background(), &http.Client{Timeout: 5 * time.Second}, on.base+"/readyz", &st)
	best := map[string]float64{}
	col := func(xs [][2]float64, i int) []float64 {
		var out []float64
		for _, x := range xs {
			out = append(out, x[i])
		}
		return out
	}
	for _, r := range results {
		t.Logf("%d connections: audit on %.0f req/s (runs %.0f); off %.0f req/s (runs %.0f); on/off = %.2f",
			r.conns, mean(r.on), r.on, mean(r.off), r.off, mean(r.on)/mean(r.off))
		// CPU a request holds on a busy machine where rates do not: with
		// the cores saturated, on/off tends to off ÷ (on + PostgreSQL)
		// when they share the cores, and to off ÷ on when the database
		// has its own.
		son, pon, soff := mean(col(r.cpuOn, 0)), mean(col(r.cpuOn, 1)), mean(col(r.cpuOff, 0))
		t.Logf("%d connections: CPU a request: audit off %.0f µs; on %.0f µs in the service + %.0f µs in PostgreSQL; off ÷ (on + PostgreSQL) = %.2f, off ÷ on = %.2f",
			r.conns, soff, son, pon, soff/(son+pon), soff/son)
		best["on"], best["off"] = max(best["on"], mean(r.on)), max(best["off"], mean(r.off))
	}
	if len(results) > 1 {
		t.Logf("sustained (best of the sweep): audit on %.0f req/s, off %.0f req/s, on/off = %.2f", best["on"], best["off"], best["on"]/best["off"])
	}
	t.Logf("/readyz audit of the on replica: %v", st.Audit)
}

// throughputTogether loads both replicas at once, each with its own wrk,
// three times for each number of connections: the rates of one run are
// measured on the same machine at the same moment, so the ratio holds when
// the machine's speed drifts between runs (it does here, by a third within
// minutes). Each replica has a session of its own, so the scheduler shares
// the CPUs between the two replicas evenly rather than between their
// threads: with RECORD_PIN=1 each gets half of CPU 0 while both are busy,
// on/off is then what the record costs a saturated replica, and a replica
// that cannot keep its half busy (waiting for commits) loses the rest to
// the other.
func throughputTogether(t *testing.T, wrk string, on, off *replica, pg *pgtest.Server, conns []int, d time.Duration, cpus string) {
	t.Log("both replicas loaded at once, each by its own wrk")
	var all []float64
	for _, c := range conns {
		var ratios []float64
		for round := range 3 {
			cmds := []*exec.Cmd{wrkCmd(t, wrk, on.base, d, c, cpus), wrkCmd(t, wrk, off.base, d, c, cpus)}
			outs := make([][]byte, 2)
			errs := make([]error, 2)
			svcOn0, svcOff0, pg0 := replicaCPU(t, on), replicaCPU(t, off), pgCPU(t, pg)
			var wg sync.WaitGroup
			for i, cmd := range cmds {
				wg.Go(func() { outs[i], errs[i] = cmd.CombinedOutput() })
			}
			wg.Wait()
			var rates [2]float64
			for i := range cmds {
				if errs[i] != nil {
					t.Fatalf("wrk: %v\n%s", errs[i], outs[i])
				}
				rps, bad, err := parseWrk(outs[i])
				if err != nil {
					t.Fatal(err)
				}
				if bad != "" {
					t.Errorf("wrk -c%d, round %d, audit %s: %s", c, round+1, []string{"on", "off"}[i], bad)
				}
				rates[i] = rps
			}
			perReq := func(cpu time.Duration, rps float64) float64 { return float64(cpu.Microseconds()) / (rps * d.Seconds()) }
			son := perReq(replicaCPU(t, on)-svcOn0, rates[0])
			soff := perReq(replicaCPU(t, off)-svcOff0, rates[1])
			spg := perReq(pgCPU(t, pg)-pg0, rates[0])
			ratios = append(ratios, rates[0]/rates[1])
			t.Logf("wrk -t2 -c%d on each, round %d: audit on %.0f req/s, off %.0f req/s, on/off = %.2f; CPU a request: on %.0f µs (+ PostgreSQL %.0f µs), off %.0f µs",
				c, round+1, rates[0], rates[1], rates[0]/rates[1], son, spg, soff)
		}
		all = append(all, ratios...)
		t.Logf("%d connections each: on/off %.2f (median of %.2f)", c, median(ratios), ratios)
	}
	t.Logf("all runs: on/off median %.2f, lowest %.2f", median(all), slices.Min(all))
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

// replicaCPU is the CPU time a replica has used (all its threads).
func replicaCPU(t *testing.T, r *replica) time.Duration {
	t.Helper()
	d, err := procCPU(r.pid())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// pgCPU is the CPU time PostgreSQL has used.
func pgCPU(t *testing.T, pg *pgtest.Server) time.Duration {
	t.Helper()
	d, err := pg.CPUTime()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// recordTuning is RECORD_ENV, "NAME=value,NAME=value": extra environment of
// the audited replica, to compare queue settings.
func recordTuning() map[string]string {
	m := map[string]string{}
	for _, kv := range strings.Split(os.Getenv("RECORD_ENV"), ",") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

var (
	wrkRate   = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkNon2xx = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	wrkErrors = regexp.MustCompile(`Socket errors: .*`)
)

// runWrk loads base+/v1/screen with wrk for d and returns the rate and, if
// any request failed, what wrk said about it.
func runWrk(t *testing.T, wrk, base string, d time.Duration, conns int, cpus string) (float64, string) {
	t.Helper()
	out, err := wrkCmd(t, wrk, base, d, conns, cpus).CombinedOutput()
	if err != nil {
		t.Fatalf("wrk: %v\n%s", err, out)
	}
	rps, errs, err := parseWrk(out)
	if err != nil {
		t.Fatal(err)
	}
	return rps, errs
}

// wrkCmd is wrk posting the load's names to base for d, on cpus if set.
func wrkCmd(t *testing.T, wrk, base string, d time.Duration, conns int, cpus string) *exec.Cmd {
	t.Helper()
	script := filepath.Join(t.TempDir(), "post.lua")
	var quoted []string
	for _, n := range names {
		quoted = append(quoted, strconv.Quote(`{"name":"`+n+`"}`))
	}
	lua := `wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local bodies = {` + strings.Join(quoted, ", ") + `}
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, bodies[(n % #bodies) + 1])
end
`
	if err := os.WriteFile(script, []byte(lua), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-t2", "-c" + strconv.Itoa(conns), fmt.Sprintf("-d%ds", int(d.Seconds())), "-s", script, base + "/v1/screen"}
	if cpus != "" {
		return exec.Command("taskset", append([]string{"-c", cpus, wrk}, args...)...)
	}
	return exec.Command(wrk, args...)
}

// parseWrk reads wrk's rate and its errors, if any, from its output.
func parseWrk(out []byte) (float64, string, error) {
	m := wrkRate.FindSubmatch(out)
	if m == nil {
		return 0, "", fmt.Errorf("wrk printed no Requests/sec:\n%s", out)
	}
	rps, _ := strconv.ParseFloat(string(m[1]), 64)
	var errs []string
	if m := wrkNon2xx.FindSubmatch(out); m != nil {
		errs = append(errs, string(m[0]))
	}
	if m := wrkErrors.Find(out); m != nil {
		errs = append(errs, string(m))
	}
	return rps, strings.Join(errs, "; "), nil
}

// runIDLoad loads base with idLoad for d and returns the rate of 200s.
func runIDLoad(base string, d time.Duration) (float64, string) {
	l := newIDLoad(base)
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	start := time.Now()
	l.run(ctx)
	rps := float64(len(l.acked)) / time.Since(start).Seconds()
	if len(l.errors) > 0 {
		return rps, fmt.Sprint(l.errors)
	}
	return rps, ""
}

// recordConnections is RECORD_CONNECTIONS, the connections of each load
// (default 16,512): a number or a comma-separated list, swept in order.
func recordConnections(t *testing.T) []int {
	v := os.Getenv("RECORD_CONNECTIONS")
	if v == "" {
		return []int{connections, 512}
	}
	var out []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 1000 {
			t.Fatalf("RECORD_CONNECTIONS=%q: want numbers of connections from 1 to 1000, such as 16 or 16,128,512", v)
		}
		out = append(out, n)
	}
	return out
}

// pgCounts returns the rows of audit_records and the transactions the
// database has committed.
func pgCounts(t *testing.T, url string) (rows, commits int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	err = c.QueryRow(ctx, `SELECT (SELECT count(*) FROM audit_records),
		(SELECT xact_commit FROM pg_stat_database WHERE datname = current_database())`).Scan(&rows, &commits)
	if err != nil {
		t.Fatal(err)
	}
	return rows, commits
}

// TestRecordBatchRows uploads a batch of RECORD_BATCH_ROWS rows (default
// 20,000) to a replica writing its audit trail to PostgreSQL (fsync on) and
// checks that, once the job is done, audit_records holds one batch_row
// record per row of the job, each row number once. The rows are all
// screenable (no malformed lines: error rows are not audited).
func TestRecordBatchRows(t *testing.T) {
	rows := 20_000
	if v := os.Getenv("RECORD_BATCH_ROWS"); v != "" {
		var err error
		if rows, err = strconv.Atoi(v); err != nil || rows < 1 {
			t.Fatalf("RECORD_BATCH_ROWS=%q: want a number of rows", v)
		}
	}
	pg := pgtest.StartWith(t, pgtest.Options{Durable: true})
	db := pg.CreateDatabase(t)
	env, list := listEnv(t)
	env["DATABASE_URL"] = db
	env["BATCH_MAX_ROWS"] = strconv.Itoa(max(rows, 5_000_000))
	rep := startReplica(t, "A", env)

	var in strings.Builder
	in.WriteString("reference,name,country\n")
	for i := range rows {
		fmt.Fprintf(&in, "R%07d,%s %d,US\n", i+1, names[i%len(names)], i)
	}
	start := time.Now()
	resp, err := http.Post(rep.base+"/v1/batches", "text/csv", strings.NewReader(in.String()))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var st batchStatus
	if resp.StatusCode != http.StatusAccepted || json.Unmarshal(body, &st) != nil || st.ID == "" {
		t.Fatalf("upload: %d %s", resp.StatusCode, body)
	}
	c := &http.Client{Timeout: 10 * time.Second}
	deadline := time.Now().Add(2 * time.Hour)
	for st.Status != "done" {
		if st.Status == "failed" || st.Status == "cancelled" {
			t.Fatalf("job %s ended %s: %s", st.ID, st.Status, st.Error)
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s not done within 2 h: %+v", st.ID, st)
		}
		<-time.After(200 * time.Millisecond)
		if _, err := getJSON(context.Background(), c, rep.base+"/v1/batches/"+st.ID, &st); err != nil {
			t.Logf("polling the job: %v", err)
		}
	}
	took := time.Since(start)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// The job reads done once its last chunk's results are stored; that
	// chunk's row records and the job's summary are written just after
	// (batch.Manager calls Observer.Stored after Store.Complete). Wait for
	// them, up to a minute, and say how long it took.
	var n, distinctRows, jobRecords int64
	lagDeadline := time.Now().Add(time.Minute)
	for {
		err = conn.QueryRow(ctx, `SELECT count(*), count(DISTINCT (record->'batch_row'->>'row')),
			(SELECT count(*) FROM audit_records WHERE batch_job = $1 AND channel = 'batch')
			FROM audit_records WHERE batch_job = $1 AND channel = 'batch_row'`, st.ID).Scan(&n, &distinctRows, &jobRecords)
		if err != nil {
			t.Fatal(err)
		}
		if (n >= int64(rows) && jobRecords >= 1) || time.Now().After(lagDeadline) {
			break
		}
		<-time.After(50 * time.Millisecond)
	}
	lag := time.Since(start) - took
	t.Logf("list: %s; %d rows screened in %v (%.0f rows/s, upload to done); every record committed %v after done; audit_records: %d batch_row records, %d distinct row numbers, %d job summary record(s)",
		list, rows, took.Round(time.Millisecond), float64(rows)/took.Seconds(), lag.Round(time.Millisecond), n, distinctRows, jobRecords)
	if n != int64(rows) || distinctRows != int64(rows) {
		t.Errorf("%d batch_row records (%d distinct rows) for a job of %d rows", n, distinctRows, rows)
	}
	if jobRecords != 1 {
		t.Errorf("%d summary records of the job, want 1", jobRecords)
	}
}
