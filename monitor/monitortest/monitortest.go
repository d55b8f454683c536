// Package monitortest holds the contract every monitor.Store meets, for
// the stores' tests (memory and Redis in package monitor, PostgreSQL in
// package postgres).
package monitortest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cslscreen/screener/monitor"
)

// RunStore holds s, an empty store, to the contract of monitor.Store.
func RunStore(t *testing.T, s monitor.Store) {
	t.Helper()
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

	// Counterparties: upsert keeps the first created_at; pages by reference; per key.
	for i, ref := range []string{"c", "a", "b"} {
		c := monitor.Counterparty{KeyID: "k", Reference: ref, Name: "Name " + ref, CreatedAt: t0.Add(time.Duration(i) * time.Hour)}
		if _, created, err := s.PutCounterparty(ctx, c); err != nil || !created {
			t.Fatalf("put %s: %v %v", ref, created, err)
		}
	}
	s.PutCounterparty(ctx, monitor.Counterparty{KeyID: "other", Reference: "a", Name: "Other"})
	kept, created, err := s.PutCounterparty(ctx, monitor.Counterparty{KeyID: "k", Reference: "a", Name: "Renamed", CreatedAt: t0.Add(time.Hour * 9)})
	if err != nil || created || kept.Name != "Renamed" || !kept.CreatedAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("upsert: %+v %v %v", kept, created, err)
	}
	p1, next, err := s.ListCounterparties(ctx, "k", "", 2)
	if err != nil || len(p1) != 2 || p1[0].Reference != "a" || p1[1].Reference != "b" || next == "" {
		t.Fatalf("page 1: %+v %q %v", p1, next, err)
	}
	p2, next2, err := s.ListCounterparties(ctx, "k", next, 2)
	if err != nil || len(p2) != 1 || p2[0].Reference != "c" || next2 != "" {
		t.Fatalf("page 2: %+v %q %v", p2, next2, err)
	}
	if _, _, err := s.ListCounterparties(ctx, "k", "!!", 2); !errors.Is(err, monitor.ErrBadCursor) {
		t.Errorf("a bad cursor: %v", err)
	}
	if err := s.DeleteCounterparty(ctx, "k", "b"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteCounterparty(ctx, "k", "b"); !errors.Is(err, monitor.ErrNotFound) {
		t.Errorf("delete twice: %v", err)
	}
	if _, err := s.GetCounterparty(ctx, "k", "b"); !errors.Is(err, monitor.ErrNotFound) {
		t.Errorf("get deleted: %v", err)
	}
	all, err := s.AllCounterparties(ctx)
	if err != nil || len(all) != 3 {
		t.Errorf("all: %d %v", len(all), err)
	}

	// Alerts: idempotent by id; newest first; filters; updates; open per entry.
	for i := range 5 {
		a := monitor.Alert{ID: fmt.Sprintf("al_%d", i), KeyID: "k", Reference: []string{"a", "c"}[i%2], EntryID: fmt.Sprintf("e%d", i%3),
			Source: "Entity List (EL) - x", List: "EL", Status: monitor.AlertOpen, CreatedAt: t0}
		if i == 4 {
			a.Delivery = &monitor.Delivery{State: monitor.DeliveryPending}
		}
		if _, added, err := s.AddAlert(ctx, a); err != nil || !added {
			t.Fatalf("add %d: %v %v", i, added, err)
		}
	}
	if n, err := s.Counts(ctx); err != nil || n != (monitor.Counts{Counterparties: 3, OpenAlerts: 5, PendingDeliveries: 1}) {
		t.Errorf("counts after adding alerts: %+v %v", n, err)
	}
	again, added, err := s.AddAlert(ctx, monitor.Alert{ID: "al_1", KeyID: "k", Reference: "zzz", Status: monitor.AlertOpen})
	if err != nil || added || again.Reference != "c" {
		t.Fatalf("adding an alert twice: %+v %v %v", again, added, err)
	}
	as, next, err := s.ListAlerts(ctx, monitor.AlertFilter{KeyID: "k", Limit: 2})
	if err != nil || len(as) != 2 || as[0].ID != "al_4" || as[1].ID != "al_3" || next == "" {
		t.Fatalf("alerts page 1: %+v %q %v", as, next, err)
	}
	as, next, err = s.ListAlerts(ctx, monitor.AlertFilter{KeyID: "k", Limit: 2, Cursor: next})
	if err != nil || len(as) != 2 || as[0].ID != "al_2" || next == "" {
		t.Fatalf("alerts page 2: %+v %q %v", as, next, err)
	}
	if as, _, _ := s.ListAlerts(ctx, monitor.AlertFilter{KeyID: "k", Reference: "c"}); len(as) != 2 {
		t.Errorf("reference c: %d alerts", len(as))
	}
	if as, _, _ := s.ListAlerts(ctx, monitor.AlertFilter{KeyID: "other"}); len(as) != 0 {
		t.Errorf("another key: %d alerts", len(as))
	}
	if as, _, _ := s.ListAlerts(ctx, monitor.AlertFilter{AllKeys: true, Undelivered: true}); len(as) != 1 || as[0].ID != "al_4" {
		t.Errorf("undelivered: %+v", as)
	}
	if _, _, err := s.ListAlerts(ctx, monitor.AlertFilter{KeyID: "k", Cursor: "x"}); !errors.Is(err, monitor.ErrBadCursor) {
		t.Errorf("a bad alert cursor: %v", err)
	}
	open, err := s.OpenAlertsOf(ctx, monitor.EntryKey("Entity List (EL) - x", "e0"))
	if err != nil || len(open) != 2 {
		t.Fatalf("open on e0: %+v %v", open, err)
	}
	boom := errors.New("boom")
	if _, err := s.UpdateAlert(ctx, "al_0", func(*monitor.Alert) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("a failing change: %v", err)
	}
	if _, err := s.UpdateAlert(ctx, "al_nope", func(*monitor.Alert) error { return nil }); !errors.Is(err, monitor.ErrNotFound) {
		t.Errorf("update unknown: %v", err)
	}
	up, err := s.UpdateAlert(ctx, "al_0", func(a *monitor.Alert) error { a.Status = monitor.AlertClosed; return nil })
	if err != nil || up.Status != monitor.AlertClosed {
		t.Fatal(err)
	}
	s.UpdateAlert(ctx, "al_4", func(a *monitor.Alert) error { a.Delivery.State = monitor.DeliveryDelivered; return nil })
	if open, _ := s.OpenAlertsOf(ctx, monitor.EntryKey("Entity List (EL) - x", "e0")); len(open) != 1 || open[0].ID != "al_3" {
		t.Errorf("open on e0 after closing al_0: %+v", open)
	}
	if as, _, _ := s.ListAlerts(ctx, monitor.AlertFilter{AllKeys: true, Undelivered: true}); len(as) != 0 {
		t.Errorf("undelivered after delivery: %+v", as)
	}
	if got, _ := s.GetAlert(ctx, "al_0"); got.Status != monitor.AlertClosed {
		t.Errorf("al_0 is %s", got.Status)
	}
	if n, err := s.Counts(ctx); err != nil || n != (monitor.Counts{Counterparties: 3, OpenAlerts: 4, PendingDeliveries: 0}) {
		t.Errorf("counts after closing one and delivering one: %+v %v", n, err)
	}

	// Decisions: by id; newest first, per key or every key's, by outcome.
	for i, d := range []monitor.Decision{
		{ID: "d1", KeyID: "k", Outcome: monitor.TrueMatch},
		{ID: "d2", KeyID: "k", Outcome: monitor.FalsePositive, Reference: "c", EntryID: "e1", EntryHash: "h1", ScreeningID: "s1"},
		{ID: "d3", KeyID: "other", Outcome: monitor.FalsePositive},
		{ID: "d4", KeyID: "k", Outcome: monitor.FalsePositive, BatchJob: "j1", BatchRow: 7},
	} {
		d.CreatedAt = t0.Add(time.Duration(i) * time.Minute)
		if err := s.AddDecision(ctx, d); err != nil {
			t.Fatalf("add decision %s: %v", d.ID, err)
		}
	}
	if fps, err := s.FalsePositives(ctx); err != nil || len(fps) != 3 || fps[0].ID != "d2" {
		t.Errorf("false positives %+v %v", fps, err)
	}
	if d, err := s.GetDecision(ctx, "d2"); err != nil || d.Reference != "c" || d.EntryHash != "h1" || d.ScreeningID != "s1" || !d.CreatedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("decision d2: %+v %v", d, err)
	}
	if d, err := s.GetDecision(ctx, "d4"); err != nil || d.BatchJob != "j1" || d.BatchRow != 7 {
		t.Errorf("decision d4: %+v %v", d, err)
	}
	if _, err := s.GetDecision(ctx, "nope"); !errors.Is(err, monitor.ErrNotFound) {
		t.Errorf("an unknown decision: %v", err)
	}
	ids := func(ds []monitor.Decision) (out []string) {
		for _, d := range ds {
			out = append(out, d.ID)
		}
		return out
	}
	ds, next, err := s.ListDecisions(ctx, monitor.DecisionFilter{KeyID: "k", Limit: 2})
	if err != nil || fmt.Sprint(ids(ds)) != "[d4 d2]" || next == "" {
		t.Fatalf("decisions page 1: %v %q %v", ids(ds), next, err)
	}
	ds, next, err = s.ListDecisions(ctx, monitor.DecisionFilter{KeyID: "k", Limit: 2, Cursor: next})
	if err != nil || fmt.Sprint(ids(ds)) != "[d1]" || next != "" {
		t.Fatalf("decisions page 2: %v %q %v", ids(ds), next, err)
	}
	if ds, _, err := s.ListDecisions(ctx, monitor.DecisionFilter{AllKeys: true, Outcome: monitor.FalsePositive}); err != nil || fmt.Sprint(ids(ds)) != "[d4 d3 d2]" {
		t.Errorf("every key's false positives: %v %v", ids(ds), err)
	}
	if _, _, err := s.ListDecisions(ctx, monitor.DecisionFilter{KeyID: "k", Cursor: "x"}); !errors.Is(err, monitor.ErrBadCursor) {
		t.Errorf("a bad decision cursor: %v", err)
	}

	// Runs: one claim at a time; the version moves only from where it was.
	release, err := s.ClaimRun(ctx, "A", "B", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimRun(ctx, "A", "B", time.Minute); !errors.Is(err, monitor.ErrClaimed) {
		t.Errorf("a second claim: %v", err)
	}
	release()
	if r, err := s.ClaimRun(ctx, "A", "B", time.Minute); err != nil {
		t.Errorf("claim after release: %v", err)
	} else {
		r()
	}
	if v, _ := s.LastVersion(ctx); v != "" {
		t.Errorf("last version %q", v)
	}
	s.FinishRun(ctx, "", "A")
	s.FinishRun(ctx, "X", "Y") // not at X: no change
	if v, _ := s.LastVersion(ctx); v != "A" {
		t.Errorf("last version %q, want A", v)
	}
}
