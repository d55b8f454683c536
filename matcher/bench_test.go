package matcher

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// Benchmarks over the tuning set's queries against the full list. Run with
// one core, as the speed bar is stated per core:
//
//	go test -run '^$' -bench . -benchmem -cpu 1 ./matcher/
//
// BenchmarkScreen reports the mean (ns/op), and p50, p99, the slowest query
// and the raw maximum in microseconds; one op is one query, cycling through
// the tuning set (run enough ops, e.g. -benchtime=60000x, for every query to
// be timed many times).

func tuningQueries(b *testing.B) []Query {
	cases := tuningSet(b)
	qs := make([]Query, len(cases))
	for i, c := range cases {
		qs[i] = Query{Name: c.Query.Name}
	}
	return qs
}

// reportLatencies adds, in microseconds, the p50 and p99 of all timed
// queries, the raw maximum, and the slowest query: the highest per-query
// median, which a one-off pause of the machine (another process, a GC
// cycle) cannot set on its own. perQuery[i] holds query i's timings.
func reportLatencies(b *testing.B, perQuery [][]time.Duration) {
	var all []time.Duration
	var slowest time.Duration
	for _, ds := range perQuery {
		if len(ds) == 0 {
			continue
		}
		all = append(all, ds...)
		sorted := append([]time.Duration(nil), ds...)
		sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
		if m := sorted[len(sorted)/2]; m > slowest {
			slowest = m
		}
	}
	if len(all) == 0 {
		return
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	us := func(d time.Duration) float64 { return float64(d) / 1e3 }
	b.ReportMetric(us(all[len(all)/2]), "p50-µs")
	b.ReportMetric(us(all[len(all)*99/100]), "p99-µs")
	b.ReportMetric(us(slowest), "slowest-query-µs")
	b.ReportMetric(us(all[len(all)-1]), "max-µs")
}

func benchScreen(b *testing.B, ix *Index, qs []Query) {
	// Warm the pool and caches with one pass.
	for _, q := range qs {
		ix.Screen(q)
	}
	perQuery := make([][]time.Duration, len(qs))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i % len(qs)
		t0 := time.Now()
		ix.Screen(qs[k])
		perQuery[k] = append(perQuery[k], time.Since(t0))
	}
	b.StopTimer()
	reportLatencies(b, perQuery)
}

func BenchmarkScreen(b *testing.B) {
	_, ix := fullList(b)
	benchScreen(b, ix, tuningQueries(b))
}

// BenchmarkScreenNoExplanation is BenchmarkScreen with Query.NoExplanation,
// as batch screening runs.
func BenchmarkScreenNoExplanation(b *testing.B) {
	_, ix := fullList(b)
	qs := tuningQueries(b)
	for i := range qs {
		qs[i].NoExplanation = true
	}
	benchScreen(b, ix, qs)
}

// BenchmarkBuild measures building the full list's index, and reports the
// heap the index holds (MB) after a garbage collection.
func BenchmarkBuild(b *testing.B) {
	recs, _ := fullList(b)
	var ix *Index
	var before, after runtime.MemStats
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ix = nil
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&before)
		b.StartTimer()
		ix = Build(recs)
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MB")
	runtime.KeepAlive(ix)
}

// BenchmarkScreen500k screens the tuning set's queries against a generated
// list of 500,000 names, to show how latency grows with list size. The
// names are drawn, with a fixed seed, from the full list's own words (by
// their frequency) mixed with made-up words of random syllables, with the
// full list's distribution of name lengths; the full list itself is added
// so the queries' targets exist. Build time and index heap are reported.
func BenchmarkScreen500k(b *testing.B) {
	ix, st := bigIndex(b)
	benchScreen(b, ix, tuningQueries(b))
	// After benchScreen: ResetTimer drops metrics reported before it.
	b.ReportMetric(st.buildSeconds, "build-s")
	b.ReportMetric(st.heapMB, "heap-MB")
	st2 := ix.Stats()
	b.ReportMetric(float64(st2.Names), "names")
	b.ReportMetric(float64(st2.Vocabulary), "vocabulary")
	b.ReportMetric(float64(st2.DeletionKeys), "deletion-keys")
}

type bigStats struct {
	buildSeconds, heapMB float64
}

var (
	bigOnce sync.Once
	bigIx   *Index
	bigSt   bigStats
)

func bigIndex(b *testing.B) (*Index, bigStats) {
	recs, _ := fullList(b)
	bigOnce.Do(func() {
		gen := generateRecords(recs, 500_000, 1)
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		t0 := time.Now()
		bigIx = Build(gen)
		bigSt.buildSeconds = time.Since(t0).Seconds()
		runtime.GC()
		runtime.ReadMemStats(&after)
		bigSt.heapMB = float64(after.HeapAlloc-before.HeapAlloc) / (1 << 20)
	})
	return bigIx, bigSt
}

var syllables = strings.Fields("ka ri to mo na sel vor tan lin gra zhe kov ush bar den mir sha tek pro ron vel dar ami ost ing ber lan cor ex tra")

// generateRecords returns the base records plus generated ones, until the
// total number of names reaches names.
func generateRecords(base []Record, names int, seed uint64) []Record {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	// The list's words by frequency, and its names' lengths in words.
	var words []string
	var lengths []int
	total := 0
	for _, r := range base {
		for _, n := range r.Names {
			f := strings.Fields(n)
			words = append(words, f...)
			lengths = append(lengths, len(f))
			total++
		}
	}
	out := append([]Record(nil), base...)
	types := []string{"", "Entity", "Individual", "Vessel"}
	for i := 0; total < names; i++ {
		rec := Record{ID: fmt.Sprintf("gen-%d", i), Type: types[rng.IntN(len(types))], Countries: []string{"XX"}}
		for k := 1 + rng.IntN(3); k > 0 && total < names; k-- {
			n := lengths[rng.IntN(len(lengths))]
			parts := make([]string, n)
			for j := range parts {
				if rng.IntN(10) < 6 {
					parts[j] = words[rng.IntN(len(words))]
					continue
				}
				var w strings.Builder
				for s := 2 + rng.IntN(3); s > 0; s-- {
					w.WriteString(syllables[rng.IntN(len(syllables))])
				}
				parts[j] = w.String()
			}
			rec.Names = append(rec.Names, strings.Join(parts, " "))
			total++
		}
		out = append(out, rec)
	}
	return out
}
