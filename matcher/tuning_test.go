//go:build tuning

// The tests in this file are tools for tuning and for checking a change,
// not tests: each does nothing unless its environment variable is set, so
// they are built only with the tuning tag, on the full list:
//
//	DBG='Kaspersky Lab|Global Trading LLC' go test -tags tuning -run TestDebugQueries -v ./matcher/
//	DBGQ='query' DBGN='listed name' go test -tags tuning -run TestDebugName -v ./matcher/
//	MATCHER_DUMP=/tmp/scores.tsv go test -tags tuning -run TestDumpScores ./matcher/
//	MATCHER_DUMP2=/tmp/matches.tsv go test -tags tuning -run TestDumpMatches ./matcher/
//	MATCHER_SLOW=20 go test -tags tuning -run TestSlowestQueries -v ./matcher/
//	DBGQ='query' go test -tags tuning -run '^$' -bench ScreenOne ./matcher/
//
// and, to show that a change leaves every result as it was, run before and
// after it and compare the two files (cmp):
//
//	MATCHER_DUMP_ALL=/tmp/before.txt go test -tags tuning -count 1 -run TestDumpAll ./matcher/

package matcher

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestDebugQueries prints each query's tokens, candidate words and matches.
func TestDebugQueries(t *testing.T) {
	qs := os.Getenv("DBG")
	if qs == "" {
		t.Skip()
	}
	_, ix := fullList(t)
	for _, q := range strings.Split(qs, "|") {
		s := ix.pool.Get().(*scratch)
		ix.prepareQuery(s, q)
		ix.retrieve(s)
		for i, qt := range s.qt {
			fmt.Printf("tok %d %+v w=%.2f\n", i, qt.tok, s.qw[i])
		}
		for _, c := range s.cands {
			v := ix.vocab[c.vocab]
			fmt.Printf("   cand q=%d unit=%d %s sim=%.3f how=%s w=%.1f df=%d\n", c.q, c.unit, v.canon, c.sim, howNames[c.how], v.w, v.df)
		}
		ix.release(s)
		for _, m := range ix.Screen(Query{Name: q, MinScore: 0.3}) {
			fmt.Printf("  %.3f %s | %s\n", m.Score, m.MatchedName, m.Explanation.Summary)
		}
	}
}

// TestDumpScores writes, per tuning-set case, the best score of an expected
// record and of any other record, for threshold studies.
func TestDumpScores(t *testing.T) {
	out := os.Getenv("MATCHER_DUMP")
	if out == "" {
		t.Skip()
	}
	cases := tuningSet(t)
	_, ix := fullList(t)
	if ps := os.Getenv("MATCHER_PARAMS"); ps != "" {
		ix.setParamsFromString(t, ps)
	}
	f, _ := os.Create(out)
	defer f.Close()
	for _, c := range cases {
		ms := ix.Screen(Query{Name: c.Query.Name, MinScore: 0.3, Limit: 10})
		exp := map[string]bool{}
		for _, id := range c.Expect {
			exp[id] = true
		}
		best, other := 0.0, 0.0
		for _, m := range ms {
			if exp[m.ID] && m.Score > best {
				best = m.Score
			}
			if !exp[m.ID] && m.Score > other {
				other = m.Score
			}
		}
		// rank condition: expected must be within top10 at threshold; approximate with scores.
		fmt.Fprintf(f, "%s\t%s\t%.4f\t%.4f\t%q\n", c.Class, c.ID, best, other, c.Query.Name)
	}
}

// TestDebugName shows how one listed name scores against one query.
func TestDebugName(t *testing.T) {
	q := os.Getenv("DBGQ")
	n := os.Getenv("DBGN")
	if q == "" {
		t.Skip()
	}
	_, ix := fullList(t)
	s := ix.pool.Get().(*scratch)
	defer ix.release(s)
	ix.prepareQuery(s, q)
	ix.retrieve(s)
	ix.gather(s, 0.8, "")
	for ni := range ix.names {
		if !strings.EqualFold(ix.nameText(uint32(ni)), n) {
			continue
		}
		nr := ix.names[ni]
		sc, ok := ix.scoreName(s, uint32(ni), true)
		fmt.Printf("name %d acc=%.2f wsum=%.2f score=%.3f ok=%v\n", ni, s.acc[ni].w, nr.wsum, sc, ok)
		for _, tk := range ix.toks[nr.off : nr.off+uint32(nr.n)] {
			v := ix.vocab[tk&tokIDMask]
			fmt.Printf("   tok %s w=%.2f df=%d kind=%d\n", v.canon, ix.tokWeight(tk), v.df, v.kind)
		}
		for _, e := range s.chosen {
			fmt.Printf("   edge %+v\n", e)
		}
		in := false
		for _, c := range s.top {
			if c.name == uint32(ni) {
				in = true
			}
		}
		fmt.Println("   in top:", in, "top size", len(s.top), "touched", len(s.touched))
	}
}

// TestSlowestQueries prints the tuning set's slowest queries (MATCHER_SLOW=N).
func TestSlowestQueries(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("MATCHER_SLOW"))
	if n == 0 {
		t.Skip()
	}
	_, ix := fullList(t)
	cases := tuningSet(t)
	type qd struct {
		q string
		d time.Duration
	}
	var all []qd
	for _, c := range cases {
		best := time.Hour
		for r := 0; r < 3; r++ {
			t0 := time.Now()
			ix.Screen(Query{Name: c.Query.Name})
			if d := time.Since(t0); d < best {
				best = d
			}
		}
		all = append(all, qd{c.Query.Name, best})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].d > all[j].d })
	for _, x := range all[:n] {
		fmt.Printf("%8.1fµs %q\n", float64(x.d)/1e3, x.q)
	}
	fmt.Println(ix.Stats())
}

// BenchmarkScreenOne times one query given in DBGQ.
func BenchmarkScreenOne(b *testing.B) {
	q := os.Getenv("DBGQ")
	if q == "" {
		b.Skip()
	}
	_, ix := fullList(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ix.Screen(Query{Name: q})
	}
}

// TestDumpMatches writes, per tuning-set case, the best expected (or, for
// negatives, any) match with its explanation words, for studies
// (MATCHER_DUMP2=file).
func TestDumpMatches(t *testing.T) {
	out := os.Getenv("MATCHER_DUMP2")
	if out == "" {
		t.Skip()
	}
	cases := tuningSet(t)
	_, ix := fullList(t)
	f, _ := os.Create(out)
	defer f.Close()
	for _, c := range cases {
		ms := ix.Screen(Query{Name: c.Query.Name, MinScore: 0.5, Limit: 10})
		exp := map[string]bool{}
		for _, id := range c.Expect {
			exp[id] = true
		}
		for _, m := range ms {
			if len(c.Expect) == 0 || exp[m.ID] {
				var ws []string
				for _, w := range m.Explanation.Words {
					ws = append(ws, fmt.Sprintf("%s:%s:%s:%.2f:%.2f", w.Query, w.Listed, w.How, w.Score, w.Weight))
				}
				fmt.Fprintf(f, "%s\t%.4f\t%d\t%d\t%s\t%q\t%q\n", c.Class, m.Score, len(m.Explanation.UnmatchedQuery), len(m.Explanation.UnmatchedListed), strings.Join(ws, " "), c.Query.Name, m.MatchedName)
				break
			}
		}
	}
}

// nameText returns the string name ni was analysed from.
func (ix *Index) nameText(ni uint32) string {
	nr := &ix.names[ni]
	name := ix.recs[nr.rec].names[nr.nameIdx]
	if nr.sub == 0 {
		return name
	}
	parts := subNames(name)
	if int(nr.sub) <= len(parts) {
		return parts[nr.sub-1]
	}
	return name
}

// TestDumpAll writes every result, explanations included, of a broad query
// set (MATCHER_DUMP_ALL=file): the tuning set's queries with four sets of
// options, and the names of every third record as listed, with two
// letters swapped, run together and with the ending changed.
func TestDumpAll(t *testing.T) {
	out := os.Getenv("MATCHER_DUMP_ALL")
	if out == "" {
		t.Skip()
	}
	recs, ix := fullList(t)
	var qs []Query
	for _, c := range tuningSet(t) {
		qs = append(qs, Query{Name: c.Query.Name}, Query{Name: c.Query.Name, MinScore: 0.3, Limit: 50},
			Query{Name: c.Query.Name, MinScore: 0.6, Country: "RU", Type: "entity"}, Query{Name: c.Query.Name, NoExplanation: true, Limit: 3})
	}
	for i, r := range recs {
		if i%3 != 0 {
			continue
		}
		for _, n := range r.Names {
			qs = append(qs, Query{Name: n, MinScore: 0.5})
			b := []byte(strings.ToLower(n))
			if len(b) > 6 {
				k := len(b) / 2
				b[k], b[k+1] = b[k+1], b[k]
				qs = append(qs, Query{Name: string(b), MinScore: 0.5})
				qs = append(qs, Query{Name: strings.ReplaceAll(n, " ", ""), MinScore: 0.5})
				qs = append(qs, Query{Name: string(b[:len(b)-2]) + "x", MinScore: 0.4})
			}
		}
	}
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for _, q := range qs {
		js, err := json.Marshal(ix.Screen(q))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(w, "%+v\t%s\n", q, js)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d queries", len(qs))
}
