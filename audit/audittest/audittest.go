// Package audittest holds the tests every audit.Log must pass, so the
// ring, Redis and PostgreSQL logs are held to the same contract.
package audittest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cslscreen/screener/audit"
)

// T0 is the time of the first record Run writes.
var T0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// Rec makes a plain api record i seconds after T0, changed by mod.
func Rec(i int, mod ...func(*audit.Record)) audit.Record {
	at := T0.Add(time.Duration(i) * time.Second)
	r := audit.Record{
		ID: audit.NewID(at), Time: at, KeyID: "k1", Channel: audit.ChannelAPI, ListVersion: "v1", Status: audit.StatusClear,
		ClientRequestID: fmt.Sprintf("req-%d", i),
		Query:           &audit.Query{Name: fmt.Sprintf("Name %d", i), Limit: 10, MinScore: 0.8},
	}
	for _, m := range mod {
		m(&r)
	}
	return r
}

// IDs returns the ids of rs.
func IDs(rs []audit.Record) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

func jsonOf(t *testing.T, r audit.Record) string {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Options describe the log under test.
type Options struct {
	// WriteOrder: the log returns records in the order they were
	// written, not by (time, id); Run then writes them in time order.
	WriteOrder bool
}

// Run writes 30 records to l, which must be empty, and checks Query with
// each filter and paging, Get, and Export.
func Run(t *testing.T, l audit.Log, o Options) {
	ctx := context.Background()
	var all []audit.Record
	for i := range 30 {
		r := Rec(i, func(r *audit.Record) {
			if i%3 == 0 {
				r.KeyID = "k2"
			}
			if i%5 == 0 {
				r.Status, r.MatchCount = audit.StatusMatch, 1
				r.TopMatches = []audit.Match{{ID: "e1", List: "Entity List", Name: "ACME", Score: 0.93}}
			}
			if i >= 20 {
				r.ListVersion = "v2"
			}
			if i == 7 {
				r.Query.Name = "Huawei Technologies"
				r.Warnings = []string{"name_too_short"}
			}
			if i == 10 || i == 11 {
				r.Channel, r.Query = audit.ChannelBatchRow, &audit.Query{Name: "row"}
				r.BatchRow = &audit.BatchRow{JobID: "job-1", Row: int64(i), Reference: "ref"}
			}
			if i == 12 {
				r.Channel, r.Query, r.Status = audit.ChannelBatch, nil, ""
				r.Batch = &audit.BatchJob{JobID: "job-1", InputSHA256: "ab", Rows: 2, Outcomes: map[string]int64{"clear": 2}}
			}
			if i == 13 {
				r.Channel, r.Query, r.Status = audit.ChannelAdmin, nil, ""
				r.Event = &audit.Event{Action: audit.EventListRefreshForced, Detail: "by admin"}
			}
		})
		all = append(all, r)
	}
	// written out of order, as several replicas would
	early := []int{5, 3, 29}
	if o.WriteOrder {
		early = nil
	}
	for _, i := range early {
		if err := l.Write(ctx, all[i]); err != nil {
			t.Fatal(err)
		}
	}
	for i, r := range all {
		if slices.Contains(early, i) {
			continue
		}
		if err := l.Write(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	sel := func(keep func(i int, r audit.Record) bool) []string {
		var out []string
		for i, r := range all {
			if keep(i, r) {
				out = append(out, r.ID)
			}
		}
		return out
	}
	cases := []struct {
		name string
		f    audit.Filter
		want []string
	}{
		{"all", audit.Filter{}, sel(func(int, audit.Record) bool { return true })},
		{"time", audit.Filter{From: T0.Add(5 * time.Second), To: T0.Add(8 * time.Second)}, sel(func(i int, _ audit.Record) bool { return i >= 5 && i < 8 })},
		{"key", audit.Filter{KeyID: "k2"}, sel(func(i int, _ audit.Record) bool { return i%3 == 0 })},
		{"name", audit.Filter{NameContains: "hUAWEI tech"}, sel(func(i int, _ audit.Record) bool { return i == 7 })},
		{"name percent is literal", audit.Filter{NameContains: "%"}, nil},
		{"list version", audit.Filter{ListVersion: "v2"}, sel(func(i int, _ audit.Record) bool { return i >= 20 })},
		{"status", audit.Filter{Status: audit.StatusMatch}, sel(func(i int, _ audit.Record) bool { return i%5 == 0 })},
		{"batch job", audit.Filter{BatchJob: "job-1"}, sel(func(i int, _ audit.Record) bool { return i >= 10 && i <= 12 })},
		{"channel", audit.Filter{Channel: audit.ChannelAdmin}, sel(func(i int, _ audit.Record) bool { return i == 13 })},
		{"key and status", audit.Filter{KeyID: "k2", Status: audit.StatusMatch}, sel(func(i int, _ audit.Record) bool { return i%15 == 0 })},
	}
	for _, tc := range cases {
		for _, limit := range []int{0, 4} {
			t.Run(fmt.Sprintf("%s/limit=%d", tc.name, limit), func(t *testing.T) {
				f := tc.f
				f.Limit = limit
				var got []string
				for pages := 0; ; pages++ {
					if pages > 40 {
						t.Fatal("paging does not end")
					}
					p, err := l.Query(ctx, f)
					if err != nil {
						t.Fatal(err)
					}
					if limit > 0 && len(p.Records) > limit {
						t.Fatalf("page of %d records, limit %d", len(p.Records), limit)
					}
					got = append(got, IDs(p.Records)...)
					if p.NextCursor == "" {
						break
					}
					f.Cursor = p.NextCursor
				}
				if fmt.Sprint(got) != fmt.Sprint(tc.want) {
					t.Fatalf("got  %v\nwant %v", got, tc.want)
				}
			})
		}
	}
	t.Run("get round trip", func(t *testing.T) {
		for _, i := range []int{7, 10, 12, 13} {
			got, err := l.Get(ctx, all[i].ID)
			if err != nil {
				t.Fatal(err)
			}
			if a, b := fmt.Sprintf("%+v", jsonOf(t, got)), fmt.Sprintf("%+v", jsonOf(t, all[i])); a != b {
				t.Fatalf("record %d read back as\n%s\nwant\n%s", i, a, b)
			}
		}
		if _, err := l.Get(ctx, audit.NewID(T0)); !errors.Is(err, audit.ErrNotFound) {
			t.Fatalf("Get of an unknown id: %v, want ErrNotFound", err)
		}
	})
	t.Run("bad cursor", func(t *testing.T) {
		if _, err := l.Query(ctx, audit.Filter{Cursor: "nonsense"}); !errors.Is(err, audit.ErrBadCursor) {
			t.Fatalf("err %v, want ErrBadCursor", err)
		}
	})
	t.Run("export", func(t *testing.T) {
		var got []string
		err := l.Export(ctx, T0.Add(2*time.Second), T0.Add(25*time.Second), func(r audit.Record) error {
			got = append(got, r.ID)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := sel(func(i int, _ audit.Record) bool { return i >= 2 && i < 25 })
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("export %v\nwant   %v", got, want)
		}
		stop := errors.New("stop")
		n := 0
		err = l.Export(ctx, T0, T0.Add(time.Hour), func(audit.Record) error { n++; return stop })
		if !errors.Is(err, stop) || n != 1 {
			t.Fatalf("export after fn's error: err %v after %d calls", err, n)
		}
	})
}
