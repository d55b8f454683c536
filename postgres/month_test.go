package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cslscreen/screener/audit"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestMonthOfRecordsQueries bulk-loads a month of RECORD_MONTH_ROWS
// synthetic records (bulkLoadMonth: a standalone table, indexes built
// after the load, then ATTACH PARTITION) and pages through them with each
// filter of GET /v1/audit, logging how long a first page of 100 and the
// page after it take (p50, p99 of 50 queries each). docs/BENCHMARKS.md,
// "A month of records, queried", reports a run:
//
//	RECORD_MONTH_ROWS=30000000 nice -n 19 ionice -c3 go test -run MonthOfRecords -v -timeout 300m ./postgres/
//
// Without RECORD_MONTH_ROWS it is skipped; TestBulkLoadedMonth runs the
// same path on 20,000 records in the normal suite.
func TestMonthOfRecordsQueries(t *testing.T) {
	v := os.Getenv("RECORD_MONTH_ROWS")
	if v == "" {
		t.Skip("set RECORD_MONTH_ROWS (e.g. 30000000) to fill and query a month of records; TestBulkLoadedMonth runs the same path small")
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1000 {
		t.Fatalf("RECORD_MONTH_ROWS=%q: want a number of records, at least 1000", v)
	}
	// About 1.1 KiB a record with its indexes, plus WAL (max_wal_size
	// below) and room to spare: refuse rather than fill the disk.
	need := uint64(n)*1200 + 6<<30
	var fs syscall.Statfs_t
	if err := syscall.Statfs(os.TempDir(), &fs); err == nil && fs.Bavail*uint64(fs.Bsize) < need {
		t.Fatalf("RECORD_MONTH_ROWS=%d needs about %d GiB free in %s; %d GiB are",
			n, need>>30, os.TempDir(), fs.Bavail*uint64(fs.Bsize)>>30)
	}
	monthOfRecords(t, n, 50, true)
}

// TestBulkLoadedMonth is TestMonthOfRecordsQueries on 20,000 records, so
// that the bulk load, the adoption of its indexes by ATTACH PARTITION and
// the plans over an attached month are tested on every run.
func TestBulkLoadedMonth(t *testing.T) {
	if testing.Short() {
		t.Skip("bulk-loads 20,000 records; not with -short")
	}
	monthOfRecords(t, 20_000, 5, false)
}

// monthOfRecords bulk-loads n records into November 2026, checks the
// partition and its indexes are attached and used, then runs each filter
// reps times for a first page and a second one, checking every record,
// and, if explain, logs the first page's plan as run (EXPLAIN ANALYZE).
func monthOfRecords(t *testing.T, n, reps int, explain bool) {
	_, pool, _ := testDB(t)
	ctx := context.Background()
	month := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	l := NewAuditLog(pool, AuditConfig{})
	// Months on either side exist, as under Maintain, and stay empty.
	if err := l.EnsurePartitions(ctx, month.AddDate(0, -1, 0), month.AddDate(0, -1, 0)); err != nil {
		t.Fatal(err)
	}
	if err := l.EnsurePartitions(ctx, month.AddDate(0, 1, 0), month.AddDate(0, 1, 0)); err != nil {
		t.Fatal(err)
	}
	part := bulkLoadMonth(t, pool, month, n)
	checkAttached(t, pool, part)

	var settings []string
	for _, s := range []string{"server_version", "shared_buffers", "work_mem", "effective_cache_size", "random_page_cost",
		"fsync", "synchronous_commit", "full_page_writes", "wal_level", "max_wal_size"} {
		var v string
		if err := pool.QueryRow(ctx, "SELECT current_setting($1)", s).Scan(&v); err != nil {
			t.Fatal(err)
		}
		settings = append(settings, s+"="+v)
	}
	t.Logf("server settings for the queries: %s", strings.Join(settings, " "))

	var sample string // a name to look for: 3 characters of an md5 would match too many
	if err := pool.QueryRow(ctx, "SELECT name FROM "+part+" WHERE time >= $1 ORDER BY time LIMIT 1",
		month.Add(15*24*time.Hour)).Scan(&sample); err != nil {
		t.Fatal(err)
	}
	needle := sample[len("Counterparty ") : len("Counterparty ")+10]

	// The plans on the loaded month, as TestQueriesUseIndexes checks them
	// on an inserted one: each filter reads its index, none the whole month.
	after := &audit.Cursor{Time: month.Add(10 * 24 * time.Hour), ID: audit.NewID(month)}
	for _, c := range []struct {
		name  string
		f     audit.Filter
		index string // or "|"-separated suffixes the plan may use one of
	}{
		{"time", audit.Filter{From: month.Add(24 * time.Hour), To: month.Add(25 * time.Hour)}, "_pkey"},
		{"key", audit.Filter{KeyID: "key-7"}, "_key_id_time_id_idx"},
		{"name", audit.Filter{NameContains: needle}, "_name_idx"},
		// A fifth of the records: reading the month in order and keeping
		// one in five is as good as reading the version's index.
		{"list version", audit.Filter{ListVersion: "v3"}, "_list_version_time_id_idx|_pkey"},
		{"status", audit.Filter{Status: audit.StatusMatch}, "_status_time_id_idx"},
		{"batch job", audit.Filter{BatchJob: "job-40"}, "_batch_job_time_id_idx"},
		{"everything", audit.Filter{}, "_pkey"},
	} {
		for _, cur := range []*audit.Cursor{nil, after} {
			sql, args := buildQuery(c.f, cur, 101)
			assertPlanUsesOneOf(t, pool, fmt.Sprintf("%s (cursor %v)", c.name, cur != nil), strings.Split(c.index, "|"), sql, args...)
		}
	}
	assertPlan(t, pool, "get", "_id_idx", "SELECT record FROM audit_records WHERE id = $1", mustID(audit.NewID(month)))

	filters := []struct {
		name string
		f    audit.Filter
	}{
		{"key", audit.Filter{KeyID: "key-1"}},
		{"name contains", audit.Filter{NameContains: needle}},
		{"status", audit.Filter{Status: audit.StatusMatch}},
		{"list version", audit.Filter{ListVersion: "v3"}},
		{"batch job", audit.Filter{BatchJob: "job-40"}},
		{"key, status and a week", audit.Filter{KeyID: "key-1", Status: audit.StatusMatch, From: month.AddDate(0, 0, 7), To: month.AddDate(0, 0, 14)}},
		{"none (the month's start)", audit.Filter{}},
	}
	for _, c := range filters {
		c.f.Limit = 100
		first, took1 := timeQuery(t, l, c.name, c.f, reps)
		if len(first.Records) == 0 {
			t.Errorf("%s: no records; the synthetic data should have some", c.name)
			continue
		}
		if c.name == "name contains" && (len(first.Records) != 1 || first.Records[0].Name() != sample) {
			t.Errorf("name contains %q: %d records, want the one named %q", needle, len(first.Records), sample)
		}
		line := fmt.Sprintf("%-24s %3d records; first page p50 %v, p99 %v", c.name+":", len(first.Records), ms(took1[len(took1)/2]), ms(took1[len(took1)*99/100]))
		if first.NextCursor != "" {
			f := c.f
			f.Cursor = first.NextCursor
			second, took2 := timeQuery(t, l, c.name+" (page 2)", f, reps)
			if len(second.Records) == 0 {
				t.Errorf("%s: a next cursor but an empty page 2", c.name)
				continue
			}
			last, next := first.Records[len(first.Records)-1], second.Records[0]
			if !next.Time.After(last.Time) && !(next.Time.Equal(last.Time) && next.ID > last.ID) {
				t.Errorf("%s: page 2 starts with %s %s, not after page 1's last %s %s", c.name, next.Time, next.ID, last.Time, last.ID)
			}
			line += fmt.Sprintf("; page 2 p50 %v, p99 %v", ms(took2[len(took2)/2]), ms(took2[len(took2)*99/100]))
		}
		t.Log(line)
		if explain {
			sql, args := buildQuery(c.f, nil, c.f.Limit+1)
			rows, err := pool.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+sql, args...)
			if err != nil {
				t.Fatal(err)
			}
			var plan []string
			for rows.Next() {
				var l string
				if err := rows.Scan(&l); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, "\t"+l)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s, first page:\n%s", c.name, strings.Join(plan, "\n"))
		}
	}

	// The attached month takes writes as one made by EnsurePartitions does,
	// and its primary key still refuses a second copy of a record.
	r := audit.Record{ID: audit.NewID(month.Add(time.Hour)), Time: month.Add(time.Hour), KeyID: "key-1",
		Channel: audit.ChannelAPI, Status: audit.StatusClear, Query: &audit.Query{Name: "Written After The Load", Limit: 10}}
	if err := l.Write(ctx, r); err != nil {
		t.Fatal(err)
	}
	if got, err := l.Get(ctx, r.ID); err != nil || got.Name() != "Written After The Load" {
		t.Fatalf("reading back a record written to the attached month: %+v, %v", got, err)
	}
	_, err := pool.Exec(ctx, "INSERT INTO audit_records (id, time, channel, record) VALUES ($1, $2, 'api', '{}')", mustID(r.ID), r.Time)
	if err == nil || !strings.Contains(err.Error(), "duplicate key") {
		t.Fatalf("a second copy of a record in the attached month: %v, want a duplicate key error", err)
	}
}

// timeQuery runs f reps times, checks every record of each page matches
// it, and returns the last page with the sorted durations.
func timeQuery(t *testing.T, l *AuditLog, name string, f audit.Filter, reps int) (audit.Page, []time.Duration) {
	t.Helper()
	var (
		took []time.Duration
		p    audit.Page
	)
	for range reps {
		t0 := time.Now()
		var err error
		p, err = l.Query(context.Background(), f)
		took = append(took, time.Since(t0))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, r := range p.Records {
			if !f.Matches(&r) {
				t.Fatalf("%s: record %+v does not match the filter", name, r)
			}
		}
	}
	slices.Sort(took)
	return p, took
}

// bulkLoadMonth fills the month of month (which must not have a partition
// yet) with n synthetic records the way an operator bulk-loads one, and
// returns the partition's name:
//
//  1. CREATE TABLE shaped like audit_records (LIKE), with a CHECK on the
//     month's range so ATTACH need not scan it, and no index;
//  2. INSERT … SELECT generate_series in chunks from two connections
//     (a logged table: the WAL is written once, as for any INSERT; an
//     unlogged one would have to be rewritten whole by SET LOGGED);
//  3. the partition's indexes, named as PostgreSQL names those it makes
//     for a partition, built with maintenance_work_mem 1GB and one parallel
//     worker, the trigram GIN index on one connection while the B-trees
//     are built on the other;
//  4. ANALYZE, ALTER TABLE audit_records ATTACH PARTITION (which adopts
//     the matching indexes instead of building new ones), and the CHECK
//     dropped, as the partition constraint now holds it.
//
// Records: 1,000 keys, 5 list versions, statuses match 2 % (with three top
// matches), unscreenable 1 %, clear the rest, one in ten a batch row of one
// of 500 jobs, names "Counterparty <md5> Trading Co", ids UUIDv7 of their
// time as audit.NewID makes them, spread evenly over the month.
func bulkLoadMonth(t *testing.T, pool *pgxpool.Pool, month time.Time, n int) string {
	t.Helper()
	ctx := context.Background()
	part := "audit_records_" + month.Format("2006_01")
	end := month.AddDate(0, 1, 0)
	for _, q := range []string{
		// Fewer checkpoints while loading; the setting an operator raises for a load.
		"ALTER SYSTEM SET max_wal_size = '4GB'",
		"SELECT pg_reload_conf()",
		fmt.Sprintf(`CREATE TABLE %[1]s (LIKE audit_records INCLUDING DEFAULTS,
			CONSTRAINT %[1]s_month CHECK (time >= '%[2]s' AND time < '%[3]s'))`,
			part, month.Format(time.RFC3339), end.Format(time.RFC3339)),
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}

	start := time.Now()
	const chunk = 200_000 // rows per INSERT, so that one statement's memory stays small
	var (
		next, loaded atomic.Int64
		wg           sync.WaitGroup
		errs         = make(chan error, 2)
	)
	next.Store(1)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				lo := next.Add(chunk) - chunk
				if lo > int64(n) {
					return
				}
				hi := min(lo+chunk-1, int64(n))
				tag, err := pool.Exec(ctx, strings.ReplaceAll(insertMonthSQL, "{table}", part), month, float64(end.Sub(month)/time.Second), n, lo, hi)
				if err != nil {
					errs <- fmt.Errorf("loading records %d to %d: %w", lo, hi, err)
					return
				}
				loaded.Add(tag.RowsAffected())
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if loaded.Load() != int64(n) {
		t.Fatalf("loaded %d records, want %d", loaded.Load(), n)
	}
	loadTook := time.Since(start)
	heap := relSize(t, pool, "pg_relation_size", part)

	// Each connection builds its share of the indexes; the primary key is
	// a unique index first, made the constraint after, so that neither
	// build waits for the other's lock.
	indexes := [][]string{
		{fmt.Sprintf("CREATE INDEX %[1]s_name_idx ON %[1]s USING gin (name gin_trgm_ops)", part)},
		{
			fmt.Sprintf("CREATE UNIQUE INDEX %[1]s_pkey ON %[1]s (time, id)", part),
			fmt.Sprintf("CREATE INDEX %[1]s_key_id_time_id_idx ON %[1]s (key_id, time, id)", part),
			fmt.Sprintf("CREATE INDEX %[1]s_status_time_id_idx ON %[1]s (status, time, id)", part),
			fmt.Sprintf("CREATE INDEX %[1]s_list_version_time_id_idx ON %[1]s (list_version, time, id)", part),
			fmt.Sprintf("CREATE INDEX %[1]s_id_idx ON %[1]s (id)", part),
			fmt.Sprintf("CREATE INDEX %[1]s_batch_job_time_id_idx ON %[1]s (batch_job, time, id) WHERE batch_job IS NOT NULL", part),
		},
	}
	indexStart := time.Now()
	var (
		mu   sync.Mutex
		took []string
	)
	errs = make(chan error, len(indexes))
	for _, qs := range indexes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := pool.Acquire(ctx)
			if err != nil {
				errs <- err
				return
			}
			defer c.Release()
			for _, q := range append([]string{"SET maintenance_work_mem = '1GB'", "SET max_parallel_maintenance_workers = 1"}, qs...) {
				t0 := time.Now()
				if _, err := c.Exec(ctx, q); err != nil {
					errs <- fmt.Errorf("%s: %w", q, err)
					return
				}
				if _, rest, ok := strings.Cut(q, "INDEX "); ok {
					name, _, _ := strings.Cut(rest, " ")
					mu.Lock()
					took = append(took, fmt.Sprintf("%s %v", strings.TrimPrefix(name, part+"_"), time.Since(t0).Round(time.Second)))
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	indexTook := time.Since(indexStart)

	attachStart := time.Now()
	for _, q := range []string{
		fmt.Sprintf("ALTER TABLE %[1]s ADD CONSTRAINT %[1]s_pkey PRIMARY KEY USING INDEX %[1]s_pkey", part),
		"ANALYZE " + part,
		fmt.Sprintf("ALTER TABLE audit_records ATTACH PARTITION %s FOR VALUES FROM ('%s') TO ('%s')",
			part, month.Format(time.RFC3339), end.Format(time.RFC3339)),
		fmt.Sprintf("ALTER TABLE %[1]s DROP CONSTRAINT %[1]s_month", part),
		"ANALYZE audit_records",
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	attachTook := time.Since(attachStart)
	total := time.Since(start)
	t.Logf("%d records bulk-loaded in %v: rows %v (%.0f a second, INSERT … SELECT of %d from 2 connections), indexes %v (%s), primary key + ANALYZE + ATTACH %v",
		n, total.Round(time.Second), loadTook.Round(time.Second), float64(n)/loadTook.Seconds(), chunk,
		indexTook.Round(time.Second), strings.Join(took, ", "), attachTook.Round(time.Millisecond))
	t.Logf("the month's partition: %s with its indexes (rows %s, indexes %s; %.0f bytes a record)",
		pretty(relSize(t, pool, "pg_total_relation_size", part)), pretty(heap), pretty(relSize(t, pool, "pg_indexes_size", part)),
		float64(relSize(t, pool, "pg_total_relation_size", part))/float64(n))
	t.Logf("load settings: maintenance_work_mem=1GB max_parallel_maintenance_workers=1 (per index connection, 2 connections), max_wal_size=4GB")
	return part
}

// insertMonthSQL inserts records $4..$5 of $3 spread over $2 seconds from
// $1 into the table {table}.
const insertMonthSQL = `
INSERT INTO {table} (id, time, client_request_id, key_id, channel, name, list_version, status, batch_job, record)
SELECT id, t, rq, k, ch, nm, lv, st, bj, jsonb_strip_nulls(jsonb_build_object(
	'id', id::text, 'client_request_id', rq, 'time', t, 'key_id', k, 'channel', ch,
	'query', jsonb_build_object('name', nm, 'country', co, 'type', 'entity', 'limit', 10, 'min_score', 0.85),
	'list_version', lv, 'status', st,
	'warnings', CASE WHEN st = 'unscreenable' THEN jsonb_build_array('the name has no letters or digits after normalisation') END,
	'match_count', CASE WHEN st = 'match' THEN 3 ELSE 0 END,
	'top_matches', CASE WHEN st = 'match' THEN jsonb_build_array(
		jsonb_build_object('id', 'el-' || (i % 3000), 'list', 'Entity List (EL) - Bureau of Industry and Security',
			'name', 'Counterparty ' || substr(md5(i::text), 1, 12) || ' Trading', 'score', 0.93),
		jsonb_build_object('id', 'sdn-' || (i % 7000), 'list', 'Specially Designated Nationals (SDN) - Treasury Department',
			'name', substr(md5(i::text), 1, 12) || ' Trading Company Limited', 'score', 0.88),
		jsonb_build_object('id', 'el-' || (i % 2999), 'list', 'Entity List (EL) - Bureau of Industry and Security',
			'name', 'Counterparty Trading Co', 'score', 0.86)) END,
	'batch_row', CASE WHEN bj IS NOT NULL THEN jsonb_build_object('job_id', bj, 'row', i / 5000 + 1, 'reference', 'INV-' || i) END))
FROM (SELECT i, t, k, ch, nm, lv, st, bj,
		encode(overlay(uuid_send(gen_random_uuid()) PLACING
			int8send((floor(extract(epoch FROM t) * 1000)::int8 << 16) | 28672 | (i & 4095)) FROM 1 FOR 8), 'hex')::uuid AS id,
		'req-' || substr(md5(i::text || 'r'), 1, 16) AS rq,
		CASE WHEN i % 3 = 0 THEN (ARRAY['CN', 'RU', 'IR', 'AE', 'TR', 'HK', 'DE', 'US'])[1 + i % 8] END AS co
	FROM (SELECT i,
		$1::timestamptz + ((i - 1) * ($2::float8 / $3)) * interval '1 second' AS t,
		'key-' || (i % 1000) AS k,
		CASE WHEN i % 10 = 0 THEN 'batch_row' ELSE 'api' END AS ch,
		'Counterparty ' || md5(i::text) || ' Trading Co' AS nm,
		'v' || (i % 5) AS lv,
		CASE WHEN i % 100 < 2 THEN 'match' WHEN i % 100 = 2 THEN 'unscreenable' ELSE 'clear' END AS st,
		CASE WHEN i % 10 = 0 THEN 'job-' || (i % 500) END AS bj
		FROM generate_series($4::bigint, $5::bigint) AS i) g) s`

// checkAttached fails unless every index of audit_records has exactly one
// index of part attached to it, part has no other index (ATTACH adopted
// the loaded ones rather than building its own), and every partitioned
// index is valid.
func checkAttached(t *testing.T, pool *pgxpool.Pool, part string) {
	t.Helper()
	ctx := context.Background()
	var parent string
	if err := pool.QueryRow(ctx, "SELECT inhparent::regclass::text FROM pg_inherits WHERE inhrelid = $1::regclass", part).Scan(&parent); err != nil || parent != "audit_records" {
		t.Fatalf("%s is not a partition of audit_records: parent %q, %v", part, parent, err)
	}
	rows, err := pool.Query(ctx, `
		SELECT p.relname, pi.indisvalid, coalesce(string_agg(ch.relname, ','), '')
		FROM pg_index pi
		JOIN pg_class p ON p.oid = pi.indexrelid
		LEFT JOIN (SELECT h.inhparent, c.relname FROM pg_inherits h
			JOIN pg_index ci ON ci.indexrelid = h.inhrelid
			JOIN pg_class c ON c.oid = h.inhrelid
			WHERE ci.indrelid = $1::regclass) ch ON ch.inhparent = p.oid
		WHERE pi.indrelid = 'audit_records'::regclass
		GROUP BY p.relname, pi.indisvalid ORDER BY 1`, part)
	if err != nil {
		t.Fatal(err)
	}
	attached := map[string]bool{}
	var pairs []string
	for rows.Next() {
		var p, c string
		var valid bool
		if err := rows.Scan(&p, &valid, &c); err != nil {
			t.Fatal(err)
		}
		if !valid || c == "" || strings.Contains(c, ",") {
			t.Errorf("partitioned index %s: valid %v, attached indexes of %s %q; want valid with one", p, valid, part, c)
		}
		attached[c] = true
		pairs = append(pairs, p+" ← "+strings.TrimPrefix(c, part+"_"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var own []string
	rows, err = pool.Query(ctx, "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND tablename = $1 ORDER BY 1", part)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		own = append(own, name)
		if !attached[name] {
			t.Errorf("%s's index %s is attached to no index of audit_records", part, name)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(own) != len(pairs) || len(own) != 7 {
		t.Errorf("%s has %d indexes %v, audit_records %d: want the 7 loaded ones, each adopted", part, len(own), own, len(pairs))
	}
	t.Logf("indexes attached (pg_inherits): %s", strings.Join(pairs, ", "))
}

// assertPlanUsesOneOf checks that the plan of sql does not read the big
// partition whole (Seq Scan) and uses one of its indexes whose names end
// in indexes.
func assertPlanUsesOneOf(t *testing.T, pool *pgxpool.Pool, name string, indexes []string, sql string, args ...any) {
	t.Helper()
	var plan []byte
	if err := pool.QueryRow(context.Background(), "EXPLAIN (FORMAT JSON) "+sql, args...).Scan(&plan); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var doc []struct{ Plan node }
	if err := json.Unmarshal(plan, &doc); err != nil {
		t.Fatal(err)
	}
	const big = "audit_records_2026_11"
	seq, used := false, false
	var walk func(n node)
	walk = func(n node) {
		seq = seq || n.NodeType == "Seq Scan" && n.Relation == big
		for _, ix := range indexes {
			used = used || n.Index == big+ix
		}
		for _, c := range n.Plans {
			walk(c)
		}
	}
	walk(doc[0].Plan)
	if seq || !used {
		t.Errorf("%s: the plan reads the whole partition or uses none of %s%v:\n%s\n%s", name, big, indexes, sql, plan)
	}
}

func relSize(t *testing.T, pool *pgxpool.Pool, fn, rel string) int64 {
	t.Helper()
	var n int64
	if err := pool.QueryRow(context.Background(), "SELECT "+fn+"($1::regclass)", rel).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func pretty(b int64) string {
	if b >= 10<<30 {
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	}
	return fmt.Sprintf("%d MiB", b>>20)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }
