package monitor_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/cslscreen/screener/lists"
	"github.com/cslscreen/screener/monitor"
	"github.com/cslscreen/screener/screening"
)

// counterparties makes n monitored names: made-up company and person names
// from common words, with every 500th a listed name written another way,
// so the run has real hits to confirm.
func counterparties(n int, listed *lists.List) []monitor.Counterparty {
	rng := rand.New(rand.NewPCG(1, 2))
	first := []string{"Acme", "Blue", "Northern", "Global", "Pacific", "Summit", "Green", "Silver", "Eastern", "Atlas", "Harbor", "Prime",
		"Maria", "John", "Wei", "Olga", "Ahmed", "Carlos", "Anna", "Peter", "Yuki", "Fatima", "Ivan", "Lucia"}
	mid := []string{"Trading", "Logistics", "Systems", "Foods", "Textiles", "Consulting", "Holdings", "Electronics", "Shipping", "Media",
		"Garcia", "Smith", "Zhang", "Ivanova", "Khan", "Rossi", "Müller", "Tanaka", "Silva", "Novak", "Dubois", "Kowalski"}
	last := []string{"Ltd", "LLC", "GmbH", "Inc", "SA", "Co", "BV", "AG", "", "", "", ""}
	cps := make([]monitor.Counterparty, n)
	for i := range cps {
		name := fmt.Sprintf("%s %s %s %s", first[rng.IntN(len(first))], word(rng), mid[rng.IntN(len(mid))], last[rng.IntN(len(last))])
		if i%500 == 0 {
			name = listed.Entries[rng.IntN(len(listed.Entries))].Name
		}
		cps[i] = monitor.Counterparty{KeyID: "k", Reference: fmt.Sprintf("c-%06d", i), Name: strings.Join(strings.Fields(name), " ")}
	}
	return cps
}

// word makes a pronounceable made-up word (a surname, a brand) from 2 or
// 3 of 400 syllables: some 25,000 distinct words over 100,000 names, as
// diverse as a real customer base.
func word(rng *rand.Rand) string {
	cons := "bcdfghjklmnprstvz"
	vow := "aeiou"
	syl := func() string {
		return string(cons[rng.IntN(len(cons))]) + string(vow[rng.IntN(len(vow))]) + string("nrls"[rng.IntN(4)])
	}
	w := syl() + syl()
	if rng.IntN(3) == 0 {
		w += syl()
	}
	return strings.ToUpper(w[:1]) + w[1:]
}

// BenchmarkRun100k: 100,000 monitored counterparties; a new version adds
// 300 entries and changes 100 (their names). One op is one monitoring
// run (diff, reverse index, confirmation, alerts) into the memory store.
func BenchmarkRun100k(b *testing.B) {
	ctx := context.Background()
	full, _ := versions(b)
	rng := rand.New(rand.NewPCG(3, 4))
	perm := rng.Perm(len(full.Entries))
	drop := map[int]bool{}
	for _, i := range perm[:300] {
		drop[i] = true
	}
	var olderEntries []lists.Entry
	for i, e := range full.Entries {
		switch {
		case drop[i]:
			continue
		case slices.Contains(perm[300:400], i):
			e.AltNames = append(slices.Clone(e.AltNames), e.Name+" Old Name")
		}
		olderEntries = append(olderEntries, e)
	}
	older := lists.NewList(lists.Version{Source: "file", Origin: "older"}, olderEntries)
	cps := counterparties(100_000, full)
	ls := lists.NewMemoryStore()
	ls.Publish(ctx, older)
	ls.Publish(ctx, full)
	newEngine := func() (*monitor.Engine, *monitor.MemoryStore) {
		ms := monitor.NewMemoryStore()
		for _, c := range cps {
			ms.PutCounterparty(ctx, c)
		}
		ms.SetLastVersion(older.Version.ID)
		cat := &screening.Catalog{Store: ls}
		cat.Load(full)
		return monitor.New(monitor.Options{Store: ms, Catalog: cat}), ms
	}
	var rep monitor.RunReport
	run := func(b *testing.B, eng *monitor.Engine) {
		var err error
		if rep, err = eng.CatchUp(ctx); err != nil {
			b.Fatal(err)
		}
		if rep.Counterparties != len(cps) || rep.Added != 300 || rep.Changed != 100 || rep.Alerts == 0 && rep.Candidates == 0 {
			b.Fatalf("run %+v", rep)
		}
	}
	// Cold: the first run of a replica, which builds the reverse index.
	b.Run("cold", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			eng, _ := newEngine()
			b.StartTimer()
			run(b, eng)
		}
		b.ReportMetric(float64(rep.Candidates), "candidates")
		b.Logf("%+v", rep)
	})
	// Warm: the counterparties have not changed since the last run.
	b.Run("warm", func(b *testing.B) {
		eng, ms := newEngine()
		run(b, eng)
		b.ResetTimer()
		for range b.N {
			b.StopTimer()
			ms.SetLastVersion(older.Version.ID)
			b.StartTimer()
			run(b, eng)
		}
		b.Logf("%+v", rep)
	})
}
