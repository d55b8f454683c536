package batch

import (
	"strings"
	"testing"

	"github.com/cslscreen/screener/lists"
	"github.com/cslscreen/screener/screening"
)

// TestScreenRowChecksFacts checks that a row's date of birth, nationality
// and identifier go through the same checks as a single request's.
func TestScreenRowChecksFacts(t *testing.T) {
	snap := (&screening.Catalog{}).Load(lists.Embedded())
	for _, tc := range []struct {
		row    Row
		status string
		err    string
	}{
		{Row{Name: "Kaspersky Lab", DateOfBirth: "1962", Nationality: "RU", Identifier: "X1"}, StatusMatch, ""},
		{Row{Name: "Kaspersky Lab", DateOfBirth: "30/04/1962"}, StatusError, "date_of_birth: "},
		{Row{Name: "Kaspersky Lab", Nationality: "Russia"}, StatusError, "nationality: "},
	} {
		o := screenRow(snap, 0.78, &tc.row, nil)
		if o.Status != tc.status || !strings.Contains(o.Error, tc.err) {
			t.Errorf("%+v: %s %q, want %s %q", tc.row, o.Status, o.Error, tc.status, tc.err)
		}
	}
}

// TestScreenRowSuppressed checks that the matches a decision suppresses
// for a row's reference or name leave the count, the top matches and the
// status, and are kept apart with the decision's id.
func TestScreenRowSuppressed(t *testing.T) {
	snap := (&screening.Catalog{}).Load(lists.Embedded())
	plain := screenRow(snap, 0.78, &Row{Reference: "c-1", Name: "Kaspersky Lab"}, nil)
	if plain.Status != StatusMatch || plain.MatchCount < 2 || len(plain.Suppressed) != 0 {
		t.Fatalf("without suppression: %+v", plain)
	}
	best := plain.Matches[0].ID
	// Suppresses the best match for reference c-1, and every match of the
	// name "Kaspersky Lab" for reference c-2.
	sup := func(ref, name string, e *lists.Entry) string {
		switch {
		case ref == "c-1" && e.ID == best:
			return "dc_one"
		case ref == "c-2" && name == "Kaspersky Lab":
			return "dc_all"
		}
		return ""
	}
	one := screenRow(snap, 0.78, &Row{Reference: "c-1", Name: "Kaspersky Lab"}, sup)
	if one.Status != StatusMatch || one.MatchCount != plain.MatchCount-1 || len(one.Suppressed) != 1 ||
		one.Suppressed[0].ID != best || one.Suppressed[0].SuppressedBy != "dc_one" || one.Suppressed[0].Score != plain.Matches[0].Score {
		t.Errorf("one suppressed: %+v", one)
	}
	for _, m := range one.Matches {
		if m.ID == best {
			t.Errorf("the suppressed match is among the top matches")
		}
	}
	if one.BestScore != one.Matches[0].Score {
		t.Errorf("best score %v is not the best kept match's %v", one.BestScore, one.Matches[0].Score)
	}
	all := screenRow(snap, 0.78, &Row{Reference: "c-2", Name: "Kaspersky Lab"}, sup)
	// Nothing left: not a match (unscreenable rather than clear, as the
	// built-in snapshot never vouches for clear).
	if all.Status != StatusUnscreenable || all.MatchCount != 0 || len(all.Matches) != 0 || len(all.Suppressed) != plain.MatchCount || all.BestScore != 0 {
		t.Errorf("all suppressed: %+v", all)
	}
	if other := screenRow(snap, 0.78, &Row{Reference: "c-3", Name: "Kaspersky Lab"}, sup); other.MatchCount != plain.MatchCount || other.Suppressed != nil {
		t.Errorf("another reference: %+v", other)
	}
}
