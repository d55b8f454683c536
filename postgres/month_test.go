package postgres

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/cslscreen/screener/audit"
)

// TestMonthOfRecordsQueries fills one month with synthetic records
// (RECORD_MONTH_ROWS, default 100,000; docs/BENCHMARKS.md reports a larger
// run) and pages through them with each filter of GET /v1/audit, checking
// that every page holds only records that match, and logging the time a
// first page of 100 takes (p50, p99 of 50 queries each):
//
//	RECORD_MONTH_ROWS=5000000 go test -run MonthOfRecords -v -timeout 60m ./postgres/
//
// 1,000 keys, 5 list versions, statuses match 2 %, clear 97 %,
// unscreenable 1 %, one in ten records a batch row of one of 500 jobs.
func TestMonthOfRecordsQueries(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a month of records; not with -short")
	}
	n := 100_000
	if v := os.Getenv("RECORD_MONTH_ROWS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1000 {
			t.Fatalf("RECORD_MONTH_ROWS=%q: want a number of records, at least 1000", v)
		}
	}
	_, pool, _ := testDB(t)
	ctx := context.Background()
	month := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	l := NewAuditLog(pool, AuditConfig{})
	if err := l.EnsurePartitions(ctx, month, month); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	const step = 500_000 // rows per INSERT, so one statement's memory stays small
	for lo := 1; lo <= n; lo += step {
		hi := min(lo+step-1, n)
		_, err := pool.Exec(ctx, `
			INSERT INTO audit_records (id, time, key_id, channel, name, list_version, status, batch_job, record)
			SELECT id, t, k, ch, nm, lv, st, bj, jsonb_build_object('id', id::text, 'time', t, 'key_id', k,
				'channel', ch, 'query', jsonb_build_object('name', nm, 'limit', 10, 'min_score', 0.85),
				'list_version', lv, 'status', st, 'match_count', 0,
				'batch_row', CASE WHEN bj IS NULL THEN NULL ELSE jsonb_build_object('job_id', bj, 'row', i) END)
			FROM (SELECT i, gen_random_uuid() AS id,
				$1::timestamptz + ((i - 1) * ($2::float8 / $3)) * interval '1 second' AS t,
				'key-' || (i % 1000) AS k,
				CASE WHEN i % 10 = 0 THEN 'batch_row' ELSE 'api' END AS ch,
				'Counterparty ' || md5(i::text) || ' Trading Co' AS nm,
				'v' || (i % 5) AS lv,
				CASE WHEN i % 100 < 2 THEN 'match' WHEN i % 100 = 2 THEN 'unscreenable' ELSE 'clear' END AS st,
				CASE WHEN i % 10 = 0 THEN 'job-' || (i % 500) END AS bj
				FROM generate_series($4::int, $5::int) AS i) s`,
			month, float64(30*24*3600), n, lo, hi)
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, "ANALYZE audit_records"); err != nil {
		t.Fatal(err)
	}
	var size string
	if err := pool.QueryRow(ctx, "SELECT pg_size_pretty(pg_total_relation_size('audit_records_2026_11'))").Scan(&size); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d records in %v (%.0f a second, one INSERT … SELECT per %d); the month's partition with its indexes: %s",
		n, time.Since(start).Round(time.Second), float64(n)/time.Since(start).Seconds(), step, size)

	var sample string // a name to look for: 3 characters of an md5 would match too many
	if err := pool.QueryRow(ctx, "SELECT name FROM audit_records WHERE time >= $1 ORDER BY time LIMIT 1 OFFSET $2",
		month, n/2).Scan(&sample); err != nil {
		t.Fatal(err)
	}
	needle := sample[len("Counterparty ") : len("Counterparty ")+10]
	filters := []struct {
		name string
		f    audit.Filter
		ok   func(audit.Record) bool
	}{
		{"key", audit.Filter{KeyID: "key-1"}, func(r audit.Record) bool { return r.KeyID == "key-1" }},
		{"name contains", audit.Filter{NameContains: needle}, func(r audit.Record) bool { return r.Name() == sample }},
		{"status", audit.Filter{Status: "match"}, func(r audit.Record) bool { return r.Status == "match" }},
		{"list version", audit.Filter{ListVersion: "v3"}, func(r audit.Record) bool { return r.ListVersion == "v3" }},
		{"batch job", audit.Filter{BatchJob: "job-40"}, func(r audit.Record) bool { return r.BatchJobID() == "job-40" }},
		{"key, status and a week", audit.Filter{KeyID: "key-1", Status: "match", From: month.AddDate(0, 0, 7), To: month.AddDate(0, 0, 14)},
			func(r audit.Record) bool { return r.KeyID == "key-1" && r.Status == "match" }},
	}
	for _, c := range filters {
		c.f.Limit = 100
		var took []time.Duration
		var got int
		for range 50 {
			t0 := time.Now()
			p, err := l.Query(ctx, c.f)
			took = append(took, time.Since(t0))
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			got = len(p.Records)
			for _, r := range p.Records {
				if !c.ok(r) {
					t.Fatalf("%s: record %+v does not match the filter", c.name, r)
				}
			}
		}
		if got == 0 {
			t.Errorf("%s: no records; the synthetic data should have some", c.name)
		}
		slices.Sort(took)
		t.Logf("%-24s %3d records a page; p50 %v, p99 %v", c.name+":", got, ms(took[len(took)/2]), ms(took[len(took)*99/100]))
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }
