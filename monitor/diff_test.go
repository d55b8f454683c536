package monitor_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/cslscreen/screener/lists"
	"github.com/cslscreen/screener/monitor"
)

func TestDiff(t *testing.T) {
	el, sdn := "Entity List (EL) - Bureau of Industry and Security", "Specially Designated Nationals (SDN) - Treasury Department"
	from := lists.NewList(lists.Version{}, []lists.Entry{
		{ID: "1", Source: el, Name: "Same Co"},
		{ID: "2", Source: el, Name: "Renamed Co"},
		{ID: "3", Source: el, Name: "Moved Co", Addresses: []lists.Address{{City: "Oslo", Country: "NO"}}},
		{ID: "4", Source: el, Name: "Gone Co"},
		{ID: "5", Source: el, Name: "Twice A"}, {ID: "5", Source: el, Name: "Twice B"},
		{ID: "6", Source: el, Name: "Same id, other list"},
	})
	to := lists.NewList(lists.Version{}, []lists.Entry{
		{ID: "1", Source: el, Name: "Same Co"},
		{ID: "2", Source: el, Name: "Renamed Co", AltNames: []string{"RC Ltd"}},
		{ID: "3", Source: el, Name: "Moved Co", Addresses: []lists.Address{{City: "Bergen", Country: "NO"}}},
		{ID: "5", Source: el, Name: "Twice A"}, {ID: "5", Source: el, Name: "Twice B"},
		{ID: "6", Source: el, Name: "Same id, other list"},
		{ID: "6", Source: sdn, Name: "Same id, other list"},
		{ID: "7", Source: el, Name: "New Co"},
	})
	d := monitor.Diff(from, to)
	keys := func(rs []monitor.EntryRef) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.List+"/"+r.ID+" "+slicesJoin(r.Changes))
		}
		return out
	}
	for _, tc := range []struct {
		part string
		got  []string
		want []string
	}{
		{"added", keys(d.Added), []string{"EL/7 ", "SDN/6 "}},
		{"removed", keys(d.Removed), []string{"EL/4 "}},
		{"changed", keys(d.Changed), []string{"EL/2 names", "EL/3 content"}},
	} {
		if !slices.Equal(tc.got, tc.want) {
			t.Errorf("%s = %q, want %q", tc.part, tc.got, tc.want)
		}
	}
	if d.From != from.Version.ID || d.To != to.Version.ID {
		t.Errorf("versions %s→%s", d.From, d.To)
	}
	if same := monitor.Diff(to, to); len(same.Added)+len(same.Removed)+len(same.Changed) != 0 {
		t.Errorf("a version against itself: %+v", same)
	}
	if fromNil := monitor.Diff(nil, from); len(fromNil.Added) != 6 {
		t.Errorf("from nothing: %d added, want 6 (the twice-listed id once)", len(fromNil.Added))
	}
}

func slicesJoin(ss []string) string { return strings.Join(ss, ",") }
