package screening

import (
	"math"
	"sort"
	"time"

	"github.com/cslscreen/screener/lists"
	"github.com/cslscreen/screener/matcher"
)

// Match is one listed party resembling the query, with the list facts a
// compliance officer needs to act on it. The field names are a contract
// with clients (openapi.yaml); keep them.
type Match struct {
	ID          string  `json:"id"`
	Source      string  `json:"source"`
	List        string  `json:"list"`
	Name        string  `json:"name"`
	MatchedName string  `json:"matched_name"`
	Score       float64 `json:"score"`
	Facts
	Explanation Explanation `json:"explanation"`

	// Record is the entry's position in the snapshot's list.
	Record int `json:"-"`
	facts  *EncodedFacts
}

// Encoded returns the entry's head and facts as JSON members, encoded
// once per snapshot, or nil for a Match not made by Screen.
func (m *Match) Encoded() *EncodedFacts { return m.facts }

// Result is one screening: the query as understood, the list it ran
// against, the matches, best first, and how far the answer can be trusted.
type Result struct {
	Query   Query
	List    ListRef
	Matches []Match
	Verdict
}

// Screen runs q against snap and returns the matches with their entries'
// facts and explanations. Entries that share an id within one list (the
// CSL repeats some) are reported once.
func Screen(snap *Snapshot, q Query) Result {
	ms, facts := candidates(snap, &q, true)
	out := make([]Match, 0, len(ms))
	forEachDistinct(snap, ms, q.Limit, func(i int, m *matcher.Match, e *lists.Entry) {
		var fc []FactCheck
		if facts != nil {
			fc = facts[i]
		}
		if m.Explanation.Words == nil {
			m.Explanation.Words = []matcher.WordMatch{}
		}
		out = append(out, Match{
			ID:          e.ID,
			Source:      e.Source,
			List:        lists.ListCode(e.Source),
			Name:        e.Name,
			MatchedName: m.MatchedName,
			Score:       m.Score, // the matcher rounds to four places
			Facts:       FactsOf(e),
			Explanation: Explanation{Explanation: m.Explanation, Facts: fc},
			Record:      m.Record,
			facts:       snap.factsOf(m.Record),
		})
	})
	return Result{Query: q, List: snap.ref(), Matches: out, Verdict: snap.judge(q.Name, len(out) > 0, time.Now())}
}

// Brief is a match as a batch result row shows it: no facts, no
// explanation.
type Brief struct {
	ID          string
	List        string
	Name        string
	MatchedName string
	Score       float64
}

// Summary is a screening as a batch row shows it: the best few matches
// and how many reached the threshold.
type Summary struct {
	// Count is the number of matches reported (at most the query's limit).
	Count int
	// Top are the best matches, best first, at most the top asked for.
	Top []Brief
	Verdict
}

// Summarise runs q against snap like Screen, without building
// explanations (a large share of a query that matches, and batch results
// never show them) and keeping only the best top matches.
func Summarise(snap *Snapshot, q Query, top int) Summary {
	ms, _ := candidates(snap, &q, false)
	var s Summary
	forEachDistinct(snap, ms, q.Limit, func(_ int, m *matcher.Match, e *lists.Entry) {
		s.Count++
		if len(s.Top) < top {
			s.Top = append(s.Top, Brief{ID: e.ID, List: lists.ListCode(e.Source), Name: e.Name, MatchedName: m.MatchedName, Score: m.Score})
		}
	})
	s.Verdict = snap.judge(q.Name, s.Count > 0, time.Now())
	return s
}

// candidates asks the matcher for q's matches. When q carries facts
// besides the name, it asks for more, down to a margin below the
// threshold, adjusts each score by the facts (evidence.go), drops what
// falls below the threshold and re-sorts, best first; facts[i] are then the
// comparisons behind ms[i]'s score (nil without facts).
func candidates(snap *Snapshot, q *Query, explain bool) (ms []matcher.Match, facts [][]FactCheck) {
	mq := q.matcherQuery(explain)
	if !q.hasFacts() {
		return snap.Index.Screen(mq), nil
	}
	margin := factsMargin
	if q.identifier != "" {
		margin = identifierMargin
	}
	mq.MinScore = max(mq.MinScore-margin, math.SmallestNonzeroFloat64)
	mq.Limit = min(3*q.Limit+20, 3*MaxLimit)
	all := snap.Index.Screen(mq)
	ms = all[:0]
	for i := range all {
		m := all[i]
		score, f := q.weigh(&snap.List.Entries[m.Record], m.Score)
		if score < q.MinScore {
			continue
		}
		m.Score = score
		ms = append(ms, m)
		facts = append(facts, f)
	}
	order := make([]int, len(ms))
	for i := range order {
		order[i] = i
	}
	// Stable: equal scores keep the matcher's order.
	sort.SliceStable(order, func(a, b int) bool { return ms[order[a]].Score > ms[order[b]].Score })
	sortedMs := make([]matcher.Match, len(ms))
	sortedFacts := make([][]FactCheck, len(ms))
	for i, k := range order {
		sortedMs[i], sortedFacts[i] = ms[k], facts[k]
	}
	return sortedMs, sortedFacts
}

// forEachDistinct calls f for at most limit matches, best first, with each
// one's position in ms, skipping an entry whose list and id were already
// reported.
func forEachDistinct(snap *Snapshot, ms []matcher.Match, limit int, f func(int, *matcher.Match, *lists.Entry)) {
	var seen map[string]bool
	n := 0
	for i := range ms {
		if limit > 0 && n == limit {
			return
		}
		m := &ms[i]
		e := &snap.List.Entries[m.Record]
		if len(ms) > 1 {
			if seen == nil {
				seen = make(map[string]bool, len(ms))
			}
			key := e.Source + "\x00" + e.ID
			if seen[key] {
				continue
			}
			seen[key] = true
		}
		n++
		f(i, m, e)
	}
}
