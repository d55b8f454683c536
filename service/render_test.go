package service

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/cslscreen/screener/internal/jsontext/jsontexttest"

	"github.com/cslscreen/screener/internal/fixtures"
	"github.com/cslscreen/screener/lists"
	"github.com/cslscreen/screener/screening"
)

// TestRenderMatchesEncodingJSON screens every tuning-set name (or, without
// the shared data, a few names against the embedded list) and checks the
// hand-written response is byte for byte what encoding/json writes.
func TestRenderMatchesEncodingJSON(t *testing.T) {
	l := lists.Embedded()
	names := []string{"Kaspersky Lab", "Лаборатория Касперского", "OOO Kaspersky Group LLC", "nothing like it"}
	if d := fixtures.SharedDir(); d != "" {
		if f, err := os.Open(d + "/data/csl_full_fixture.csv.gz"); err == nil {
			p, err := lists.Parse(f, lists.ParseOptions{})
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			l = lists.NewList(lists.Version{Source: "file"}, p.Entries)
			names = nil
			for _, body := range tuningBodies(t) {
				var r screening.Request
				json.Unmarshal([]byte(body), &r)
				names = append(names, r.Name)
			}
		}
	}
	snap := screening.NewSnapshot(l)
	now := time.Date(2026, 11, 27, 10, 0, 0, 123456789, time.UTC)
	checked, withFacts, suppressed := 0, 0, 0
	for i, name := range names {
		q := screening.Query{Name: name, Limit: 10, MinScore: 0.5}
		if i%3 == 1 {
			q.Country, q.Type = "RU", "Entity"
		}
		if i%3 == 2 {
			// Facts besides the name: explanations then carry "facts".
			var errs []screening.FieldError
			q, errs = screening.Check(screening.Request{Name: name, DateOfBirth: "1962-04", Nationality: "IR", Identifier: "BC 166787"}, 0.5)
			if len(errs) > 0 {
				t.Fatalf("%q: %v", name, errs)
			}
		}
		res := screening.Screen(snap, q)
		resp := newScreenResponse("req-1", &res, now)
		if i%4 == 2 && len(resp.Matches) > 0 {
			// A decided false positive moves to the suppressed matches.
			resp.Suppressed = []screening.SuppressedMatch{{Match: resp.Matches[0], SuppressedBy: "dc_0123"}}
			resp.Matches = resp.Matches[1:]
			suppressed++
		}
		got, want := appendScreenResponse(nil, &resp), jsontexttest.Std(t, &resp)
		if !bytes.Equal(got, want) {
			var a, b any
			json.Unmarshal(got, &a)
			json.Unmarshal(want, &b)
			t.Fatalf("%q: hand-written response differs (semantically equal: %v)\n got %s\nwant %s", name, reflect.DeepEqual(a, b), got, want)
		}
		checked += len(resp.Matches)
		for _, m := range res.Matches {
			if len(m.Explanation.Facts) > 0 {
				withFacts++
			}
		}
	}
	if checked == 0 || suppressed == 0 {
		t.Fatalf("%d matches and %d suppressed matches were rendered; want some of each", checked, suppressed)
	}
	if withFacts == 0 && len(names) > 100 {
		t.Fatal("no match with facts was rendered")
	}
}
