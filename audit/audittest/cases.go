package audittest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cslscreen/screener/audit"
)

// RunCases checks a CaseStore, which must be empty: create, get, list
// with paging and key filter, and the conflict and not-found rules.
func RunCases(t *testing.T, s audit.CaseStore) {
	ctx := context.Background()
	var cps []audit.Counterparty
	for i := range 5 {
		key := "k1"
		if i%2 == 1 {
			key = "k2"
		}
		c, err := s.CreateCounterparty(ctx, audit.Counterparty{KeyID: key, Reference: fmt.Sprintf("cust-%d", i),
			Name: fmt.Sprintf("Party %d", i), Country: "DE", CreatedAt: T0.Add(time.Duration(i) * time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		if c.ID == "" {
			t.Fatal("CreateCounterparty did not fill in the id")
		}
		cps = append(cps, c)
	}
	if _, err := s.CreateCounterparty(ctx, audit.Counterparty{KeyID: "k1", Reference: "cust-0", Name: "again"}); !errors.Is(err, audit.ErrConflict) {
		t.Fatalf("a second counterparty with a key's reference: %v, want ErrConflict", err)
	}
	if _, err := s.CreateCounterparty(ctx, audit.Counterparty{KeyID: "k1", Name: "no reference"}); err == nil {
		t.Fatal("a counterparty without a reference was accepted")
	}
	got, err := s.GetCounterparty(ctx, cps[3].ID)
	if err != nil || fmt.Sprint(got) != fmt.Sprint(cps[3]) {
		t.Fatalf("GetCounterparty: %+v, %v; want %+v", got, err, cps[3])
	}
	if _, err := s.GetCounterparty(ctx, audit.NewID(T0)); !errors.Is(err, audit.ErrNotFound) {
		t.Fatalf("GetCounterparty of an unknown id: %v", err)
	}
	var ids []string
	o := audit.ListOptions{KeyID: "k1", Limit: 2}
	for range 10 {
		page, next, err := s.ListCounterparties(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page {
			ids = append(ids, c.Reference)
		}
		if next == "" {
			break
		}
		o.Cursor = next
	}
	if fmt.Sprint(ids) != "[cust-0 cust-2 cust-4]" {
		t.Fatalf("counterparties of k1: %v", ids)
	}

	audit1 := audit.NewID(T0)
	a, err := s.CreateAlert(ctx, audit.Alert{KeyID: "k1", AuditID: audit1, CounterpartyID: cps[0].ID,
		EntryID: "e1", List: "Entity List", Name: "ACME", Score: 0.91})
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != audit.AlertOpen {
		t.Fatalf("new alert status %q, want open", a.Status)
	}
	if _, err := s.CreateAlert(ctx, audit.Alert{KeyID: "k1", AuditID: audit1, CounterpartyID: audit.NewID(T0), EntryID: "e1"}); !errors.Is(err, audit.ErrNotFound) {
		t.Fatalf("an alert of an unknown counterparty: %v, want ErrNotFound", err)
	}
	b, err := s.CreateAlert(ctx, audit.Alert{KeyID: "k2", AuditID: audit1, EntryID: "e2", List: "SDN", Name: "X", Score: 0.88})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetAlert(ctx, a.ID); err != nil || fmt.Sprint(got) != fmt.Sprint(a) {
		t.Fatalf("GetAlert: %+v, %v; want %+v", got, err, a)
	}
	if as, next, err := s.ListAlerts(ctx, audit.ListOptions{KeyID: "k2"}); err != nil || len(as) != 1 || as[0].ID != b.ID || next != "" {
		t.Fatalf("alerts of k2: %+v %q %v", as, next, err)
	}

	d1, err := s.CreateDecision(ctx, audit.Decision{AlertID: a.ID, KeyID: "k1", Outcome: audit.DecisionEscalated, DecidedBy: "ana"})
	if err != nil {
		t.Fatal(err)
	}
	d2, err := s.CreateDecision(ctx, audit.Decision{AlertID: a.ID, KeyID: "k1", Outcome: audit.DecisionFalsePositive, Reason: "different date of birth", DecidedBy: "ben", CreatedAt: d1.CreatedAt.Add(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateDecision(ctx, audit.Decision{AlertID: audit.NewID(T0), Outcome: audit.DecisionTrueMatch, DecidedBy: "ana"}); !errors.Is(err, audit.ErrNotFound) {
		t.Fatalf("a decision on an unknown alert: %v, want ErrNotFound", err)
	}
	if _, err := s.CreateDecision(ctx, audit.Decision{AlertID: a.ID, Outcome: "maybe", DecidedBy: "ana"}); err == nil {
		t.Fatal("a decision with outcome maybe was accepted")
	}
	if got, err := s.GetDecision(ctx, d2.ID); err != nil || fmt.Sprint(got) != fmt.Sprint(d2) {
		t.Fatalf("GetDecision: %+v, %v; want %+v", got, err, d2)
	}
	ds, _, err := s.ListDecisions(ctx, audit.ListOptions{AlertID: a.ID})
	if err != nil || len(ds) != 2 || ds[0].ID != d1.ID || ds[1].ID != d2.ID {
		t.Fatalf("decisions of the alert: %+v, %v", ds, err)
	}
	if _, _, err := s.ListDecisions(ctx, audit.ListOptions{Cursor: "x"}); !errors.Is(err, audit.ErrBadCursor) {
		t.Fatalf("bad cursor: %v", err)
	}
}
