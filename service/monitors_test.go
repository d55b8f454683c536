package service

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cslscreen/screener/audit"
	"github.com/cslscreen/screener/lists"
	"github.com/cslscreen/screener/monitor"
	"github.com/cslscreen/screener/screening"
)

// monitorRig serves version A (the embedded entries without Kaspersky Labs
// Limited) with monitoring; next serves B (all three).
type monitorRig struct {
	t     *testing.T
	s     *Server
	h     http.Handler
	cat   *screening.Catalog
	store *lists.MemoryStore
	eng   *monitor.Engine
	ring  *audit.Ring
	a, b  *lists.List
}

func newMonitorRig(t *testing.T) *monitorRig {
	emb := lists.Embedded()
	var base []lists.Entry
	for _, e := range emb.Entries {
		if e.ID != idUKKaspersky {
			base = append(base, e)
		}
	}
	r := &monitorRig{t: t, store: lists.NewMemoryStore(), ring: audit.NewRing(100, time.Hour)}
	r.a = lists.NewList(lists.Version{Source: "file", Origin: "A", FetchedAt: time.Now().UTC()}, base)
	r.b = lists.NewList(lists.Version{Source: "file", Origin: "B", FetchedAt: time.Now().UTC()}, emb.Entries)
	r.cat = &screening.Catalog{Store: r.store}
	r.eng = monitor.New(monitor.Options{Store: monitor.NewMemoryStore(), Catalog: r.cat, Logger: quietLog})
	r.serve(r.a)
	keys, err := ParseKeys(strings.NewReader("app:"+hashKey("k-app")+", other:"+hashKey("k-other")+", analyst:"+hashKey("k-analyst")+":decide"), "API_KEYS")
	if err != nil {
		t.Fatal(err)
	}
	r.s = newTestServer(t, Options{Catalog: r.cat, Store: r.store, Keys: keys, Monitor: r.eng, Audit: Audit{Log: r.ring, Backend: "memory"}})
	r.h = r.s.Handler()
	return r
}

func (r *monitorRig) serve(l *lists.List) {
	r.t.Helper()
	if err := r.store.Publish(context.Background(), l); err != nil {
		r.t.Fatal(err)
	}
	r.cat.Load(l)
	if _, err := r.eng.CatchUp(context.Background()); err != nil {
		r.t.Fatal(err)
	}
}

func (r *monitorRig) do(key, method, path, body string, want int) []byte {
	r.t.Helper()
	ct := ""
	if body != "" {
		ct = "application/json"
	}
	w := do(r.t, r.h, method, path, ct, body, "Authorization", "Bearer "+key)
	if w.Code != want {
		r.t.Fatalf("%s %s as %s: status %d, want %d: %s", method, path, key, w.Code, want, w.Body)
	}
	return w.Body.Bytes()
}

func unmarshal[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %T: %v\n%s", v, err, b)
	}
	return v
}

// TestMonitorReferenceWithSlash: a customer's reference may hold "/" and
// other characters a path escapes; it is shown and removed by its escaped
// form.
func TestMonitorReferenceWithSlash(t *testing.T) {
	r := newMonitorRig(t)
	for _, ref := range []string{"ACME/123", "a b%c?d", "x/y/z"} {
		body, _ := json.Marshal(map[string]any{"counterparties": []map[string]string{{"reference": ref, "name": "Acme Clean Widgets"}}})
		r.do("k-app", "POST", "/v1/monitors", string(body), 200)
		path := "/v1/monitors/" + url.PathEscape(ref)
		got := unmarshal[MonitorResponse](t, r.do("k-app", "GET", path, "", 200))
		if got.Counterparty.Reference != ref {
			t.Errorf("GET %s: reference %q, want %q", path, got.Counterparty.Reference, ref)
		}
		r.do("k-app", "DELETE", path, "", 204)
		r.do("k-app", "GET", path, "", 404)
	}
}

func TestMonitoringRoutes(t *testing.T) {
	r := newMonitorRig(t)

	// Registration screens each counterparty once.
	reg := unmarshal[RegisterResponse](t, r.do("k-app", "POST", "/v1/monitors", `{"counterparties":[
		{"reference":"c-1","name":"Kaspersky Labs Ltd","country":"gb"},
		{"reference":"c-2","name":"Acme Clean Widgets"},
		{"reference":"c-3","name":"AO Kaspersky Lab","type":"entity"}]}`, 200))
	if len(reg.Counterparties) != 3 || !reg.Counterparties[0].Created || reg.Counterparties[0].Counterparty.Country != "GB" ||
		reg.Counterparties[2].Counterparty.Type != "Entity" {
		t.Fatalf("registered %+v", reg)
	}
	if n := len(reg.Counterparties[1].Alerts); n != 0 {
		t.Errorf("a clean name raised %d alerts", n)
	}
	var c3 monitor.Alert
	for _, a := range reg.Counterparties[2].Alerts {
		if a.EntryID == idAOKaspersky {
			c3 = a
		}
	}
	if c3.ID == "" || c3.Status != "open" || c3.Cause != monitor.CauseRegistered || c3.ListVersion != r.a.Version.ID || c3.List != "EL" {
		t.Fatalf("c-3's registration alerts %+v", reg.Counterparties[2].Alerts)
	}
	// Again, unchanged: an upsert that raises nothing new.
	again := unmarshal[RegisterResponse](t, r.do("k-app", "POST", "/v1/monitors", `{"counterparties":[{"reference":"c-3","name":"AO Kaspersky Lab","type":"entity"}]}`, 200))
	if again.Counterparties[0].Created || len(again.Counterparties[0].Alerts) != 0 {
		t.Errorf("registering again: %+v", again)
	}

	// Bad input names its field.
	w := do(t, r.h, "POST", "/v1/monitors", "application/json", `{"counterparties":[{"reference":"ok","name":"A"},{"reference":"x","name":" "}]}`, "Authorization", "Bearer k-app")
	if w.Code != 400 || !strings.Contains(w.Body.String(), `"field":"counterparties[1].name"`) {
		t.Errorf("a blank name: %d %s", w.Code, w.Body)
	}
	r.do("k-app", "POST", "/v1/monitors", `{"counterparties":[]}`, 400)

	// Paged by reference, per key.
	p1 := unmarshal[MonitorsPage](t, r.do("k-app", "GET", "/v1/monitors?limit=2", "", 200))
	if len(p1.Counterparties) != 2 || p1.Next == "" || p1.Counterparties[0].Reference != "c-1" {
		t.Fatalf("page 1 %+v", p1)
	}
	p2 := unmarshal[MonitorsPage](t, r.do("k-app", "GET", "/v1/monitors?limit=2&cursor="+p1.Next, "", 200))
	if len(p2.Counterparties) != 1 || p2.Next != "" || p2.Counterparties[0].Reference != "c-3" {
		t.Fatalf("page 2 %+v", p2)
	}
	r.do("k-app", "GET", "/v1/monitors?cursor=!!", "", 400)
	if p := unmarshal[MonitorsPage](t, r.do("k-other", "GET", "/v1/monitors", "", 200)); len(p.Counterparties) != 0 {
		t.Errorf("another key sees %d counterparties", len(p.Counterparties))
	}
	r.do("k-other", "GET", "/v1/monitors/c-1", "", 404)
	one := unmarshal[MonitorResponse](t, r.do("k-app", "GET", "/v1/monitors/c-3", "", 200))
	if one.Counterparty.Name != "AO Kaspersky Lab" || len(one.Alerts) == 0 {
		t.Errorf("GET c-3: %+v", one)
	}

	// Version B adds Kaspersky Labs Limited: c-1 gets an alert.
	r.serve(r.b)
	open := unmarshal[AlertsPage](t, r.do("k-app", "GET", "/v1/alerts?status=open&reference=c-1", "", 200))
	var added []monitor.Alert
	for _, a := range open.Alerts {
		if a.Reference != "c-1" || a.Status != "open" {
			t.Errorf("filtered alerts hold %+v", a)
		}
		if a.Cause == monitor.CauseAdded {
			added = append(added, a)
		}
	}
	if len(added) != 1 || added[0].EntryID != idUKKaspersky || added[0].ListVersion != r.b.Version.ID || added[0].MatchedName == "" ||
		added[0].CounterpartyName != "Kaspersky Labs Ltd" || added[0].Name != "Kaspersky Labs Limited" {
		t.Fatalf("c-1's alerts raised by B: %+v", added)
	}
	alert := added[0]
	if got := unmarshal[AlertsPage](t, r.do("k-app", "GET", "/v1/alerts?list=SDN", "", 200)); len(got.Alerts) != 0 {
		t.Errorf("list=SDN: %d alerts", len(got.Alerts))
	}
	if got := unmarshal[AlertsPage](t, r.do("k-other", "GET", "/v1/alerts", "", 200)); len(got.Alerts) != 0 {
		t.Errorf("another key sees %d alerts", len(got.Alerts))
	}
	r.do("k-other", "GET", "/v1/alerts/"+alert.ID, "", 404)
	r.do("k-app", "GET", "/v1/alerts?status=maybe", "", 400)
	if got := unmarshal[AlertsPage](t, r.do("k-analyst", "GET", "/v1/alerts?key_id=app&limit=1", "", 200)); len(got.Alerts) != 1 || got.Next == "" {
		t.Errorf("the analyst's first page of app's alerts: %+v", got)
	}

	// The diff and a past version's entry.
	diff := unmarshal[monitor.ListDiff](t, r.do("k-app", "GET", "/v1/lists/diff?from="+r.a.Version.ID+"&to="+r.b.Version.ID, "", 200))
	if len(diff.Added) != 1 || diff.Added[0].ID != idUKKaspersky || len(diff.Removed) != 0 || len(diff.Changed) != 0 {
		t.Errorf("diff %+v", diff)
	}
	if d := unmarshal[monitor.ListDiff](t, r.do("k-app", "GET", "/v1/lists/diff", "", 200)); d.From != r.a.Version.ID || d.To != r.b.Version.ID {
		t.Errorf("the default diff is %s→%s", d.From, d.To)
	}
	r.do("k-app", "GET", "/v1/lists/diff?from=nope", "", 404)
	r.do("k-app", "GET", "/v1/lists/versions/"+r.a.Version.ID+"/entries/"+idUKKaspersky, "", 404)
	e := unmarshal[EntryResponse](t, r.do("k-app", "GET", "/v1/lists/versions/"+r.b.Version.ID+"/entries/"+idUKKaspersky, "", 200))
	if e.ListVersion != r.b.Version.ID || len(e.Entries) != 1 {
		t.Errorf("entry %+v", e)
	}

	// Deciding needs the decide scope.
	fp := `{"outcome":"false_positive","reason":"a UK subsidiary we never deal with"}`
	r.do("k-app", "POST", "/v1/alerts/"+alert.ID+"/decision", fp, 403)
	r.do("k-analyst", "POST", "/v1/alerts/"+alert.ID+"/decision", `{"outcome":"maybe","reason":"x"}`, 400)
	r.do("k-analyst", "POST", "/v1/alerts/al_nope/decision", fp, 404)
	dec := unmarshal[DecisionResponse](t, r.do("k-analyst", "POST", "/v1/alerts/"+alert.ID+"/decision", fp, 200))
	if dec.Alert.Status != "closed" || dec.Alert.ClosedReason != monitor.ClosedDecided || dec.Decision.Outcome != "false_positive" ||
		dec.Decision.DecidedBy != "analyst" || dec.Decision.KeyID != "app" || dec.Alert.Decision == nil {
		t.Errorf("decision %+v", dec)
	}
	r.do("k-analyst", "POST", "/v1/alerts/"+alert.ID+"/decision", fp, 409)

	// The decision is in the audit trail with the key and time.
	page, err := r.ring.Query(context.Background(), audit.Filter{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour), Channel: audit.ChannelAdmin, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(page.Records, func(rec audit.Record) bool {
		return rec.KeyID == "analyst" && rec.Event != nil && rec.Event.Action == "decision" && strings.Contains(rec.Event.Detail, dec.Decision.ID) && !rec.Time.IsZero()
	}) {
		t.Errorf("no decision in the audit trail: %+v", page.Records)
	}

	// The next screening of the name by the alert's key says it was suppressed.
	sr := unmarshal[ScreenResponse](t, r.do("k-app", "POST", "/v1/screen", `{"name":"Kaspersky Labs Ltd"}`, 200))
	if len(sr.Suppressed) != 1 || sr.Suppressed[0].ID != idUKKaspersky || sr.Suppressed[0].SuppressedBy != dec.Decision.ID {
		t.Errorf("suppressed %+v", sr.Suppressed)
	}
	for _, m := range sr.Matches {
		if m.ID == idUKKaspersky {
			t.Error("the suppressed entry is still a match")
		}
	}
	if other := unmarshal[ScreenResponse](t, r.do("k-other", "POST", "/v1/screen", `{"name":"Kaspersky Labs Ltd"}`, 200)); len(other.Suppressed) != 0 {
		t.Errorf("another key's screening suppressed %+v", other.Suppressed)
	}

	// Deleting a monitor closes its open alerts.
	r.do("k-app", "DELETE", "/v1/monitors/c-3", "", 204)
	r.do("k-app", "DELETE", "/v1/monitors/c-3", "", 404)
	r.do("k-app", "GET", "/v1/monitors/c-3", "", 404)
	got := unmarshal[monitor.Alert](t, r.do("k-app", "GET", "/v1/alerts/"+c3.ID, "", 200))
	if got.Status != "closed" || got.ClosedReason != monitor.ClosedMonitorDeleted {
		t.Errorf("c-3's alert after delete: %+v", got)
	}
	// Registered again (on the same version), it is screened again and alerts again.
	back := unmarshal[RegisterResponse](t, r.do("k-app", "POST", "/v1/monitors", `{"counterparties":[{"reference":"c-3","name":"AO Kaspersky Lab","type":"entity"}]}`, 200))
	if !back.Counterparties[0].Created || len(back.Counterparties[0].Alerts) == 0 || back.Counterparties[0].Alerts[0].Status != "open" {
		t.Errorf("registered again: %+v", back.Counterparties[0])
	}
}

// Counterparties can be registered from a CSV or JSON-lines file, as a
// batch is uploaded.
func TestRegisterFile(t *testing.T) {
	r := newMonitorRig(t)
	for _, tc := range []struct {
		name, ct, body string
		status         int
		refs           []string
		field          string
	}{
		{"csv", "text/csv", "reference,name,country,segment\nf-1,Kaspersky Labs Ltd,GB,x\nf-2,\"Acme, Widgets\",,y\n", 200, []string{"f-1", "f-2"}, ""},
		{"jsonl", "application/x-ndjson", `{"reference":"j-1","name":"AO Kaspersky Lab","extra":1}` + "\n\n" + `{"reference":"j-2","name":"Zzyzx"}` + "\n", 200, []string{"j-1", "j-2"}, ""},
		{"csv without a name column", "text/csv", "reference,nom\nx,y\n", 400, nil, "name"},
		{"csv with a blank name", "text/csv", "reference,name\nx,\n", 400, nil, "counterparties[0].name"},
		{"jsonl with a bad line", "application/x-ndjson", `{"reference":"a","name":"b"}` + "\n" + `{"reference":7}` + "\n", 400, nil, "reference"},
		{"a spreadsheet", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "PK\x03\x04", 415, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := do(t, r.h, "POST", "/v1/monitors", tc.ct, tc.body, "Authorization", "Bearer k-app")
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if tc.status != 200 {
				if tc.field != "" && !strings.Contains(w.Body.String(), `"field":"`+tc.field+`"`) {
					t.Errorf("the problem does not name %s: %s", tc.field, w.Body)
				}
				return
			}
			reg := unmarshal[RegisterResponse](t, w.Body.Bytes())
			var refs []string
			for _, c := range reg.Counterparties {
				refs = append(refs, c.Counterparty.Reference)
			}
			if !slices.Equal(refs, tc.refs) {
				t.Errorf("registered %v, want %v", refs, tc.refs)
			}
		})
	}
}
