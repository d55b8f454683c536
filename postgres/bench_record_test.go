package postgres

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

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
				cpu := startCPU(b, s)
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
				cpu.report(b, b.N*batch)
			})
		}
	}
}

// cpuMeter measures the CPU a benchmark's records cost: PostgreSQL's (the
// server and its backends) and this process's (building each record,
// encoding it, the queue and pgx). CPU time, unlike a rate, holds on a
// machine busy with other work, so these are the figures to compare runs.
type cpuMeter struct {
	s       *pgtest.Server
	pg, own time.Duration
}

func startCPU(b *testing.B, s *pgtest.Server) cpuMeter {
	pg, err := s.CPUTime()
	if err != nil {
		b.Fatal(err)
	}
	return cpuMeter{s: s, pg: pg, own: ownCPU()}
}

func (m cpuMeter) report(b *testing.B, records int) {
	pg, err := m.s.CPUTime()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64((pg-m.pg).Microseconds())/float64(records), "pg-cpu-µs/record")
	b.ReportMetric(float64((ownCPU()-m.own).Microseconds())/float64(records), "go-cpu-µs/record")
}

func ownCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
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

// BenchmarkAckQueue measures the audit trail as an answer sees it with
// AUDIT_DURABILITY=ack: clients (like a load's connections) each write a
// screening's record through an audit.Queue in ack mode and wait for its
// commit, in a closed loop, against PostgreSQL with fsync on. It reports
// the records committed a second and the median wait, for several numbers
// of writers and lingers, so the queue's defaults can be chosen on figures:
//
//	go test -run '^$' -bench AckQueue -benchtime 20000x ./postgres/
func BenchmarkAckQueue(b *testing.B) {
	s := pgtest.StartWith(b, pgtest.Options{Durable: true})
	ctx := context.Background()
	pool := open(b, s.CreateDatabase(b))
	if err := Migrate(ctx, pool); err != nil {
		b.Fatal(err)
	}
	l := NewAuditLog(pool, AuditConfig{})
	var seq atomic.Int64
	for _, clients := range []int{16, 128} {
		for _, cfg := range []audit.QueueConfig{
			{Writers: 1, Linger: 2 * time.Millisecond},
			{Writers: 1, Linger: -1},
			{Writers: 2, Linger: -1},
			{Writers: 3, Linger: 2 * time.Millisecond},
			{Writers: 3, Linger: -1},
		} {
			name := fmt.Sprintf("clients=%d/writers=%d/linger=%v", clients, cfg.Writers, max(cfg.Linger, 0))
			b.Run(name, func(b *testing.B) {
				cfg.Mode = audit.QueueAck
				q := audit.NewQueue(l, cfg)
				defer q.Close(ctx)
				var next atomic.Int64
				waits := make([]time.Duration, b.N)
				cpu := startCPU(b, s)
				b.ResetTimer()
				var wg sync.WaitGroup
				for range clients {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for {
							i := next.Add(1) - 1
							if i >= int64(b.N) {
								return
							}
							start := time.Now()
							if err := q.Write(ctx, screeningLike(int(seq.Add(1)))); err != nil {
								b.Error(err)
								return
							}
							waits[i] = time.Since(start)
						}
					}()
				}
				wg.Wait()
				b.StopTimer()
				slices.Sort(waits)
				st := q.Stats()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
				b.ReportMetric(float64(waits[len(waits)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(waits[len(waits)*99/100].Microseconds())/1000, "p99-ms")
				b.ReportMetric(float64(st.Written)/float64(max(st.Batches, 1)), "records/commit")
				cpu.report(b, b.N)
			})
		}
	}
}
