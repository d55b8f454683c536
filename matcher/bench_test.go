package matcher

import (
	"runtime"
	"sort"
	"testing"
	"time"
)

// Benchmarks over the tuning set's queries against the full list. Run with
// one core, as the speed bar is stated per core:
//
//	go test -run '^$' -bench . -benchmem -cpu 1 ./matcher/
//
// BenchmarkScreen reports the mean (ns/op), and p50, p99 and max per query
// in microseconds; one op is one query, cycling through the tuning set.

func tuningQueries(b *testing.B) []Query {
	cases := tuningSet(b)
	qs := make([]Query, len(cases))
	for i, c := range cases {
		qs[i] = Query{Name: c.Query.Name}
	}
	return qs
}

// reportLatencies adds p50, p99 and max (µs) of durs to b's output.
func reportLatencies(b *testing.B, durs []time.Duration) {
	if len(durs) == 0 {
		return
	}
	sort.Slice(durs, func(i, j int) bool { return durs[i] < durs[j] })
	us := func(d time.Duration) float64 { return float64(d) / 1e3 }
	b.ReportMetric(us(durs[len(durs)/2]), "p50-µs")
	b.ReportMetric(us(durs[len(durs)*99/100]), "p99-µs")
	b.ReportMetric(us(durs[len(durs)-1]), "max-µs")
}

func benchScreen(b *testing.B, ix *Index, qs []Query) {
	// Warm the pool and caches with one pass.
	for _, q := range qs {
		ix.Screen(q)
	}
	durs := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		ix.Screen(qs[i%len(qs)])
		durs = append(durs, time.Since(t0))
	}
	b.StopTimer()
	reportLatencies(b, durs)
}

func BenchmarkScreen(b *testing.B) {
	_, ix := fullList(b)
	benchScreen(b, ix, tuningQueries(b))
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
