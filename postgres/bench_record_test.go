package postgres

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cslscreen/screener/audit"
	"github.com/cslscreen/screener/audit/audittest"
	"github.com/cslscreen/screener/internal/pgtest"
)

// BenchmarkWriteCost measures what a record costs PostgreSQL (fsync on, as
// in production): batches of 64 records like a screening's (a name, three
// top matches), written by one writer or by two at once, with every index
// of the schema and without the name's trigram index. It is the "why" of
// the audit-on throughput in docs/BENCHMARKS.md:
//
//	go test -run '^$' -bench WriteCost -benchtime 3s ./postgres/
func BenchmarkWriteCost(b *testing.B) {
	s := pgtest.StartWith(b, pgtest.Options{Durable: true})
	ctx := context.Background()
	for _, trigram := range []bool{true, false} {
		pool := open(b, s.CreateDatabase(b))
		if err := Migrate(ctx, pool); err != nil {
			b.Fatal(err)
		}
		if !trigram {
			if _, err := pool.Exec(ctx, "DROP INDEX audit_records_name"); err != nil {
				b.Fatal(err)
			}
		}
		l := NewAuditLog(pool, AuditConfig{})
		for _, writers := range []int{1, 2} {
			b.Run(fmt.Sprintf("trigram=%v/writers=%d", trigram, writers), func(b *testing.B) {
				const batch = 64
				var next atomic.Int64
				var seq atomic.Int64
				b.ResetTimer()
				var wg sync.WaitGroup
				for range writers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						recs := make([]audit.Record, batch)
						for next.Add(1) <= int64(b.N) {
							for i := range recs {
								recs[i] = screeningLike(int(seq.Add(1)))
							}
							if err := l.WriteBatch(ctx, recs); err != nil {
								b.Error(err)
								return
							}
						}
					}()
				}
				wg.Wait()
				b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "records/s")
			})
		}
	}
}

// screeningLike is a record of the size of an API screening's.
func screeningLike(i int) audit.Record {
	return audittest.Rec(i%2_000_000, func(r *audit.Record) {
		r.ID = audit.NewID(r.Time)
		r.Query.Name = fmt.Sprintf("Shenzhen Example Electronics %d Co Ltd", i)
		r.Status, r.MatchCount = audit.StatusMatch, 3
		r.TopMatches = []audit.Match{
			{ID: "e1", List: "Entity List (EL) - Bureau of Industry and Security", Name: "Shenzhen Example Electronics Co", Score: 0.93},
			{ID: "e2", List: "Specially Designated Nationals (SDN) - Treasury Department", Name: "Example Electronics Ltd", Score: 0.88},
			{ID: "e3", List: "Entity List (EL) - Bureau of Industry and Security", Name: "Shenzhen Sample Electric", Score: 0.81},
		}
	})
}
