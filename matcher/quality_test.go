package matcher

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// TestTuningSetQuality screens every query of the tuning set against the
// full list at the default threshold and limit, with score.py's semantics: a
// positive is found when any expected id is among the matches, a negative is
// a false alert when any match comes back. It asserts the quality bar and
// logs the per-class table; MATCHER_MISSES=N prints up to N misses.
func TestTuningSetQuality(t *testing.T) {
	if testing.Short() {
		t.Skip("full-list quality run skipped in -short mode")
	}
	cases := tuningSet(t)
	recs, ix := fullList(t)
	if ps := os.Getenv("MATCHER_PARAMS"); ps != "" {
		ix.setParamsFromString(t, ps)
		defer func() { ix.params = defaultParams; ix.weigh() }()
	}
	type counts struct{ n, found, top1, falseAlerts int }
	per := map[string]*counts{}
	var misses []string
	for _, c := range cases {
		ms := ix.Screen(Query{Name: c.Query.Name})
		k := per[c.Class]
		if k == nil {
			k = &counts{}
			per[c.Class] = k
		}
		k.n++
		if len(c.Expect) == 0 {
			if len(ms) > 0 {
				k.falseAlerts++
				misses = append(misses, fmt.Sprintf("FALSE %-14s %q -> %q (%.3f) %s", c.Class, c.Query.Name, ms[0].MatchedName, ms[0].Score, ms[0].Explanation.Summary))
			}
			continue
		}
		exp := map[string]bool{}
		for _, id := range c.Expect {
			exp[id] = true
		}
		hit := false
		for _, m := range ms {
			if exp[m.ID] {
				hit = true
				break
			}
		}
		if hit {
			k.found++
			if exp[ms[0].ID] {
				k.top1++
			}
			continue
		}
		got := "nothing"
		if len(ms) > 0 {
			got = fmt.Sprintf("%q (%.3f)", ms[0].MatchedName, ms[0].Score)
		}
		want := ""
		for i, r := range recs {
			if exp[r.ID] {
				want = r.Names[0]
				// The best the matcher can say about the expected record.
				if all := ix.Screen(Query{Name: c.Query.Name, MinScore: 0.01, Limit: 1000}); len(all) > 0 {
					for _, m := range all {
						if m.Record == i {
							want = fmt.Sprintf("%q (%.3f: %s)", m.MatchedName, m.Score, m.Explanation.Summary)
							break
						}
					}
				}
				break
			}
		}
		misses = append(misses, fmt.Sprintf("MISS  %-14s %q -> %s; want %s", c.Class, c.Query.Name, got, want))
	}

	classes := make([]string, 0, len(per))
	for c := range per {
		classes = append(classes, c)
	}
	sort.Strings(classes)
	var pos, found, top1 int
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-16s %5s %8s %8s\n", "class", "n", "recall", "top1")
	for _, c := range classes {
		k := per[c]
		if c == "negative" {
			continue
		}
		pos += k.n
		found += k.found
		top1 += k.top1
		fmt.Fprintf(&b, "%-16s %5d %8.4f %8.4f\n", c, k.n, float64(k.found)/float64(k.n), float64(k.top1)/float64(k.n))
	}
	neg := per["negative"]
	recall := float64(found) / float64(pos)
	far := 0.0
	if neg != nil && neg.n > 0 {
		far = float64(neg.falseAlerts) / float64(neg.n)
		fmt.Fprintf(&b, "%-16s %5d FAR %.4f (%d false alerts)\n", "negative", neg.n, far, neg.falseAlerts)
	}
	fmt.Fprintf(&b, "recall=%.4f top1=%.4f false_alert_rate=%.4f threshold=%.2f", recall, float64(top1)/float64(pos), far, DefaultThreshold)
	t.Log(b.String())
	if n, _ := strconv.Atoi(os.Getenv("MATCHER_MISSES")); n > 0 {
		sort.Strings(misses)
		for i, m := range misses {
			if i >= n {
				break
			}
			t.Log(m)
		}
	}

	if recall < 0.97 {
		t.Errorf("recall %.4f below 0.97", recall)
	}
	for _, c := range classes {
		k := per[c]
		if c == "negative" {
			continue
		}
		r := float64(k.found) / float64(k.n)
		min := 0.90
		if c == "exact" || c == "kaspersky" {
			min = 1
		}
		if r < min {
			t.Errorf("class %s recall %.4f below %.2f", c, r, min)
		}
	}
	if far > 0.01 {
		t.Errorf("false-alert rate %.4f above 0.01", far)
	}
}
