package monitor_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cslscreen/screener/internal/fixtures"
	"github.com/cslscreen/screener/lists"
	"github.com/cslscreen/screener/matcher"
	"github.com/cslscreen/screener/monitor"
	"github.com/cslscreen/screener/screening"
)

// versions returns list version A (the CSL fixture without its Kaspersky
// rows) and B (A with the three Kaspersky entries of 89 FR 52362).
func versions(tb testing.TB) (a, b *lists.List) {
	tb.Helper()
	f, err := os.Open(fixtures.Path(tb, "data/csl_full_fixture.csv.gz"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	p, err := lists.Parse(f, lists.ParseOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	var base []lists.Entry
	for _, e := range p.Entries {
		if !strings.Contains(strings.ToLower(e.Name), "kaspersky") {
			base = append(base, e)
		}
	}
	if len(p.Entries)-len(base) != 3 {
		tb.Fatalf("the fixture has %d Kaspersky rows, want 3", len(p.Entries)-len(base))
	}
	a = lists.NewList(lists.Version{Source: "file", Origin: "A"}, base)
	b = lists.NewList(lists.Version{Source: "file", Origin: "B"}, append(slices.Clone(base), lists.Embedded().Entries...))
	return a, b
}

type rig struct {
	cat    *screening.Catalog
	store  *lists.MemoryStore
	eng    *monitor.Engine
	ms     monitor.Store
	hooks  *monitor.Webhooks
	mu     sync.Mutex
	got    map[string]int // alert id → deliveries with a valid signature
	badSig int
}

var secret = []byte("s3cret")

func newRig(t *testing.T, ms monitor.Store, first *lists.List) *rig {
	r := &rig{store: lists.NewMemoryStore(), ms: ms, got: map[string]int{}}
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if err := monitor.Verify(secret, req.Header.Get(monitor.SignatureHeader), body, time.Now(), 5*time.Minute); err != nil {
			r.mu.Lock()
			r.badSig++
			r.mu.Unlock()
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var a monitor.Alert
		if err := json.Unmarshal(body, &a); err != nil || a.ID != req.Header.Get("X-Screener-Alert-Id") {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.got[a.ID]++
		r.mu.Unlock()
	}))
	t.Cleanup(recv.Close)
	r.cat = &screening.Catalog{Store: r.store}
	r.hooks = &monitor.Webhooks{URLs: map[string]string{"k1": recv.URL}, Secret: secret, Backoff: time.Millisecond, Poll: 5 * time.Millisecond}
	r.eng = monitor.New(monitor.Options{Store: ms, Catalog: r.cat, Webhooks: r.hooks})
	r.serve(t, first)
	return r
}

// serve publishes l, makes it current and catches the monitoring up.
func (r *rig) serve(t *testing.T, l *lists.List) monitor.RunReport {
	t.Helper()
	ctx := context.Background()
	if err := r.store.Publish(ctx, l); err != nil {
		t.Fatal(err)
	}
	r.cat.Load(l)
	rep, err := r.eng.CatchUp(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func (r *rig) alerts(t *testing.T, f monitor.AlertFilter) []monitor.Alert {
	t.Helper()
	f.AllKeys, f.Limit = true, monitor.MaxLimit
	as, _, err := r.ms.ListAlerts(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return as
}

var kaspersky = map[string]bool{
	"88a5a8ac99fb224dc40025c5c2abb25919f56d25bd1f0c766af312b1": true, // AO Kaspersky Lab
	"3602e06799bcd90808e02b813332f0f97ec0d66bce1e87549d5a3450": true, // OOO Kaspersky Group
	"8e2975db722f844da153792847843a140517b2fb476b1e84311cd739": true, // Kaspersky Labs Limited
}

// TestDoneWhen is the test: version A, counterparties, version B
// adds the three Kaspersky entries: exactly the expected alerts, each
// delivered once with a valid signature; a false positive suppresses the
// pair in the next screening; version C (= A) closes the alerts.
func TestDoneWhen(t *testing.T) {
	testDoneWhen(t, monitor.NewMemoryStore())
}

func testDoneWhen(t *testing.T, ms monitor.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, b := versions(t)
	r := newRig(t, ms, a)
	go r.hooks.Run(ctx)

	cps := []monitor.Counterparty{
		{Reference: "c-kas", Name: "Kaspersky Lab JSC", Country: "RU"},
		{Reference: "c-kas2", Name: "Kaspersky Labs Ltd"},
		{Reference: "c-clean1", Name: "Acme Widgets Ltd", Country: "US"},
		{Reference: "c-clean2", Name: "Blue Harbor Consulting GmbH"},
		{Reference: "c-huawei", Name: "Chengdu Huawei Technologies Co., Ltd."},
		{Reference: "c-rosobor", Name: "Rosoboronexport"},
	}
	regs, err := r.eng.Register(ctx, "k1", cps)
	if err != nil {
		t.Fatal(err)
	}
	for _, reg := range regs {
		ref := reg.Counterparty.Reference
		wantHit := ref == "c-huawei" || ref == "c-rosobor"
		if (len(reg.Alerts) > 0) != wantHit {
			t.Errorf("registering %s raised %d alerts (%v); want hits: %v", ref, len(reg.Alerts), reg.Alerts, wantHit)
		}
		for _, al := range reg.Alerts {
			if kaspersky[al.EntryID] || al.Cause != monitor.CauseRegistered || al.ListVersion != a.Version.ID {
				t.Errorf("registration alert %+v", al)
			}
		}
	}
	before := map[string]bool{}
	for _, al := range r.alerts(t, monitor.AlertFilter{}) {
		before[al.ID] = true
	}

	// What a normal screening of each counterparty against B finds among
	// the added entries is exactly what the run must raise.
	snapB := screening.NewSnapshot(b)
	want := map[string]bool{}
	for _, c := range cps {
		q, _ := screening.Check(screening.Request{Name: c.Name, Country: c.Country, Type: c.Type}, matcher.DefaultThreshold)
		q.Limit = screening.MaxLimit
		for _, m := range screening.Screen(snapB, q).Matches {
			if kaspersky[m.ID] {
				want[c.Reference+" "+m.ID] = true
			}
		}
	}
	if !want["c-kas 88a5a8ac99fb224dc40025c5c2abb25919f56d25bd1f0c766af312b1"] {
		t.Fatalf("the brute-force screening misses Kaspersky Lab JSC ~ AO Kaspersky Lab: %v", want)
	}

	rep := r.serve(t, b)
	if rep.Added != 3 || rep.Removed != 0 || rep.Changed != 0 {
		t.Fatalf("run A→B: %+v, want 3 added", rep)
	}
	got := map[string]bool{}
	var fresh []monitor.Alert
	for _, al := range r.alerts(t, monitor.AlertFilter{}) {
		if before[al.ID] {
			continue
		}
		fresh = append(fresh, al)
		got[al.Reference+" "+al.EntryID] = true
		if al.Status != monitor.AlertOpen || al.Cause != monitor.CauseAdded || al.ListVersion != b.Version.ID || al.EntryHash == "" {
			t.Errorf("alert %+v", al)
		}
	}
	if !mapsEqual(got, want) {
		t.Fatalf("run A→B raised %v, want exactly %v", got, want)
	}
	if rep.Alerts != len(want) {
		t.Errorf("report counts %d alerts, want %d", rep.Alerts, len(want))
	}

	// Redone (a replica died before recording it): nothing twice.
	if err := ms.FinishRun(ctx, b.Version.ID, a.Version.ID); err != nil { // pretend we are back at A
		t.Fatal(err)
	}
	// (FinishRun only moves from the version given; B is current, so
	// rewind through a store-specific path: catch up from A again.)
	rewind(t, ms, a.Version.ID)
	rep2, err := r.eng.CatchUp(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep2.Alerts != 0 || len(r.alerts(t, monitor.AlertFilter{})) != len(before)+len(want) {
		t.Fatalf("redoing the run added alerts: %+v", rep2)
	}

	// Each open alert of k1 reaches the webhook once, signed.
	deadline := time.Now().Add(10 * time.Second)
	for {
		r.mu.Lock()
		n := len(r.got)
		r.mu.Unlock()
		if n == len(before)+len(want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the webhook got %d alerts, want %d", n, len(before)+len(want))
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.mu.Lock()
	for id, n := range r.got {
		if n != 1 {
			t.Errorf("alert %s delivered %d times", id, n)
		}
	}
	if r.badSig != 0 {
		t.Errorf("%d deliveries with a bad signature", r.badSig)
	}
	r.mu.Unlock()
	for _, al := range fresh {
		got, err := ms.GetAlert(ctx, al.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Delivery == nil || got.Delivery.State != monitor.DeliveryDelivered || got.Delivery.Attempts != 1 {
			t.Errorf("alert %s delivery %+v", al.ID, got.Delivery)
		}
	}

	// A false positive on c-kas2's alert suppresses the pair in the next
	// screening of that name.
	var fp monitor.Alert
	for _, al := range fresh {
		if al.Reference == "c-kas2" {
			fp = al
		}
	}
	if fp.ID == "" {
		t.Fatalf("no alert for c-kas2 in %v", got)
	}
	decided, dec, err := r.eng.Decide(ctx, fp.ID, "analyst", monitor.Decision{Outcome: monitor.FalsePositive, Reason: "a different company"})
	if err != nil {
		t.Fatal(err)
	}
	if decided.Status != monitor.AlertClosed || decided.Decision == nil || decided.Decision.ID != dec.ID {
		t.Errorf("decided alert %+v", decided)
	}
	if _, _, err := r.eng.Decide(ctx, fp.ID, "analyst", monitor.Decision{Outcome: monitor.TrueMatch, Reason: "again"}); err == nil {
		t.Error("deciding twice succeeded")
	}
	q, _ := screening.Check(screening.Request{Name: "Kaspersky Labs Ltd"}, matcher.DefaultThreshold)
	res := screening.Screen(r.cat.Current(), q)
	sup := res.Suppress(r.cat.Current(), r.eng.Suppressor("k1"))
	if len(sup) != 1 || sup[0].ID != fp.EntryID || sup[0].SuppressedBy != dec.ID {
		t.Fatalf("suppressed %+v, want entry %s by %s", sup, fp.EntryID, dec.ID)
	}
	for _, m := range res.Matches {
		if m.ID == fp.EntryID {
			t.Errorf("the suppressed entry is still among the matches")
		}
	}
	if other := r.eng.Suppressor("k2"); other != nil {
		if s := res.Suppress(r.cat.Current(), other); len(s) != 0 {
			t.Errorf("another key's screening was suppressed: %v", s)
		}
	}

	// Version C = A: the Kaspersky entries are removed; their open alerts close.
	rep3 := r.serve(t, a)
	if rep3.Removed != 3 {
		t.Fatalf("run B→A: %+v", rep3)
	}
	for _, al := range fresh {
		got, _ := ms.GetAlert(ctx, al.ID)
		if got.Status != monitor.AlertClosed {
			t.Errorf("alert %s on a removed entry is %s", al.ID, got.Status)
		}
		if al.ID != fp.ID && got.ClosedReason != monitor.ClosedEntryRemoved {
			t.Errorf("alert %s closed for %q", al.ID, got.ClosedReason)
		}
	}
	for _, al := range r.alerts(t, monitor.AlertFilter{Status: monitor.AlertOpen}) {
		if !before[al.ID] {
			t.Errorf("alert %s still open", al.ID)
		}
	}
}

func mapsEqual(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// rewind sets a store's last version back (as if the run had not been
// recorded).
func rewind(t *testing.T, ms monitor.Store, to string) {
	t.Helper()
	type rewinder interface{ SetLastVersion(string) }
	rw, ok := ms.(rewinder)
	if !ok {
		t.Fatalf("%T cannot rewind", ms)
	}
	rw.SetLastVersion(to)
}

// A counterparty deleted and registered again on the same list version
// alerts again; registered again unchanged, it does not alert twice.
func TestRegisterAgain(t *testing.T) {
	ctx := context.Background()
	a, _ := smallVersions()
	ls := lists.NewMemoryStore()
	ls.Publish(ctx, a)
	eng := replica(ls, monitor.NewMemoryStore(), a)
	c := []monitor.Counterparty{{Reference: "c-1", Name: "AO Kaspersky Lab"}}
	first, err := eng.Register(ctx, "k", c)
	if err != nil || len(first[0].Alerts) == 0 {
		t.Fatalf("first: %+v %v", first, err)
	}
	if again, _ := eng.Register(ctx, "k", c); len(again[0].Alerts) != 0 {
		t.Errorf("registered again unchanged: %+v", again[0].Alerts)
	}
	if err := eng.Delete(ctx, "k", "c-1"); err != nil {
		t.Fatal(err)
	}
	back, err := eng.Register(ctx, "k", c)
	if err != nil || len(back[0].Alerts) != len(first[0].Alerts) || back[0].Alerts[0].ID == first[0].Alerts[0].ID {
		t.Errorf("back after delete: %+v %v", back, err)
	}
}
