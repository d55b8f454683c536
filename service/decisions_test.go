package service

import (
	"bytes"
	"context"
	"encoding/csv"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cslscreen/screener/audit"
	"github.com/cslscreen/screener/monitor"
	"github.com/cslscreen/screener/screening"
)

// A false positive decided on a match of a screening suppresses the pair
// in the key's next screening (not another key's), a monitored
// counterparty with the decision's reference raises its alert closed, the
// decision is in the audit trail and listed; bad input is a problem
// naming the field.
func TestMatchDecisions(t *testing.T) {
	r := newMonitorRig(t)
	screen := func(key, name string) ScreenResponse {
		return unmarshal[ScreenResponse](t, r.do(key, "POST", "/v1/screen", `{"name":"`+name+`"}`, 200))
	}
	first := screen("k-analyst", "AO  kaspersky lab")
	if first.Status != "match" || len(first.Matches) == 0 || first.Matches[0].ID != idAOKaspersky {
		t.Fatalf("the first screening: %+v", first)
	}
	m := first.Matches[0]

	// The analyst decides the match a false positive for the app's key.
	body := `{"key_id":"app","name":"` + first.Query.Name + `","reference":"c-77","entry_id":"` + m.ID + `","source":"` + m.Source +
		`","outcome":"false_positive","reason":"a namesake in Leeds","screening_id":"` + first.ID + `"}`
	r.do("k-app", "POST", "/v1/decisions", body, 403) // deciding needs the decide scope
	d := unmarshal[monitor.Decision](t, r.do("k-analyst", "POST", "/v1/decisions", body, 201))
	if d.ID == "" || d.AlertID != "" || d.KeyID != "app" || d.DecidedBy != "analyst" || d.EntryID != idAOKaspersky || d.Source != m.Source ||
		d.EntryHash == "" || d.ListVersion != r.a.Version.ID || d.ScreeningID != first.ID || d.Reference != "c-77" || d.CounterpartyName != "AO  kaspersky lab" {
		t.Fatalf("the decision: %+v", d)
	}

	// The app's next screening of the same name (case and spaces aside)
	// has the match suppressed, by the decision; the analyst's has not.
	after := screen("k-app", "ao kaspersky   LAB")
	var sup []string
	for _, s := range after.Suppressed {
		sup = append(sup, s.ID+"="+s.SuppressedBy)
	}
	if strings.Join(sup, ",") != idAOKaspersky+"="+d.ID {
		t.Errorf("suppressed in the app's screening: %v", sup)
	}
	for _, x := range after.Matches {
		if x.ID == idAOKaspersky {
			t.Errorf("the decided entry is still among the matches")
		}
	}
	if again := screen("k-analyst", "AO Kaspersky Lab"); len(again.Suppressed) != 0 {
		t.Errorf("another key's screening is suppressed: %+v", again.Suppressed)
	}
	// The screening's audit record keeps what was suppressed and by which
	// decision: the record of a clear answer says why it was clear.
	if rec, err := r.ring.Get(context.Background(), after.ID); err != nil {
		t.Errorf("the suppressed screening's audit record: %v", err)
	} else if len(rec.Suppressed) == 0 || rec.Suppressed[0].ID != idAOKaspersky || rec.Suppressed[0].SuppressedBy != d.ID {
		t.Errorf("the audit record's suppressed matches: %+v", rec.Suppressed)
	}
	from, to := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	export, err := csv.NewReader(bytes.NewReader(r.do("k-app", "GET", "/v1/audit/export?format=csv&from="+from+"&to="+to, "", 200))).ReadAll()
	if err != nil || len(export) < 2 || export[0][len(export[0])-1] != "suppressed_by" {
		t.Fatalf("the export: %v, %v", export, err)
	}
	var exported string
	for _, row := range export[1:] {
		if row[0] == after.ID {
			exported = row[len(row)-1]
		}
	}
	if exported != d.ID {
		t.Errorf("the export's suppressed_by of screening %s: %q, want %q", after.ID, exported, d.ID)
	}

	// A counterparty the app monitors under the decision's reference, with
	// another spelling, raises its alert on the entry closed, suppressed.
	reg := unmarshal[RegisterResponse](t, r.do("k-app", "POST", "/v1/monitors", `{"counterparties":[{"reference":"c-77","name":"Kaspersky Lab AO"}]}`, 200))
	for _, a := range reg.Counterparties[0].Alerts {
		if a.EntryID == idAOKaspersky {
			t.Errorf("an open alert on the decided entry: %+v", a)
		}
	}
	closed := unmarshal[AlertsPage](t, r.do("k-app", "GET", "/v1/alerts?reference=c-77&status=closed", "", 200))
	if len(closed.Alerts) == 0 || closed.Alerts[0].EntryID != idAOKaspersky || closed.Alerts[0].SuppressedBy != d.ID {
		t.Errorf("the suppressed alert: %+v", closed.Alerts)
	}

	// A true match suppresses nothing.
	tm := unmarshal[monitor.Decision](t, r.do("k-analyst", "POST", "/v1/decisions", `{"name":"Kaspersky Labs Limited","entry_id":"`+idAOKaspersky+`","outcome":"true_match","reason":"same"}`, 201))
	if again := screen("k-analyst", "Kaspersky Labs Limited"); len(again.Suppressed) != 0 {
		t.Errorf("a true match suppressed: %+v", again.Suppressed)
	}

	// Listed newest first: the app sees its own; the analyst every key's.
	own := unmarshal[DecisionsPage](t, r.do("k-app", "GET", "/v1/decisions", "", 200))
	if len(own.Decisions) != 1 || own.Decisions[0].ID != d.ID {
		t.Errorf("the app's decisions: %+v", own.Decisions)
	}
	all := unmarshal[DecisionsPage](t, r.do("k-analyst", "GET", "/v1/decisions?limit=1", "", 200))
	if len(all.Decisions) != 1 || all.Decisions[0].ID != tm.ID || all.Next == "" {
		t.Errorf("every key's, page 1: %+v", all)
	}
	all = unmarshal[DecisionsPage](t, r.do("k-analyst", "GET", "/v1/decisions?limit=1&cursor="+all.Next, "", 200))
	if len(all.Decisions) != 1 || all.Decisions[0].ID != d.ID {
		t.Errorf("every key's, page 2: %+v", all)
	}
	r.do("k-app", "GET", "/v1/decisions?key_id=analyst", "", 400)
	if got := unmarshal[monitor.Decision](t, r.do("k-app", "GET", "/v1/decisions/"+d.ID, "", 200)); got.ID != d.ID {
		t.Errorf("GET the decision: %+v", got)
	}
	r.do("k-other", "GET", "/v1/decisions/"+d.ID, "", 404)

	// In the audit trail, with the deciding key and the time.
	recs, err := r.ring.Query(context.Background(), audit.Filter{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour), Channel: audit.ChannelAdmin, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, rec := range recs.Records {
		if rec.Event != nil && rec.Event.Action == eventDecision && strings.Contains(rec.Event.Detail, d.ID) {
			found = true
			if rec.KeyID != "analyst" || !rec.Time.Equal(d.CreatedAt) || !strings.Contains(rec.Event.Detail, "screening "+first.ID) || rec.ListVersion != r.a.Version.ID {
				t.Errorf("the audit record: %+v %+v", rec, rec.Event)
			}
		}
	}
	if !found {
		t.Errorf("no audit record of decision %s", d.ID)
	}

	// Bad input: a problem naming the field.
	for _, tc := range []struct{ body, field string }{
		{`{"name":"","entry_id":"x","outcome":"false_positive","reason":"x"}`, "name"},
		{`{"name":"x","entry_id":" ","outcome":"false_positive","reason":"x"}`, "entry_id"},
		{`{"name":"x","entry_id":"x","outcome":"maybe","reason":"x"}`, "outcome"},
		{`{"name":"x","entry_id":"x","outcome":"true_match","reason":"  "}`, "reason"},
		{`{"name":"x","entry_id":"x","outcome":"true_match","reason":"x","batch_row":4}`, "batch_job"},
		{`{"name":"x","entry_id":"x","outcome":"true_match","reason":"x","batch_row":-1,"batch_job":"j"}`, "batch_row"},
		{`{"name":"x","entry_id":"x","outcome":"true_match","reason":"x","batch_job":"j","screening_id":"s"}`, "screening_id"},
		{`{"name":"x","reference":"a\u0001","entry_id":"x","outcome":"true_match","reason":"x"}`, "reference"},
		{`{"name":"x","entry_id":"x","outcome":"true_match","reason":"x","colour":"red"}`, "colour"},
		{`{"key_id":"no spaces","name":"x","entry_id":"x","outcome":"true_match","reason":"x"}`, "key_id"},
	} {
		p := unmarshal[Problem](t, r.do("k-analyst", "POST", "/v1/decisions", tc.body, 400))
		if len(p.Errors) == 0 || p.Errors[0].Field != tc.field {
			t.Errorf("%s: problem %+v, want field %s", tc.body, p, tc.field)
		}
	}
	p := unmarshal[Problem](t, r.do("k-analyst", "POST", "/v1/decisions", `{"name":"x","entry_id":"no-such","outcome":"true_match","reason":"x"}`, 404))
	if !strings.Contains(p.Detail, "no-such") {
		t.Errorf("404 detail: %q", p.Detail)
	}
	r.do("k-analyst", "POST", "/v1/decisions", `{"name":"x","entry_id":"`+idAOKaspersky+`","source":"SDN","outcome":"true_match","reason":"x"}`, 404)
}

// Batch rows of a key's job are screened with the key's false positives:
// by the row's reference, or by its name; the results say which decision
// suppressed what, and the status is judged on what is left.
func TestBatchRowsSuppressed(t *testing.T) {
	cat := &screening.Catalog{}
	cat.Load(testList())
	eng := monitor.New(monitor.Options{Store: monitor.NewMemoryStore(), Catalog: cat, Logger: quietLog})
	metrics := NewMetrics(BuildInfo{Version: "test"})
	ring := audit.NewRing(100, 0)
	_, routes := newTestBatches(t, cat, metrics, batchTestOptions{WaitMaxRows: 100, Suppressor: eng.Suppressor, Audit: Audit{Log: ring, Backend: "memory"}})
	keys, err := ParseKeys(strings.NewReader("app:"+hashKey("k-app")+", other:"+hashKey("k-other")+", analyst:"+hashKey("k-analyst")+":decide"), "API_KEYS")
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, Options{Catalog: cat, Metrics: metrics, Batches: routes, Keys: keys, Monitor: eng})
	h := s.Handler()
	d := unmarshal[monitor.Decision](t, do(t, h, "POST", "/v1/decisions", "application/json",
		`{"key_id":"app","name":"AO Kaspersky Lab","reference":"r-1","entry_id":"`+idAOKaspersky+`","source":"EL","outcome":"false_positive","reason":"our customer since 1999","batch_job":"b_earlier","batch_row":2}`,
		"X-API-Key", "k-analyst").Body.Bytes())
	if d.ID == "" {
		t.Fatal("no decision")
	}
	in := "reference,name\nr-1,Kaspersky Lab AO\nr-2,Kaspersky Lab\nr-3,ao  KASPERSKY lab\n"
	upload := func(key, format string) []byte {
		t.Helper()
		w := do(t, h, "POST", "/v1/batches?wait=true&format="+format, "text/csv", in, "X-API-Key", key)
		if w.Code != 200 {
			t.Fatalf("upload: %d %s", w.Code, w.Body)
		}
		return w.Body.Bytes()
	}

	recs, err := csv.NewReader(bytes.NewReader(upload("k-app", "csv"))).ReadAll()
	if err != nil || len(recs) != 4 {
		t.Fatalf("csv results: %d rows, %v", len(recs), err)
	}
	head := recs[0]
	if head[len(head)-1] != "suppressed_by" {
		t.Fatalf("the last column is %q", head[len(head)-1])
	}
	col := func(row []string, name string) string { return row[slices.Index(head, name)] }
	for _, tc := range []struct {
		ref, suppressedBy string
	}{{"r-1", d.ID}, {"r-2", ""}, {"r-3", d.ID}} {
		row := recs[slices.IndexFunc(recs, func(r []string) bool { return r[1] == tc.ref })]
		if got := col(row, "suppressed_by"); got != tc.suppressedBy {
			t.Errorf("%s: suppressed_by %q, want %q", tc.ref, got, tc.suppressedBy)
		}
		for i := 1; i <= 3; i++ {
			if tc.suppressedBy != "" && col(row, "match_"+strconv.Itoa(i)+"_id") == idAOKaspersky {
				t.Errorf("%s: the suppressed entry is match %d", tc.ref, i)
			}
		}
	}

	var lines []resultRow
	for _, l := range bytes.Split(bytes.TrimSpace(upload("k-app", "jsonl")), []byte("\n")) {
		lines = append(lines, unmarshal[resultRow](t, l))
	}
	if len(lines) != 3 || len(lines[0].Suppressed) != 1 || lines[0].Suppressed[0].ID != idAOKaspersky || lines[0].Suppressed[0].SuppressedBy != d.ID ||
		lines[1].Suppressed != nil || len(lines[2].Suppressed) != 1 {
		t.Errorf("jsonl results: %+v", lines)
	}
	for _, l := range lines {
		if l.Status != "match" && l.Status != "clear" {
			t.Errorf("line %d: status %s", l.Line, l.Status)
		}
	}

	// The rows' audit records keep what was suppressed, by which decision
	// (a capped log keeps such rows even when they ended clear). A row is
	// recorded before its chunk is stored, so both jobs' rows r-1 and r-3
	// are there once their answers came back.
	page, err := ring.Query(context.Background(), audit.Filter{Channel: audit.ChannelBatchRow, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	sup := map[string]string{}
	for _, rec := range page.Records {
		for _, m := range rec.Suppressed {
			sup[rec.BatchRow.Reference] = m.ID + "=" + m.SuppressedBy
		}
	}
	if want := idAOKaspersky + "=" + d.ID; sup["r-1"] != want || sup["r-3"] != want || sup["r-2"] != "" {
		t.Errorf("the rows' audit records, suppressed by reference: %v (records: %d, %v)", sup, len(page.Records), err)
	}

	// Another key's job: nothing suppressed.
	if other := upload("k-other", "jsonl"); bytes.Contains(other, []byte(`"suppressed"`)) {
		t.Errorf("another key's rows suppressed: %s", other)
	}
}

type resultRow struct {
	Line       int
	Status     string
	Suppressed []struct {
		ID           string
		SuppressedBy string `json:"suppressed_by"`
	}
}
