package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cslscreen/screener/audit"
	"github.com/cslscreen/screener/internal/fixtures"
	"github.com/cslscreen/screener/internal/pgtest"
	"github.com/cslscreen/screener/internal/redistest"
	"github.com/cslscreen/screener/lists"
	"github.com/cslscreen/screener/service"
)

const (
	idAOKaspersky  = "88a5a8ac99fb224dc40025c5c2abb25919f56d25bd1f0c766af312b1"
	idOOOKaspersky = "3602e06799bcd90808e02b813332f0f97ec0d66bce1e87549d5a3450"
	idUKKaspersky  = "8e2975db722f844da153792847843a140517b2fb476b1e84311cd739"
)

// startMain runs the real wiring with env on a free loopback port.
func startMain(t *testing.T, env map[string]string) *Main {
	t.Helper()
	base := map[string]string{"LISTEN_ADDR": "127.0.0.1:0", "LIST_URL": "off", "SHUTDOWN_TIMEOUT": "5s", "SHUTDOWN_DRAIN": "0"}
	for k, v := range env {
		base[k] = v
	}
	cfg, err := LoadConfig(func(k string) string { return base[k] })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	m := &Main{Config: cfg, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Build: service.BuildInfo{Version: "test", Commit: "test"}}
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("Run: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func screenHTTP(t *testing.T, addr, name string) service.ScreenResponse {
	t.Helper()
	resp, err := http.Post("http://"+addr+"/v1/screen", "application/json", strings.NewReader(`{"name":`+jsonString(name)+`}`))
	if err != nil {
		t.Fatalf("screen: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("screen %q: %d %s", name, resp.StatusCode, b)
	}
	var sr service.ScreenResponse
	if err := json.Unmarshal(b, &sr); err != nil {
		t.Fatal(err)
	}
	return sr
}

func getJSON[T any](t *testing.T, url string) (T, int) {
	t.Helper()
	var v T
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	json.NewDecoder(resp.Body).Decode(&v)
	return v, resp.StatusCode
}

func jsonString(s string) string { b, _ := json.Marshal(s); return string(b) }

func ids(sr service.ScreenResponse) map[string]bool {
	out := map[string]bool{}
	for _, m := range sr.Matches {
		out[m.ID] = true
	}
	return out
}

// The first "done when": no Redis, no network, no configuration.
func TestServesEmbeddedSnapshotByDefault(t *testing.T) {
	m := startMain(t, nil)
	sr := screenHTTP(t, m.Addr(), "Kaspersky Lab")
	got := ids(sr)
	for _, id := range []string{idAOKaspersky, idOOOKaspersky, idUKKaspersky} {
		if !got[id] {
			t.Errorf("Kaspersky Lab did not find %s: %+v", id, sr.Matches)
		}
	}
	info, _ := getJSON[service.ListsInfo](t, "http://"+m.Addr()+"/v1/lists")
	if !info.Current.Builtin || !strings.Contains(info.Warning, "built-in snapshot") {
		t.Errorf("/v1/lists does not say it serves the built-in snapshot: %+v", info)
	}
	if sr.ListVersion != info.Current.ID {
		t.Errorf("screening names version %s, lists says %s", sr.ListVersion, info.Current.ID)
	}
}

// The second "done when": a file loaded into Redis by one replica is served
// by another that only knows REDIS_URL.
func TestSecondReplicaServesVersionFromRedis(t *testing.T) {
	full := fixtures.FullCSL(t)
	redis := redistest.Start(t)
	a := startMain(t, map[string]string{"LIST_FILE": full, "REDIS_URL": redis.URL()})
	infoA, _ := getJSON[service.ListsInfo](t, "http://"+a.Addr()+"/v1/lists")
	if infoA.Current.Entries != 14163 || infoA.Current.Source != "file" || infoA.Store.Kind != "redis" || infoA.Store.Status != "ok" {
		t.Fatalf("replica A: %+v", infoA.Current.Version)
	}
	b := startMain(t, map[string]string{"REDIS_URL": redis.URL()})
	infoB, _ := getJSON[service.ListsInfo](t, "http://"+b.Addr()+"/v1/lists")
	if infoB.Current.ID != infoA.Current.ID || infoB.Current.Entries != 14163 {
		t.Fatalf("replica B serves %s (%d entries), want %s", infoB.Current.ID, infoB.Current.Entries, infoA.Current.ID)
	}
	if b.refresher != nil {
		t.Fatal("replica B has a list source; it must have read the list from Redis only")
	}
	if sr := screenHTTP(t, b.Addr(), "Kaspersky Lab"); sr.ListVersion != infoA.Current.ID || !ids(sr)[idAOKaspersky] {
		t.Fatalf("replica B screening: %+v", sr)
	}
}

// The third "done when": Redis dies, screening goes on; Redis returns, the
// service reconnects by itself (and puts its list back into the empty Redis).
func TestRedisOutageAndReconnect(t *testing.T) {
	redis := redistest.Start(t)
	m := startMain(t, map[string]string{"LIST_FILE": writeSmallList(t), "REDIS_URL": redis.URL(), "LIST_POLL_INTERVAL": "200ms"})
	before := screenHTTP(t, m.Addr(), "Northwind Avionics")
	if len(before.Matches) == 0 {
		t.Fatalf("no match before the outage")
	}
	redis.Stop()
	during := screenHTTP(t, m.Addr(), "Northwind Avionics")
	if during.ListVersion != before.ListVersion || len(during.Matches) == 0 {
		t.Fatalf("screening during the outage: %+v", during)
	}
	ready, code := getJSON[service.Readiness](t, "http://"+m.Addr()+"/readyz")
	if code != 200 || ready.Store.Status != "unreachable" {
		t.Fatalf("readyz during outage: %d %+v (want ready, store reported unreachable)", code, ready)
	}
	redis.Restart()
	deadline := time.Now().Add(15 * time.Second)
	for {
		info, _ := getJSON[service.ListsInfo](t, "http://"+m.Addr()+"/v1/lists")
		// reachable again, and the list is back in the (empty) Redis
		if info.Store.Status == "ok" && len(info.Versions) > 0 && info.Versions[0].ID == before.ListVersion && info.Versions[0].Source == "file" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("service did not reconnect to Redis: %+v", info.Store)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// The fourth "done when": a truncated or garbage list is refused and the
// previous version stays current.
func TestBadListRefusedPreviousStays(t *testing.T) {
	path := writeSmallList(t)
	m := startMain(t, map[string]string{"LIST_FILE": path, "REFRESH_INTERVAL": "100ms"})
	good, _ := getJSON[service.ListsInfo](t, "http://"+m.Addr()+"/v1/lists")

	for i, bad := range [][]byte{
		[]byte("<html><body>502 Bad Gateway</body></html>\n"),
		truncatedGzip(t, path),
	} {
		if err := os.WriteFile(path, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		future := time.Now().Add(time.Duration(len(bad)) * time.Second)
		os.Chtimes(path, future, future) // a new mtime, so the refresher reads it
		// Wait until the refresher has read and refused this file (the
		// failure is counted), then check the list did not change.
		waitForMetric(t, m.Addr(), `screener_list_refresh_failures_total{reason="parse"}`, float64(i+1))
		now, _ := getJSON[service.ListsInfo](t, "http://"+m.Addr()+"/v1/lists")
		if now.Current.ID != good.Current.ID {
			t.Fatalf("a bad file replaced the list: %+v", now.Current.Version)
		}
	}
}

// waitForMetric polls /metrics until the series reaches at least min.
func waitForMetric(t *testing.T, addr, series string, min float64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, line := range strings.Split(string(body), "\n") {
			if v, ok := strings.CutPrefix(line, series+" "); ok {
				if f, err := strconv.ParseFloat(v, 64); err == nil && f >= min {
					return
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not reach %v:\n%s", series, min, grepLines(string(body), "refresh"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A LIST_FILE that cannot be read or parsed, with no list in the store,
// stops the start with the file's name rather than serving the three-entry
// snapshot as if it were a list.
func TestBadListFileStopsTheStart(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.csv")
	os.WriteFile(garbage, []byte("this is not a list\n"), 0o644)
	binary := filepath.Join(dir, "binary.csv")
	os.WriteFile(binary, []byte{0x00, 0xff, 0x13, 0x37, 0x00, 0x01}, 0o644)
	empty := filepath.Join(dir, "empty.csv")
	os.WriteFile(empty, nil, 0o644)
	for _, path := range []string{garbage, binary, empty, "/dev/null"} {
		cfg, err := LoadConfig(func(k string) string {
			return map[string]string{"LISTEN_ADDR": "127.0.0.1:0", "LIST_URL": "off", "LIST_FILE": path}[k]
		})
		if err != nil {
			t.Fatalf("%s: config: %v", path, err)
		}
		m := &Main{Config: cfg, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}
		err = m.Run(context.Background())
		if err == nil {
			m.Close()
			t.Errorf("%s: the service started", path)
			continue
		}
		if !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %q does not name the file", path, err)
		}
	}
}

func TestGracefulShutdown(t *testing.T) {
	m := startMain(t, nil)
	addr := m.Addr()
	done := make(chan error, 1)
	go func() { done <- m.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close hung")
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Fatal("still serving after Close")
	}
}

func TestSeparateMetricsListener(t *testing.T) {
	m := startMain(t, map[string]string{"METRICS_ADDR": "127.0.0.1:0"})
	if m.MetricsAddr() == "" {
		t.Fatal("no metrics listener")
	}
	resp, err := http.Get("http://" + m.MetricsAddr() + "/metrics")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("metrics listener: %v %v", err, resp)
	}
	resp.Body.Close()
	if resp, _ := http.Get("http://" + m.Addr() + "/metrics"); resp.StatusCode != 404 {
		t.Fatalf("/metrics on the main listener too: %d", resp.StatusCode)
	}
}

func TestRunVersionAndUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"--version"}, nil, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "screener ") {
		t.Fatalf("--version: %d %q", code, out.String())
	}
	if code := run([]string{"frobnicate"}, nil, &out, &errb); code != 2 || !strings.Contains(errb.String(), "unknown command") {
		t.Fatalf("unknown command: %d %q", code, errb.String())
	}
}

func TestScreenCommand(t *testing.T) {
	m := startMain(t, map[string]string{"LIST_FILE": writeEntriesList(t)})
	var out, errb bytes.Buffer
	code := run([]string{"screen", "--server", "http://" + m.Addr(), "--require-match", "Kaspersky", "Lab"}, nil, &out, &errb)
	if code != 0 || !strings.Contains(out.String(), "AO Kaspersky Lab") {
		t.Fatalf("screen: %d\n%s\n%s", code, out.String(), errb.String())
	}
	out.Reset()
	code = run([]string{"screen", "--server", "http://" + m.Addr(), "--require-match", "Zzyzx Qwertyuiop Plumbing"}, nil, &out, &errb)
	if code != 1 {
		t.Fatalf("no match with --require-match: exit %d, want 1", code)
	}
	code = run([]string{"screen", "--server", "http://" + m.Addr(), "--country", "XX", "Kaspersky"}, nil, &out, &errb)
	if code != 3 || !strings.Contains(errb.String(), "country") {
		t.Fatalf("bad country: exit %d %q", code, errb.String())
	}
}

func writeSmallList(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "list.csv")
	var b strings.Builder
	b.WriteString("_id,source,name,alt_names,addresses\n")
	b.WriteString("n-1,Entity List (EL) - Bureau of Industry and Security,Northwind Avionics Ltd.,NW Avionics,\"1 Road, Hong Kong, HK\"\n")
	for i := 0; i < 30; i++ {
		b.WriteString("f-" + string(rune('a'+i)) + ",Denied Persons List (DPL) - Bureau of Industry and Security,Filler Person " + string(rune('A'+i)) + " Qux,,\n")
	}
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeEntriesList writes the built-in snapshot's entries as a list file,
// so a test can serve them as a full list (answers can then be clear).
func writeEntriesList(t *testing.T) string {
	t.Helper()
	// One more entry, so the version differs from the built-in one (a
	// version is its content's hash).
	entries := slices.Concat(lists.Embedded().Entries, []lists.Entry{{ID: "f-1", Source: "Denied Persons List (DPL) - Bureau of Industry and Security", Name: "Filler Person Qux"}})
	b, err := json.Marshal(map[string]any{"results": entries})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "entries.json")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func truncatedGzip(t *testing.T, path string) []byte {
	raw, _ := os.ReadFile(path)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(raw)
	zw.Close()
	return buf.Bytes()[:buf.Len()/2]
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// With DATABASE_URL the audit trail is PostgreSQL: migrated at start, each
// answered screening found by the id its answer carried, and the trail
// says it is a system of record. A second replica on the same database
// migrates nothing twice.
func TestAuditInPostgres(t *testing.T) {
	pg := pgtest.Start(t)
	url := pg.CreateDatabase(t)
	env := map[string]string{"DATABASE_URL": url, "LIST_FILE": writeEntriesList(t)}
	a := startMain(t, env)
	b := startMain(t, env)
	sr := screenHTTP(t, a.Addr(), "Kaspersky Lab")
	if sr.Status != "match" {
		t.Fatalf("screening: %+v", sr)
	}
	rec, code := getJSON[audit.Record](t, "http://"+b.Addr()+"/v1/audit/"+sr.ID)
	if code != 200 || rec.ID != sr.ID || rec.Query.Name != "Kaspersky Lab" || rec.Status != "match" || rec.ListVersion != sr.ListVersion {
		t.Fatalf("GET /v1/audit/{id} on the other replica: %d %+v", code, rec)
	}
	page, _ := getJSON[service.AuditPage](t, "http://"+b.Addr()+"/v1/audit")
	if !page.SystemOfRecord || page.Notice != "" || len(page.Records) != 1 {
		t.Errorf("audit page: %+v", page)
	}
	ready, _ := getJSON[service.Readiness](t, "http://"+a.Addr()+"/readyz")
	if ready.Audit == nil || ready.Audit.Backend != "postgres" || !ready.Audit.Durable || !ready.Audit.SystemOfRecord {
		t.Errorf("readyz audit: %+v", ready.Audit)
	}
}

// POST /v1/lists/refresh refreshes now; it needs the admin scope; the
// shrink guard's refusal is reported, force=true overrides it and the
// audit trail records that; GET /v1/lists reports the attempts.
func TestRefreshOnDemand(t *testing.T) {
	path := writeSmallList(t) // 31 entries
	hash := func(k string) string { s := sha256.Sum256([]byte(k)); return hex.EncodeToString(s[:]) }
	m := startMain(t, map[string]string{"LIST_FILE": path, "REFRESH_INTERVAL": "0", "AUDIT_ENABLED": "true",
		"API_KEYS": "ops:" + hash("ops-key") + ":admin,app:" + hash("app-key")})
	post := func(key, query string) (int, service.RefreshResponse) {
		req, _ := http.NewRequest("POST", "http://"+m.Addr()+"/v1/lists/refresh"+query, nil)
		req.Header.Set("X-API-Key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out service.RefreshResponse
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	if code, _ := post("app-key", ""); code != http.StatusForbidden {
		t.Fatalf("refresh with a screen-only key: %d, want 403", code)
	}
	if code, out := post("ops-key", ""); code != 200 || out.Outcome != "unchanged" {
		t.Fatalf("refresh of an unchanged file: %d %+v", code, out)
	}
	// A list cut to a third of its entries is refused, then forced.
	raw, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(raw), "\n")
	os.WriteFile(path, []byte(strings.Join(lines[:11], "")), 0o644)
	code, out := post("ops-key", "")
	if code != 200 || out.Outcome != "refused" || out.Guard == "" || out.Forced {
		t.Fatalf("a shrunk list: %d %+v", code, out)
	}
	code, out = post("ops-key", "?force=true")
	if code != 200 || out.Outcome != "updated" || !out.Forced || out.Version == nil || out.Version.Entries != 10 {
		t.Fatalf("a forced refresh: %d %+v", code, out)
	}
	req, _ := http.NewRequest("GET", "http://"+m.Addr()+"/v1/lists", nil)
	req.Header.Set("X-API-Key", "ops-key")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var info service.ListsInfo
	json.NewDecoder(resp.Body).Decode(&info)
	resp.Body.Close()
	if info.Current.Entries != 10 || info.Refresh.Interval != "0s" || info.Refresh.LastOutcome != "updated" || !info.Refresh.LastForced ||
		info.Refresh.LastAttempt == nil || info.Refresh.NextAttempt != nil {
		t.Errorf("GET /v1/lists after a forced refresh: %+v %+v", info.Current.Version, info.Refresh)
	}
	// The audit queue is asynchronous here: wait for the record.
	var page service.AuditPage
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		req, _ = http.NewRequest("GET", "http://"+m.Addr()+"/v1/audit?channel=admin", nil)
		req.Header.Set("X-API-Key", "ops-key")
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		page = service.AuditPage{}
		json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if len(page.Records) > 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(page.Records) != 1 || page.Records[0].Event == nil || page.Records[0].Event.Action != audit.EventListRefreshForced || page.Records[0].KeyID != "ops" {
		t.Errorf("the forced refresh in the audit trail: %+v", page.Records)
	}
}
