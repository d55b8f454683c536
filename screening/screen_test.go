package screening

import (
	"testing"

	"github.com/cslscreen/screener/lists"
	"github.com/cslscreen/screener/matcher"
)

func embeddedSnapshot(t testing.TB) *Snapshot {
	t.Helper()
	c := &Catalog{}
	return c.Load(lists.Embedded())
}

// TestSummariseAgreesWithScreen checks that a batch row's summary lists the
// same entries, in the same order and with the same scores, as a single
// request's answer.
func TestSummariseAgreesWithScreen(t *testing.T) {
	snap := embeddedSnapshot(t)
	for _, name := range []string{"Kaspersky Lab", "Лаборатория Касперского", "kaspersky", "Acme Bakery GmbH"} {
		q, errs := Check(Request{Name: name}, 0.5)
		if len(errs) > 0 {
			t.Fatalf("%q: %v", name, errs)
		}
		full := Screen(snap, q)
		sum := Summarise(snap, q, 2)
		if sum.Count != len(full.Matches) {
			t.Fatalf("%q: summary counts %d matches, the answer has %d", name, sum.Count, len(full.Matches))
		}
		for i, b := range sum.Top {
			m := full.Matches[i]
			if b.ID != m.ID || b.Score != m.Score || b.MatchedName != m.MatchedName || b.List != m.List {
				t.Errorf("%q: top %d is %+v, the answer's is %s %v %q", name, i, b, m.ID, m.Score, m.MatchedName)
			}
		}
		if len(sum.Top) > 2 {
			t.Errorf("%q: %d top matches, asked for 2", name, len(sum.Top))
		}
		for i := 1; i < len(full.Matches); i++ {
			if full.Matches[i].Score > full.Matches[i-1].Score {
				t.Errorf("%q: matches not best first: %v then %v", name, full.Matches[i-1].Score, full.Matches[i].Score)
			}
		}
	}
}

func TestScreenAttachesFacts(t *testing.T) {
	snap := embeddedSnapshot(t)
	q, _ := Check(Request{Name: "Kaspersky Labs Limited"}, 0)
	res := Screen(snap, q)
	if len(res.Matches) == 0 {
		t.Fatal("no match for a listed name")
	}
	m := res.Matches[0]
	if m.FederalRegisterNotice != "89 FR 52362" || m.Encoded() == nil || len(m.Encoded().Rest) == 0 {
		t.Errorf("facts missing: %+v", m)
	}
	if m.Explanation.Summary == "" {
		t.Error("no explanation")
	}
}

func TestCheck(t *testing.T) {
	lim := func(n int) *int { return &n }
	score := func(f float64) *float64 { return &f }
	tests := []struct {
		req   Request
		field string // "" when valid
	}{
		{Request{Name: "Kaspersky"}, ""},
		{Request{Name: "  "}, "name"},
		{Request{Name: "x", Country: "XX"}, "country"},
		{Request{Name: "x", Country: "ru"}, ""},
		{Request{Name: "x", Type: "person"}, "type"},
		{Request{Name: "x", Type: "individual"}, ""},
		{Request{Name: "x", Limit: lim(0)}, "limit"},
		{Request{Name: "x", Limit: lim(MaxLimit + 1)}, "limit"},
		{Request{Name: "x", MinScore: score(1.5)}, "min_score"},
		{Request{Name: "a\x00b"}, "name"},
		{Request{Name: "\xff"}, "name"},
	}
	for _, tt := range tests {
		q, errs := Check(tt.req, matcher.DefaultThreshold)
		switch {
		case tt.field == "" && len(errs) > 0:
			t.Errorf("%+v: unexpected %v", tt.req, errs)
		case tt.field != "" && (len(errs) != 1 || errs[0].Field != tt.field):
			t.Errorf("%+v: want one error on %s, got %v", tt.req, tt.field, errs)
		}
		if tt.field == "" && q.MinScore != matcher.DefaultThreshold && tt.req.MinScore == nil {
			t.Errorf("%+v: default min score %v", tt.req, q.MinScore)
		}
	}
}
