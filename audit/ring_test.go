package audit_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/cslscreen/screener/audit"
	"github.com/cslscreen/screener/audit/audittest"
	"testing"
	"time"
)

func TestRingKeepsTheLastCapacityRecords(t *testing.T) {
	ctx := context.Background()
	g := audit.NewRing(3, 0)
	var all []audit.Record
	for i := range 5 {
		r := audittest.Rec(i)
		all = append(all, r)
		if err := g.Write(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	p, err := g.Query(ctx, audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(audittest.IDs(p.Records)), fmt.Sprint(audittest.IDs(all[2:])); got != want {
		t.Fatalf("records %v, want %v", got, want)
	}
	if _, err := g.Get(ctx, all[1].ID); !errors.Is(err, audit.ErrNotFound) {
		t.Fatalf("Get of an overwritten record: %v, want audit.ErrNotFound", err)
	}
	if got, err := g.Get(ctx, all[4].ID); err != nil || got.ID != all[4].ID {
		t.Fatalf("Get: %v %v", got.ID, err)
	}
}

func TestRingRejectsBadRecords(t *testing.T) {
	for name, r := range map[string]audit.Record{
		"no id":       audittest.Rec(0, func(r *audit.Record) { r.ID = "" }),
		"bad id":      audittest.Rec(0, func(r *audit.Record) { r.ID = "req-123" }),
		"no time":     audittest.Rec(0, func(r *audit.Record) { r.Time = time.Time{} }),
		"bad channel": audittest.Rec(0, func(r *audit.Record) { r.Channel = "web" }),
		"bad status":  audittest.Rec(0, func(r *audit.Record) { r.Status = "maybe" }),
	} {
		if err := audit.NewRing(1, 0).Write(context.Background(), r); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestRingFilters(t *testing.T) { audittest.Run(t, audit.NewRing(100, 0), audittest.Options{}) }

// TestRingWriteAtCapacityDoesNotCopy: the old in-memory log copied itself
// on every write once full; a write to a full ring must allocate nothing.
func TestRingWriteAtCapacityDoesNotCopy(t *testing.T) {
	g := audit.NewRing(1000, 0)
	r := audittest.Rec(0)
	ctx := context.Background()
	for range 1500 {
		g.Write(ctx, r)
	}
	if a := testing.AllocsPerRun(1000, func() { g.Write(ctx, r) }); a != 0 {
		t.Fatalf("a write to a full ring allocates %v times, want 0", a)
	}
}

func BenchmarkRingWriteFull(b *testing.B) {
	for _, capacity := range []int{1_000, 100_000} {
		b.Run(fmt.Sprint(capacity), func(b *testing.B) {
			g := audit.NewRing(capacity, time.Hour)
			r := audittest.Rec(0)
			ctx := context.Background()
			for range capacity {
				g.Write(ctx, r)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				g.Write(ctx, r)
			}
		})
	}
}
