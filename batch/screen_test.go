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
		o := screenRow(snap, 0.78, &tc.row)
		if o.Status != tc.status || !strings.Contains(o.Error, tc.err) {
			t.Errorf("%+v: %s %q, want %s %q", tc.row, o.Status, o.Error, tc.status, tc.err)
		}
	}
}
