package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cslscreen/screener/audit"
	"github.com/cslscreen/screener/audit/audittest"
	"github.com/cslscreen/screener/internal/pgtest"
	"github.com/jackc/pgx/v5/pgxpool"
)

// testDB starts PostgreSQL, creates and migrates a database, and returns
// a pool on it as the superuser.
func testDB(t testing.TB) (*pgtest.Server, *pgxpool.Pool, string) {
	t.Helper()
	s := pgtest.Start(t)
	dsn := s.CreateDatabase(t)
	pool := open(t, dsn)
	if err := Migrate(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
	return s, pool, dsn
}

func open(t testing.TB, dsn string) *pgxpool.Pool {
	t.Helper()
	pool, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func countRows(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func TestAuditLog(t *testing.T) {
	_, pool, _ := testDB(t)
	audittest.Run(t, NewAuditLog(pool, AuditConfig{}), audittest.Options{})
}

func TestAuditLogKeepsNULAndMicroseconds(t *testing.T) {
	_, pool, _ := testDB(t)
	ctx := context.Background()
	l := NewAuditLog(pool, AuditConfig{})
	r := audittest.Rec(0, func(r *audit.Record) {
		r.Time = r.Time.Add(1234567 * time.Nanosecond)
		r.Query.Name = "bad\x00name"
		r.KeyID = "k\x00"
	})
	if err := l.Write(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, err := l.Get(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Query.Name != "bad\uFFFDname" || !got.Time.Equal(r.Time.Truncate(time.Microsecond)) {
		t.Fatalf("read back name %q time %v", got.Query.Name, got.Time)
	}
	// the six characters \u0000 are text, not a NUL; bytes that are not
	// UTF-8 are kept as U+FFFD in the JSON and in the text columns alike
	r2 := audittest.Rec(1, func(r *audit.Record) {
		r.Query.Name = `lit\u0000eral \\u0000` + " bad\xffbyte"
		r.KeyID = "k\xfe"
	})
	if err := l.Write(ctx, r2); err != nil {
		t.Fatal(err)
	}
	if got, err = l.Get(ctx, r2.ID); err != nil {
		t.Fatal(err)
	}
	if want := `lit\u0000eral \\u0000` + " bad\uFFFDbyte"; got.Query.Name != want || got.KeyID != "k\uFFFD" {
		t.Fatalf("read back name %q key %q, want %q and %q", got.Query.Name, got.KeyID, want, "k\uFFFD")
	}
	var name, key string
	if err := pool.QueryRow(ctx, "SELECT name, key_id FROM audit_records WHERE id = $1", mustID(r2.ID)).Scan(&name, &key); err != nil {
		t.Fatal(err)
	}
	if name != got.Query.Name || key != got.KeyID {
		t.Fatalf("columns name %q key_id %q differ from the record's %q %q", name, key, got.Query.Name, got.KeyID)
	}
	if _, err := l.Get(ctx, "not-a-uuid"); err == nil || !strings.Contains(err.Error(), "not a UUID") {
		t.Fatalf("Get of a bad id: %v", err)
	}
}

func TestMigrateUpDownAndConcurrently(t *testing.T) {
	s := pgtest.Start(t)
	ctx := context.Background()
	pool := open(t, s.CreateDatabase(t))
	ms, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 { // replicas starting together
		wg.Go(func() { errs <- Migrate(ctx, pool) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if v, _ := SchemaVersion(ctx, pool); v != len(ms) {
		t.Fatalf("version %d after Migrate, want %d", v, len(ms))
	}
	tables := func() []string {
		rows, err := pool.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var n string
			rows.Scan(&n)
			out = append(out, n)
		}
		return out
	}
	if !slices.Contains(tables(), "audit_records") {
		t.Fatalf("tables after up: %v", tables())
	}
	l := NewAuditLog(pool, AuditConfig{})
	if err := l.Write(ctx, audittest.Rec(0)); err != nil {
		t.Fatal(err)
	}
	for v := len(ms) - 1; v >= 0; v-- { // one step down at a time
		if err := MigrateTo(ctx, pool, v); err != nil {
			t.Fatal(err)
		}
		if got, _ := SchemaVersion(ctx, pool); got != v {
			t.Fatalf("version %d after MigrateTo(%d)", got, v)
		}
	}
	if got := tables(); fmt.Sprint(got) != "[schema_migrations]" {
		t.Fatalf("tables after down to 0: %v", got)
	}
	if err := Migrate(ctx, pool); err != nil {
		t.Fatalf("up again after down: %v", err)
	}
	if err := MigrateTo(ctx, pool, len(ms)+1); err == nil {
		t.Fatal("MigrateTo a version that does not exist: no error")
	}
}

func TestReadMigrationsRejectsBadSets(t *testing.T) {
	for name, files := range map[string][]string{
		"gap":          {"0001_a.up.sql", "0001_a.down.sql", "0003_c.up.sql", "0003_c.down.sql"},
		"missing down": {"0001_a.up.sql"},
		"bad name":     {"0001_a.up.sql", "0001_a.down.sql", "2_b.sql"},
	} {
		fsys := mapFS(files)
		if _, err := readMigrations(fsys, "m"); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestPartitionsAndRetention(t *testing.T) {
	_, pool, _ := testDB(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	l := NewAuditLog(pool, AuditConfig{Retention: 90 * 24 * time.Hour})
	l.now = func() time.Time { return now }
	perMonth := map[time.Month]int{}
	for m := time.June; m <= time.December; m++ {
		for day := 1; day <= 28; day += 9 {
			at := time.Date(2026, m, day, 12, 0, 0, 0, time.UTC)
			r := audittest.Rec(0, func(r *audit.Record) { r.Time, r.ID = at, audit.NewID(at) })
			if err := l.Write(ctx, r); err != nil {
				t.Fatal(err)
			}
			perMonth[m]++
		}
	}
	// the edges of a month land in the right partition (UTC)
	for _, at := range []time.Time{time.Date(2026, 9, 30, 23, 59, 59, 999999000, time.UTC), time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)} {
		if err := l.Write(ctx, audittest.Rec(0, func(r *audit.Record) { r.Time, r.ID = at, audit.NewID(at) })); err != nil {
			t.Fatal(err)
		}
		perMonth[at.Month()]++
	}
	if err := l.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	parts, err := l.Partitions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range parts {
		names = append(names, p.Name)
	}
	// cutoff 2026-09-06: June to August are wholly older; September is
	// kept whole although it starts before the cutoff
	want := "[audit_records_2026_09 audit_records_2026_10 audit_records_2026_11 audit_records_2026_12 audit_records_2027_01 audit_records_2027_02]"
	if fmt.Sprint(names) != want {
		t.Fatalf("partitions after Maintain:\n%v\nwant\n%v", names, want)
	}
	for m := time.June; m <= time.December; m++ {
		n := countRows(t, pool, `SELECT count(*) FROM audit_records WHERE time >= $1 AND time < $2`,
			time.Date(2026, m, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, m+1, 1, 0, 0, 0, 0, time.UTC))
		want := perMonth[m]
		if m < time.September {
			want = 0
		}
		if n != want {
			t.Errorf("%s: %d records, want %d", m, n, want)
		}
	}
	// a write into a month that was dropped or never made creates it
	old := time.Date(2026, 7, 15, 0, 0, 0, 0, time.UTC)
	if err := l.Write(ctx, audittest.Rec(0, func(r *audit.Record) { r.Time, r.ID = old, audit.NewID(old) })); err != nil {
		t.Fatal(err)
	}
	if (AuditConfig{}).Retention != 0 {
		t.Fatal("unreachable")
	}
	keep := NewAuditLog(pool, AuditConfig{})
	if dropped, err := keep.DropExpired(ctx); err != nil || dropped != nil {
		t.Fatalf("Retention 0 dropped %v, %v", dropped, err)
	}
}

// TestTwoWritersNoDuplicates: two replicas, each with its own pool and
// queue, write at once; then a batch is written twice, as a retry after a
// lost COMMIT answer would.
func TestTwoWritersNoDuplicates(t *testing.T) {
	_, pool, dsn := testDB(t)
	ctx := context.Background()
	const each = 3000
	var wg sync.WaitGroup
	for w := range 2 {
		l := NewAuditLog(open(t, dsn), AuditConfig{})
		q := audit.NewQueue(l, audit.QueueConfig{BatchSize: 200})
		wg.Go(func() {
			for i := range each {
				if err := q.Write(ctx, audittest.Rec(w*each+i)); err != nil {
					t.Error(err)
				}
			}
			if err := q.Close(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n, d := countRows(t, pool, "SELECT count(*) FROM audit_records"), countRows(t, pool, "SELECT count(DISTINCT id) FROM audit_records"); n != 2*each || d != 2*each {
		t.Fatalf("%d rows, %d distinct ids; want %d of each", n, d, 2*each)
	}
	l := NewAuditLog(pool, AuditConfig{})
	batch := []audit.Record{audittest.Rec(1), audittest.Rec(2)}
	for range 2 {
		if err := l.WriteBatch(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	if n := countRows(t, pool, "SELECT count(*) FROM audit_records WHERE id = ANY($1)", [][16]byte{mustID(batch[0].ID), mustID(batch[1].ID)}); n != 2 {
		t.Fatalf("a batch written twice is kept as %d rows, want 2", n)
	}
	// a retried batch that also holds new records keeps those
	batch = append(batch, audittest.Rec(3*each))
	if err := l.WriteBatch(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, pool, "SELECT count(*) FROM audit_records"); n != 2*each+3 {
		t.Fatalf("%d rows after a batch of two kept records and a new one, want %d", n, 2*each+3)
	}
	if _, err := l.Get(ctx, batch[2].ID); err != nil {
		t.Fatalf("the new record of a retried batch: %v", err)
	}
}

func mustID(s string) [16]byte {
	b, err := audit.ParseID(s)
	if err != nil {
		panic(err)
	}
	return b
}

// TestAckDurability: every record whose QueueAck Write returned nil is in
// the table, even when the writer's connections are killed mid-stream and
// its pool closed without flushing the queue.
func TestAckDurability(t *testing.T) {
	s, pool, dsn := testDB(t)
	ctx := context.Background()
	victim, err := Open(ctx, dsn+"&application_name=victim")
	if err != nil {
		t.Fatal(err)
	}
	q := audit.NewQueue(NewAuditLog(victim, AuditConfig{}), audit.QueueConfig{Mode: audit.QueueAck, RetryMin: time.Millisecond, RetryMax: 10 * time.Millisecond})
	var (
		mu    sync.Mutex
		acked []string
		wg    sync.WaitGroup
	)
	stop := make(chan struct{})
	for w := range 16 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				r := audittest.Rec(w*100000 + i)
				wctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
				err := q.Write(wctx, r)
				cancel()
				if err == nil {
					mu.Lock()
					acked = append(acked, r.ID)
					mu.Unlock()
				}
			}
		})
	}
	n := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	waitFor(t, "500 acknowledged records", func() bool { return n() >= 500 })
	// kill the writer's connections while writes are in flight
	if err := s.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'victim'"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "500 more acknowledged records", func() bool { return n() >= 1000 })
	victim.Close() // abruptly: the queue is not flushed
	close(stop)
	wg.Wait()
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	q.Close(cctx)
	mu.Lock()
	defer mu.Unlock()
	ids := make([][16]byte, len(acked))
	for i, id := range acked {
		ids[i] = mustID(id)
	}
	if got := countRows(t, pool, "SELECT count(*) FROM audit_records WHERE id = ANY($1)", ids); got != len(acked) {
		t.Fatalf("%d of %d acknowledged records are in the table", got, len(acked))
	}
	t.Logf("%d acknowledged records, all kept; queue %+v", len(acked), q.Stats())
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestQueriesUseIndexes: on 200,000 records in one month, no query of the
// audit endpoint reads the whole partition.
func TestQueriesUseIndexes(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 200,000 rows")
	}
	_, pool, _ := testDB(t)
	ctx := context.Background()
	l := NewAuditLog(pool, AuditConfig{})
	nov := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	if err := l.EnsurePartitions(ctx, nov, nov); err != nil {
		t.Fatal(err)
	}
	_, err := pool.Exec(ctx, `
		INSERT INTO audit_records (id, time, key_id, channel, name, list_version, status, batch_job, record)
		SELECT gen_random_uuid(), $1::timestamptz + g * interval '12 seconds', 'key-' || (g % 100), 'api',
		       'Company ' || g, 'v' || (g % 30),
		       CASE WHEN g % 100 = 0 THEN 'unscreenable' WHEN g % 10 = 0 THEN 'match' ELSE 'clear' END,
		       CASE WHEN g % 50 = 0 THEN 'job-' || (g % 1000) END, '{}'
		FROM generate_series(1, 200000) g`, nov)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "ANALYZE audit_records"); err != nil {
		t.Fatal(err)
	}
	after := &audit.Cursor{Time: nov.Add(10 * 24 * time.Hour), ID: audit.NewID(nov)}
	cases := []struct {
		name  string
		f     audit.Filter
		index string // the index the plan must use (suffix of its name)
	}{
		{"time", audit.Filter{From: nov.Add(24 * time.Hour), To: nov.Add(25 * time.Hour)}, "_pkey"},
		{"key", audit.Filter{KeyID: "key-7"}, "_key_id_time_id_idx"},
		{"name", audit.Filter{NameContains: "huawei"}, "_name_idx"},
		{"list version", audit.Filter{ListVersion: "v3"}, "_list_version_time_id_idx"},
		{"status", audit.Filter{Status: audit.StatusUnscreenable}, "_status_time_id_idx"},
		{"batch job", audit.Filter{BatchJob: "job-100"}, "_batch_job_time_id_idx"},
		{"everything", audit.Filter{}, "_pkey"},
		{"key in a day", audit.Filter{KeyID: "key-7", From: nov.Add(24 * time.Hour), To: nov.Add(48 * time.Hour)}, "_key_id_time_id_idx"},
	}
	for _, tc := range cases {
		for _, c := range []*audit.Cursor{nil, after} {
			sql, args := buildQuery(tc.f, c, 101)
			assertPlan(t, pool, fmt.Sprintf("%s (cursor %v)", tc.name, c != nil), tc.index, sql, args...)
		}
	}
	assertPlan(t, pool, "get", "_id_idx", "SELECT record FROM audit_records WHERE id = $1", mustID(audit.NewID(nov)))
}

// assertPlan checks that the plan of sql does not read the big partition
// whole (Seq Scan) and does use its index whose name ends in index.
func assertPlan(t *testing.T, pool *pgxpool.Pool, name, index, sql string, args ...any) {
	t.Helper()
	assertPlanUsesOneOf(t, pool, name, []string{index}, sql, args...)
}

type node struct {
	NodeType string `json:"Node Type"`
	Relation string `json:"Relation Name"`
	Index    string `json:"Index Name"`
	Plans    []node `json:"Plans"`
}

func TestDecodeTupleRefusesBadBytes(t *testing.T) {
	l := &AuditLog{}
	r := audittest.Rec(0)
	enc, err := l.Encode(&r)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := decodeTuple(enc.Data)
	if err != nil {
		t.Fatal(err)
	}
	if vals[0] != mustID(r.ID) || !vals[1].(time.Time).Equal(r.Time.Truncate(time.Microsecond)) || vals[8] != nil {
		t.Fatalf("decoded %v", vals[:9])
	}
	for n := range len(enc.Data) { // every cut is refused, none panics
		if _, err := decodeTuple(enc.Data[:n]); err == nil {
			t.Fatalf("a tuple cut to %d of %d bytes was read", n, len(enc.Data))
		}
	}
}

// TestWriteEncodedIsolatesRefusedRecords: a record PostgreSQL refuses (here
// a tuple whose JSON was spoiled) is named in an audit.RejectedError; the
// other records of its batch are kept.
func TestWriteEncodedIsolatesRefusedRecords(t *testing.T) {
	_, pool, _ := testDB(t)
	ctx := context.Background()
	l := NewAuditLog(pool, AuditConfig{})
	var encs []audit.Encoded
	for i := range 3 {
		r := audittest.Rec(i)
		e, err := l.Encode(&r)
		if err != nil {
			t.Fatal(err)
		}
		encs = append(encs, e)
	}
	bad := &encs[1]
	bad.Data = bytes.Clone(bad.Data)
	bad.Data[len(bad.Data)-1] = 'x' // the JSON's closing brace
	err := l.WriteEncoded(ctx, encs)
	var rej *audit.RejectedError
	if !errors.As(err, &rej) || len(rej.IDs) != 1 || rej.IDs[0] != bad.ID || !strings.Contains(err.Error(), "json") {
		t.Fatalf("WriteEncoded with a spoiled record: %v, want a RejectedError naming %s", err, bad.ID)
	}
	for i, e := range encs {
		_, err := l.Get(ctx, e.ID)
		if kept := err == nil; kept != (i != 1) {
			t.Errorf("record %d: kept %v (%v)", i, kept, err)
		}
	}
	// written again (a retry): the kept ones are skipped, the spoiled one
	// refused again
	if err := l.WriteEncoded(ctx, encs); !errors.As(err, &rej) || len(rej.IDs) != 1 {
		t.Fatalf("written again: %v", err)
	}
	if n := countRows(t, pool, "SELECT count(*) FROM audit_records"); n != 2 {
		t.Fatalf("%d rows, want 2", n)
	}
}
