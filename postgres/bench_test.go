package postgres

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/cslscreen/screener/audit"
	"github.com/cslscreen/screener/audit/audittest"
	"github.com/cslscreen/screener/internal/pgtest"
)

// BenchmarkQueueAck measures acknowledged writes through the queue's
// group commit: each Write returns once its record is committed. durable
// runs PostgreSQL with fsync and synchronous commit on, as in production.
func BenchmarkQueueAck(b *testing.B) {
	for _, durable := range []bool{false, true} {
		b.Run(fmt.Sprintf("durable=%v", durable), func(b *testing.B) {
			s := pgtest.StartWith(b, pgtest.Options{Durable: durable})
			pool := open(b, s.CreateDatabase(b))
			ctx := context.Background()
			if err := Migrate(ctx, pool); err != nil {
				b.Fatal(err)
			}
			l := NewAuditLog(pool, AuditConfig{})
			for _, c := range []struct {
				writers int
				linger  time.Duration
			}{{2, -1}, {2, 2 * time.Millisecond}, {16, -1}, {16, 2 * time.Millisecond}, {256, -1}, {256, 2 * time.Millisecond}} {
				writers := c.writers
				b.Run(fmt.Sprintf("writers=%d/linger=%v", writers, max(c.linger, 0)), func(b *testing.B) {
					q := audit.NewQueue(l, audit.QueueConfig{Mode: audit.QueueAck, Linger: c.linger})
					r := audittest.Rec(0)
					b.SetParallelism(max(writers/runtime.GOMAXPROCS(0), 1))
					b.ResetTimer()
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							r := r
							r.ID = audit.NewID(r.Time)
							if err := q.Write(ctx, r); err != nil {
								b.Error(err)
							}
						}
					})
					b.StopTimer()
					st := q.Stats()
					q.Close(ctx)
					b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
					b.ReportMetric(float64(st.Written)/float64(max(st.Batches, 1)), "records/batch")
				})
			}
		})
	}
}

// BenchmarkWriteBatch measures one COPY of n records.
func BenchmarkWriteBatch(b *testing.B) {
	_, pool, _ := testDB(b)
	ctx := context.Background()
	l := NewAuditLog(pool, AuditConfig{})
	for _, n := range []int{1, 100, 500} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			batch := make([]audit.Record, n)
			for b.Loop() {
				for i := range batch {
					batch[i] = audittest.Rec(i)
				}
				if err := l.WriteBatch(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
