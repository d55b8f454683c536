//go:build realeval

package screening

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cslscreen/screener/lists"
)

// TestFactsOnRealVariation measures what a date of birth and a nationality
// add, on the CSL's individuals that have a date of birth on record:
//
//	go test -tags realeval -run TestFactsOnRealVariation -v ./screening/
//
// Recall: each alias of such an individual is screened against the list
// without that alias (folds, as in matcher/realvariation_test.go), by name
// alone and with the individual's own first listed date of birth and
// nationality. False alerts: each such individual's primary name is
// screened against the list without the entry, by name alone and with its
// own date of birth and nationality, which a namesake's record contradicts
// and the same person's record on another list confirms. docs/QUALITY.md
// records the figures.
func TestFactsOnRealVariation(t *testing.T) {
	full := fullSnapshot(t)
	entries := full.List.Entries
	const folds, threshold = 10, 0.78
	request := func(e *lists.Entry, name string, facts bool) Request {
		r := Request{Name: name}
		if facts {
			r.DateOfBirth, r.Nationality = ownFacts(e)
		}
		return r
	}
	found := func(snap *Snapshot, r Request, id string) (hit bool, n int) {
		q, errs := Check(r, threshold)
		if len(errs) > 0 {
			t.Fatalf("%+v: %v", r, errs)
		}
		s := Summarise(snap, q, q.Limit)
		for _, b := range s.Top {
			if b.ID == id {
				hit = true
			}
		}
		return hit, s.Count
	}
	subject := func(e *lists.Entry) bool {
		d, _ := ownFacts(e)
		return e.Type == "Individual" && d != ""
	}

	// Leave one alias out.
	var n, byName, withFacts int
	for f := 0; f < folds; f++ {
		es := slices.Clone(entries)
		type held struct {
			i     int
			alias string
		}
		var cases []held
		for i := range es {
			e := &es[i]
			if !subject(e) || len(e.AltNames) == 0 {
				continue
			}
			var keep []string
			for j, a := range e.AltNames {
				if j%folds == f && strings.TrimSpace(a) != "" && a != e.Name {
					cases = append(cases, held{i, a})
				} else {
					keep = append(keep, a)
				}
			}
			e.AltNames = keep
		}
		if len(cases) == 0 {
			continue
		}
		snap := NewSnapshot(lists.NewList(lists.Version{Source: "file"}, es))
		for _, c := range cases {
			e := &entries[c.i]
			n++
			if hit, _ := found(snap, request(e, c.alias, false), e.ID); hit {
				byName++
			}
			if hit, _ := found(snap, request(e, c.alias, true), e.ID); hit {
				withFacts++
			}
		}
	}

	// Leave one entry out.
	var people, alertsByName, alertsWithFacts int
	for f := 0; f < folds; f++ {
		heldIDs := map[string]bool{}
		var held []int
		for i := range entries {
			if i%folds == f && subject(&entries[i]) {
				held = append(held, i)
				heldIDs[entries[i].ID] = true
			}
		}
		es := slices.DeleteFunc(slices.Clone(entries), func(e lists.Entry) bool { return heldIDs[e.ID] })
		snap := NewSnapshot(lists.NewList(lists.Version{Source: "file"}, es))
		for _, i := range held {
			e := &entries[i]
			people++
			if _, c := found(snap, request(e, e.Name, false), ""); c > 0 {
				alertsByName++
			}
			if _, c := found(snap, request(e, e.Name, true), ""); c > 0 {
				alertsWithFacts++
			}
		}
	}

	var b strings.Builder
	fmt.Fprintf(&b, "\nIndividuals with a date of birth on record, threshold %.2f\n", threshold)
	fmt.Fprintf(&b, "| | n | by name | with date of birth and nationality |\n|---|---:|---:|---:|\n")
	fmt.Fprintf(&b, "| leave one alias out: recall | %d | %.3f | %.3f |\n", n, ratio(byName, n), ratio(withFacts, n))
	fmt.Fprintf(&b, "| leave one entry out: names with any alert | %d | %.3f | %.3f |\n", people, ratio(alertsByName, people), ratio(alertsWithFacts, people))
	t.Log(b.String())
	if withFacts < byName {
		t.Errorf("agreeing facts lost recall: %d found with them, %d without", withFacts, byName)
	}
}

// ownFacts returns e's first date of birth that a query could carry
// (YYYY or YYYY-MM-DD) and its first nationality or citizenship.
func ownFacts(e *lists.Entry) (dob, nationality string) {
	for _, d := range e.DatesOfBirth {
		if _, err := parseQueryDOB(strings.TrimSpace(d)); err == nil {
			dob = strings.TrimSpace(d)
			break
		}
	}
	for _, c := range append(slices.Clone(e.Nationalities), e.Citizenships...) {
		if c = strings.ToUpper(strings.TrimSpace(c)); validCountry(c) {
			return dob, c
		}
	}
	return dob, ""
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
