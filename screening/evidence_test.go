package screening

import (
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/cslscreen/screener/internal/fixtures"
	"github.com/cslscreen/screener/lists"
)

func TestParseQueryDOB(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want dob
		ok   bool
	}{
		{"1962", dob{y1: 1962, y2: 1962}, true},
		{"1962-04", dob{y1: 1962, y2: 1962, m: 4}, true},
		{"1962-04-30", dob{y1: 1962, y2: 1962, m: 4, d: 30}, true},
		{"1962-02-30", dob{}, false},
		{"1962-13", dob{}, false},
		{"30/04/1962", dob{}, false},
		{"62", dob{}, false},
		{"1700", dob{}, false},
		{"circa 1962", dob{}, false},
	} {
		got, err := parseQueryDOB(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseQueryDOB(%q) = %+v, %v; want %+v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestParseListedDOB(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want dob
		ok   bool
	}{
		{"1958-02-08", dob{y1: 1958, y2: 1958, m: 2, d: 8}, true},
		{"1958", dob{y1: 1958, y2: 1958}, true},
		{"circa 1958", dob{y1: 1957, y2: 1959}, true},
		{"1969 to 1971", dob{y1: 1969, y2: 1971}, true},
		{"1971 to 1969", dob{}, false},
		{"unknown", dob{}, false},
	} {
		got, ok := parseListedDOB(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Errorf("parseListedDOB(%q) = %+v, %v; want %+v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestCompareDOB(t *testing.T) {
	for _, tc := range []struct {
		query, listed string
		want          float64
	}{
		{"1962-04-30", "1962-04-30", adjustDOBExact},
		{"1962", "1962-04-30", adjustDOBAgrees},    // year only against a full date
		{"1962-04", "1962-04-30", adjustDOBAgrees}, // month precision
		{"1962-04-30", "1962", adjustDOBAgrees},    // a full date against a year
		{"1962-05", "1962-04-30", adjustDOBNear},
		{"1962-04-29", "1962-04-30", adjustDOBNear},
		{"1963", "1962-04-30", adjustDOBNear}, // a year off by one: near, not clear
		{"1964", "1962-04-30", adjustDOBConflict},
		{"1950-01-01", "1962", adjustDOBConflict},
		{"1970", "1969 to 1971", adjustDOBAgrees},
		{"1972-06-01", "1969 to 1971", adjustDOBNear},
		{"1975", "1969 to 1971", adjustDOBConflict},
		{"1968", "circa 1967", adjustDOBAgrees},
		{"1965", "circa 1967", adjustDOBNear},
		{"1960", "circa 1967", adjustDOBConflict},
	} {
		q, err := parseQueryDOB(tc.query)
		if err != nil {
			t.Fatal(err)
		}
		l, ok := parseListedDOB(tc.listed)
		if !ok {
			t.Fatalf("listed %q not read", tc.listed)
		}
		if got := compareDOB(q, l); got != tc.want {
			t.Errorf("compareDOB(%s, %s) = %v, want %v", tc.query, tc.listed, got, tc.want)
		}
	}
}

func TestCheckDOBKeepsTheBestListedDate(t *testing.T) {
	e := &lists.Entry{Type: "Individual", DatesOfBirth: []string{"1981-02-05", "1972-01-01"}}
	for _, tc := range []struct {
		query, listed, how string
		adjust             float64
	}{
		{"1972", "1972-01-01", FactAgrees, adjustDOBAgrees},
		{"1981-02-05", "1981-02-05", FactAgrees, adjustDOBExact},
		{"1981-03", "1981-02-05", FactConflicts, adjustDOBNear},
		{"1990", "1981-02-05; 1972-01-01", FactConflicts, adjustDOBConflict}, // every date listed
	} {
		q, _ := parseQueryDOB(tc.query)
		f, ok := checkDOB(q, tc.query, e)
		if !ok || f.Listed != tc.listed || f.How != tc.how || f.Adjust != tc.adjust || f.Field != FieldDateOfBirth {
			t.Errorf("%s: got %+v, %v; want listed %q %s %v", tc.query, f, ok, tc.listed, tc.how, tc.adjust)
		}
	}
	if _, ok := checkDOB(dob{y1: 1970, y2: 1970}, "1970", &lists.Entry{Type: "Individual", DatesOfBirth: []string{"unknown"}}); ok {
		t.Error("an unreadable listed date gave evidence")
	}
}

func TestCheckNationality(t *testing.T) {
	e := &lists.Entry{Type: "Individual", Nationalities: []string{"CA"}, Citizenships: []string{"SD"}, Addresses: []lists.Address{{City: "Khartoum", Country: "SD"}, {Country: "AE"}}}
	for _, tc := range []struct {
		c, listed, how string
		ok             bool
	}{
		{"CA", "CA", FactAgrees, true},
		{"SD", "SD", FactAgrees, true},
		{"AE", "AE (address)", FactAgrees, true},
		{"US", "CA; SD", FactConflicts, true},
	} {
		f, ok := checkNationality(tc.c, e)
		if ok != tc.ok || f.Listed != tc.listed || f.How != tc.how {
			t.Errorf("%s: got %+v, %v", tc.c, f, ok)
		}
	}
	// Only addresses on record: living elsewhere is no conflict.
	if f, ok := checkNationality("US", &lists.Entry{Type: "Individual", Addresses: []lists.Address{{Country: "RU"}}}); ok {
		t.Errorf("an address country conflicted: %+v", f)
	}
}

func TestCheckIdentifier(t *testing.T) {
	e := &lists.Entry{IDs: []lists.ID{{Number: "Male", Type: "Gender"}, {Country: "CA", Number: "BC166787", Type: "Passport"}, {Number: "L 191609", Type: "Passport"}}}
	for _, tc := range []struct {
		in, listed string
		ok         bool
	}{
		{"BC166787", "Passport BC166787 (CA)", true},
		{"bc-166 787", "Passport BC166787 (CA)", true},
		{"L191609", "Passport L 191609", true},
		{"BC166788", "", false},
		{"male", "", false}, // "Male, Gender" is no identifier
	} {
		f, ok := checkIdentifier(normaliseIdentifier(tc.in), tc.in, e)
		if ok != tc.ok || f.Listed != tc.listed {
			t.Errorf("%q: got %+v, %v; want %q", tc.in, f, ok, tc.listed)
		}
	}
}

func TestCheckRejectsBadFacts(t *testing.T) {
	for _, tc := range []struct {
		r     Request
		field string
	}{
		{Request{Name: "x", DateOfBirth: "30/04/1962"}, FieldDateOfBirth},
		{Request{Name: "x", DateOfBirth: "1962-02-30"}, FieldDateOfBirth},
		{Request{Name: "x", Nationality: "XX"}, FieldNationality},
		{Request{Name: "x", Identifier: "--- / ---"}, FieldIdentifier},
		{Request{Name: "x", Identifier: strings.Repeat("1", maxIdentifier+1)}, FieldIdentifier},
		{Request{Name: "x", Identifier: "AB\x00123"}, FieldIdentifier},
	} {
		_, errs := Check(tc.r, 0.78)
		if len(errs) != 1 || errs[0].Field != tc.field {
			t.Errorf("%+v: errors %v, want one on %s", tc.r, errs, tc.field)
		}
	}
	q, errs := Check(Request{Name: "x", DateOfBirth: " 1962-04 ", Nationality: "ng", Identifier: " A0563-7743 "}, 0.78)
	if len(errs) > 0 || q.DateOfBirth != "1962-04" || q.Nationality != "NG" || q.Identifier != "A0563-7743" || q.identifier != "A05637743" {
		t.Errorf("got %+v, %v", q, errs)
	}
}

var (
	fullSnapOnce sync.Once
	fullSnap     *Snapshot
	fullSnapErr  error
)

// fullSnapshot indexes the full CSL fixture once per test binary.
func fullSnapshot(t *testing.T) *Snapshot {
	t.Helper()
	path := fixtures.FullCSL(t)
	fullSnapOnce.Do(func() {
		f, err := os.Open(path)
		if err != nil {
			fullSnapErr = err
			return
		}
		defer f.Close()
		p, err := lists.Parse(f, lists.ParseOptions{})
		if err != nil {
			fullSnapErr = err
			return
		}
		fullSnap = NewSnapshot(lists.NewList(lists.Version{Source: "file"}, p.Entries))
	})
	if fullSnapErr != nil {
		t.Fatalf("loading %s: %v", path, fullSnapErr)
	}
	return fullSnap
}

// TestFactsOnRealEntries screens names of real SDN individuals with and
// without facts and checks how each fact moves the entry's score.
func TestFactsOnRealEntries(t *testing.T) {
	if testing.Short() {
		t.Skip("full-list run skipped in -short mode")
	}
	snap := fullSnapshot(t)
	const threshold = 0.78
	type want struct {
		reported     bool
		move         int    // sign of the score's change against the name alone: -1, 0, 1
		facts        string // field:how, comma-separated, in order
		atLeastThres bool   // the score is at least the threshold
	}
	for _, tc := range []struct {
		label string
		req   Request
		thres float64
		entry string // the entry's primary name
		want  want
	}{
		{"full date agrees", Request{Name: "Abiola Kayodi", DateOfBirth: "1987-11-14"}, threshold, "KAYODE, Abiola Ayorinde",
			want{reported: true, move: 1, facts: "date_of_birth:agrees"}},
		{"year agrees, nationality agrees", Request{Name: "Abiola Kayodi", DateOfBirth: "1987", Nationality: "NG"}, threshold, "KAYODE, Abiola Ayorinde",
			want{reported: true, move: 1, facts: "date_of_birth:agrees,nationality:agrees"}},
		{"date conflicts, a weak name drops", Request{Name: "James Maclintock", DateOfBirth: "1990-01-01"}, threshold, "MCLINTOCK, James Alexander",
			want{reported: false}},
		{"date conflicts, a strong name stays", Request{Name: "Jing Song", DateOfBirth: "1990-01-01", Nationality: "US"}, threshold, "SONG, Jing",
			want{reported: true, move: -1, facts: "date_of_birth:conflicts,nationality:conflicts", atLeastThres: true}},
		{"one of two listed dates agrees", Request{Name: "Said Jan Abd al Salam", DateOfBirth: "1972"}, threshold, "'ABD AL-SALAM, Said Jan",
			want{reported: true, move: 0, facts: "date_of_birth:agrees"}}, // 1.0 cannot rise
		{"circa", Request{Name: "Sundus Abd al-Ghafar", DateOfBirth: "1968-05"}, threshold, "ABD AL-GHAFAR, Sundus",
			want{reported: true, move: 0, facts: "date_of_birth:agrees"}},
		{"facts lift a name below the threshold", Request{Name: "Abiola Kayodeh Ayo", DateOfBirth: "1987-11-14", Nationality: "NG"}, 0.75, "KAYODE, Abiola Ayorinde",
			want{reported: true, move: 1, facts: "date_of_birth:agrees,nationality:agrees"}},
		{"identifier lifts to the threshold", Request{Name: "Abiola Kayodeh Ayo", Identifier: "a0563 7743"}, threshold, "KAYODE, Abiola Ayorinde",
			want{reported: true, move: 1, facts: "identifier:agrees", atLeastThres: true}},
		{"another identifier says nothing", Request{Name: "Abiola Kayodi", Identifier: "X1234567"}, threshold, "KAYODE, Abiola Ayorinde",
			want{reported: true, move: 0}},
		{"no date of birth for an entity", Request{Name: "Kaspersky Lab", DateOfBirth: "1962"}, threshold, "AO Kaspersky Lab",
			want{reported: true, move: 0}},
	} {
		t.Run(tc.label, func(t *testing.T) {
			q, errs := Check(tc.req, tc.thres)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			plain := q
			plain.DateOfBirth, plain.Nationality, plain.Identifier, plain.dob, plain.identifier = "", "", "", dob{}, ""
			plain.MinScore = 0.3
			base, ok := find(Screen(snap, plain), tc.entry)
			if !ok {
				t.Fatalf("the name alone does not reach %q", tc.entry)
			}
			m, ok := find(Screen(snap, q), tc.entry)
			if ok != tc.want.reported {
				t.Fatalf("reported %v, want %v (name alone %.4f, %+v)", ok, tc.want.reported, base.Score, m.Explanation.Facts)
			}
			if !ok {
				return
			}
			if got := sign(m.Score - base.Score); got != tc.want.move {
				t.Errorf("score %.4f against %.4f for the name alone: moved %d, want %d (%+v)", m.Score, base.Score, got, tc.want.move, m.Explanation.Facts)
			}
			var got []string
			for _, f := range m.Explanation.Facts {
				got = append(got, f.Field+":"+f.How)
				if (f.How == FactAgrees) != (f.Adjust > 0) || f.Query == "" || f.Listed == "" {
					t.Errorf("fact %+v", f)
				}
			}
			if g := strings.Join(got, ","); g != tc.want.facts {
				t.Errorf("facts %q, want %q", g, tc.want.facts)
			}
			if tc.want.atLeastThres && m.Score < tc.thres {
				t.Errorf("score %.4f below the threshold %.2f", m.Score, tc.thres)
			}
			// A batch row agrees with the single answer.
			s := Summarise(snap, q, 100)
			for _, b := range s.Top {
				if b.Name == tc.entry && b.Score != m.Score {
					t.Errorf("batch score %.4f, answer %.4f", b.Score, m.Score)
				}
			}
		})
	}
}

func find(r Result, name string) (Match, bool) {
	for _, m := range r.Matches {
		if m.Name == name {
			return m, true
		}
	}
	return Match{}, false
}

func sign(x float64) int {
	switch {
	case x > 1e-9:
		return 1
	case x < -1e-9:
		return -1
	}
	return 0
}
