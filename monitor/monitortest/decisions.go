package monitortest

import (
	"context"
	"errors"
	"testing"

	"github.com/cslscreen/screener/lists"
	"github.com/cslscreen/screener/monitor"
	"github.com/cslscreen/screener/screening"
)

// idAOKaspersky is AO Kaspersky Lab's entry in the embedded list.
const idAOKaspersky = "88a5a8ac99fb224dc40025c5c2abb25919f56d25bd1f0c766af312b1"

// RunMatchDecisions holds s, an empty store shared by two replicas, to
// what decisions on matches do: the replica deciding suppresses at once,
// the other once it reloads the decisions; by reference or by name, for
// the owning key only, while the entry is unchanged; an entry not on the
// list is ErrNotFound, bad input ErrInvalid.
func RunMatchDecisions(t *testing.T, s monitor.Store) {
	t.Helper()
	ctx := context.Background()
	emb := lists.Embedded()
	l := lists.NewList(lists.Version{Source: "file", Origin: "A"}, emb.Entries)
	replica := func() *monitor.Engine {
		cat := &screening.Catalog{}
		cat.Load(l)
		return monitor.New(monitor.Options{Store: s, Catalog: cat})
	}
	one, two := replica(), replica()
	ent := l.ByID(idAOKaspersky)[0]

	d, err := one.DecideMatch(ctx, monitor.Decision{KeyID: "k", DecidedBy: "analyst", CounterpartyName: " Kaspersky  Lab ", Reference: "c-1",
		EntryID: idAOKaspersky, Source: "EL", Outcome: monitor.FalsePositive, Reason: "a namesake", ScreeningID: "s-1"})
	if err != nil {
		t.Fatal(err)
	}
	if d.ID == "" || d.AlertID != "" || d.Source != ent.Source || d.EntryHash != monitor.EntryHash(&ent) || d.ListVersion != l.Version.ID ||
		d.CounterpartyName != "Kaspersky  Lab" || d.CreatedAt.IsZero() {
		t.Fatalf("the decision: %+v", d)
	}
	if got, err := s.GetDecision(ctx, d.ID); err != nil || got.EntryHash != d.EntryHash || got.ScreeningID != "s-1" {
		t.Errorf("stored: %+v %v", got, err)
	}

	changed := ent
	changed.Remarks += " (amended)"
	check := func(who string, e *monitor.Engine, wantSuppressed bool) {
		t.Helper()
		sup := e.Suppressor("k")
		by := func(ref, name string, en *lists.Entry) string {
			if sup == nil {
				return ""
			}
			return sup(ref, name, en)
		}
		for _, tc := range []struct {
			ref, name string
			e         *lists.Entry
			want      bool
		}{
			{"", "kaspersky lab", &ent, true},                // by name, case and spaces aside
			{"c-1", "Kaspersky Laboratory", &ent, true},      // by reference, another spelling
			{"c-2", "Kaspersky Laboratory", &ent, false},     // another counterparty
			{"", "Kaspersky Lab", &changed, false},           // the entry changed
			{"c-1", "Kaspersky Lab", &emb.Entries[1], false}, // another entry
		} {
			tc.want = tc.want && wantSuppressed
			if got := by(tc.ref, tc.name, tc.e); (got == d.ID) != tc.want || (got != "" && got != d.ID) {
				t.Errorf("%s: (%q, %q, %s) suppressed by %q, want suppressed %v", who, tc.ref, tc.name, tc.e.ID, got, tc.want)
			}
		}
		if e.Suppressor("other") != nil {
			t.Errorf("%s: a key without decisions gets a suppressor (its screenings would pay for others')", who)
		}
	}
	check("the deciding replica", one, true)
	check("the other replica before reloading", two, false)
	if err := two.ReloadDecisions(ctx); err != nil {
		t.Fatal(err)
	}
	check("the other replica after reloading", two, true)

	// A true match suppresses nothing.
	tm, err := one.DecideMatch(ctx, monitor.Decision{KeyID: "k2", CounterpartyName: "Kaspersky Lab", EntryID: idAOKaspersky, Outcome: monitor.TrueMatch, Reason: "yes"})
	if err != nil || tm.Outcome != monitor.TrueMatch {
		t.Fatal(tm, err)
	}
	if sup := one.Suppressor("k2"); sup != nil && sup("", "Kaspersky Lab", &ent) != "" {
		t.Error("a true match suppresses")
	}

	for _, tc := range []struct {
		d    monitor.Decision
		want error
	}{
		{monitor.Decision{CounterpartyName: "x", EntryID: "nope", Outcome: monitor.TrueMatch, Reason: "r"}, monitor.ErrNotFound},
		{monitor.Decision{CounterpartyName: "x", EntryID: idAOKaspersky, Source: "SDN", Outcome: monitor.TrueMatch, Reason: "r"}, monitor.ErrNotFound},
		{monitor.Decision{CounterpartyName: "", EntryID: idAOKaspersky, Outcome: monitor.TrueMatch, Reason: "r"}, monitor.ErrInvalid},
		{monitor.Decision{CounterpartyName: "x", EntryID: "", Outcome: monitor.TrueMatch, Reason: "r"}, monitor.ErrInvalid},
		{monitor.Decision{CounterpartyName: "x", EntryID: idAOKaspersky, Outcome: "maybe", Reason: "r"}, monitor.ErrInvalid},
		{monitor.Decision{CounterpartyName: "x", EntryID: idAOKaspersky, Outcome: monitor.TrueMatch}, monitor.ErrInvalid},
		{monitor.Decision{CounterpartyName: "x", EntryID: idAOKaspersky, Outcome: monitor.TrueMatch, Reason: "r", BatchRow: 2}, monitor.ErrInvalid},
	} {
		if _, err := one.DecideMatch(ctx, tc.d); !errors.Is(err, tc.want) {
			t.Errorf("%+v: %v, want %v", tc.d, err, tc.want)
		}
	}
}
