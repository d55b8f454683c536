package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cslscreen/screener/audit"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// AuditConfig configures an AuditLog.
type AuditConfig struct {
	// Retention is how long records are kept (0: for ever). DropExpired
	// drops a month's partition once all of it is older than Retention,
	// so records are kept up to a month longer than Retention.
	Retention time.Duration
	// MonthsAhead is how many months after the current one Maintain
	// creates partitions for (default 2).
	MonthsAhead int
}

// AuditLog is the audit trail in PostgreSQL: the table audit_records,
// partitioned by month (UTC) of the record's time. It implements audit.Log
// and audit.BatchWriter.
//
// Durability: a nil error from Write or WriteBatch means the records are
// committed. Writing a record whose id is already kept is not an error and
// does not keep it twice, so a batch whose outcome was unknown (a
// connection lost during COMMIT) can be written again. Times are kept to
// the microsecond: records are truncated to it before they are written.
//
// Indexes: every filter of audit.Filter but Channel has one, and each
// ends in (time, id) so a page is one range scan. NameContains uses a
// trigram index, which needs at least three characters: a shorter
// substring reads every row of the months in range, so the HTTP layer
// should ask for three or more, or a time range.
//
// Concurrency: safe for concurrent use, by any number of replicas.
// Queries run on a snapshot; Export holds one connection of the pool for
// as long as fn takes.
type AuditLog struct {
	pool *pgxpool.Pool
	cfg  AuditConfig
	now  func() time.Time

	mu     sync.Mutex
	months map[time.Time]bool // partitions known to exist
}

// NewAuditLog returns the audit log kept in pool's database, which must
// be migrated (Migrate).
func NewAuditLog(pool *pgxpool.Pool, cfg AuditConfig) *AuditLog {
	if cfg.MonthsAhead <= 0 {
		cfg.MonthsAhead = 2
	}
	return &AuditLog{pool: pool, cfg: cfg, now: time.Now, months: map[time.Time]bool{}}
}

func monthOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// EnsurePartitions creates the monthly partitions from the month of from
// to the month of to, both included, that do not exist yet.
func (a *AuditLog) EnsurePartitions(ctx context.Context, from, to time.Time) error {
	for m := monthOf(from); !m.After(monthOf(to)); m = m.AddDate(0, 1, 0) {
		if err := a.ensureMonth(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

func (a *AuditLog) ensureMonth(ctx context.Context, m time.Time) error {
	a.mu.Lock()
	known := a.months[m]
	a.mu.Unlock()
	if known {
		return nil
	}
	if _, err := a.pool.Exec(ctx, "SELECT audit_ensure_partition($1)", m); err != nil {
		return fmt.Errorf("creating the audit partition of %s: %w", m.Format("2006-01"), err)
	}
	a.mu.Lock()
	a.months[m] = true
	a.mu.Unlock()
	return nil
}

// Maintain creates the partitions of the current month and the next
// MonthsAhead, and drops expired ones if Retention is set. Run it at start
// and then daily; writes create a missing partition themselves, so a late
// Maintain costs only a slower first write of a month.
func (a *AuditLog) Maintain(ctx context.Context) error {
	now := a.now()
	if err := a.EnsurePartitions(ctx, now, now.AddDate(0, a.cfg.MonthsAhead, 0)); err != nil {
		return err
	}
	if a.cfg.Retention > 0 {
		if _, err := a.DropExpired(ctx); err != nil {
			return err
		}
	}
	return nil
}

// DropExpired drops every monthly partition whose records are all older
// than Retention, and returns their names. It never deletes rows from a
// partition it keeps. It needs the owner's role; with Retention 0 it does
// nothing.
func (a *AuditLog) DropExpired(ctx context.Context) ([]string, error) {
	if a.cfg.Retention <= 0 {
		return nil, nil
	}
	cutoff := a.now().Add(-a.cfg.Retention)
	parts, err := a.Partitions(ctx)
	if err != nil {
		return nil, err
	}
	var dropped []string
	for _, p := range parts {
		if p.End.After(cutoff) {
			continue
		}
		err := pgx.BeginFunc(ctx, a.pool, func(tx pgx.Tx) error {
			// dropping a partition locks the parent: do not queue behind
			// a long export and hold up every write meanwhile
			if _, err := tx.Exec(ctx, "SET LOCAL lock_timeout = '5s'"); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "DROP TABLE "+pgx.Identifier{p.Name}.Sanitize())
			return err
		})
		if err != nil {
			return dropped, fmt.Errorf("dropping the expired audit partition %s: %w", p.Name, err)
		}
		a.mu.Lock()
		delete(a.months, p.Start)
		a.mu.Unlock()
		dropped = append(dropped, p.Name)
	}
	return dropped, nil
}

// Partition is one month of the audit table: records with
// Start ≤ time < End.
type Partition struct {
	Name       string
	Start, End time.Time
}

// Partitions lists the monthly partitions of the audit table, oldest first.
func (a *AuditLog) Partitions(ctx context.Context) ([]Partition, error) {
	rows, err := a.pool.Query(ctx, `
		SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'audit_records'::regclass ORDER BY c.relname`)
	if err != nil {
		return nil, fmt.Errorf("listing the audit partitions: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("listing the audit partitions: %w", err)
	}
	var out []Partition
	for _, n := range names {
		start, err := time.Parse("audit_records_2006_01", n)
		if err != nil {
			continue // not one of ours: leave it alone
		}
		out = append(out, Partition{Name: n, Start: start, End: start.AddDate(0, 1, 0)})
	}
	return out, nil
}

// row is a record as COPY writes it.
type row struct {
	id    [16]byte
	month time.Time
	vals  []any
}

func toRow(r audit.Record) (row, error) {
	id, err := audit.ParseID(r.ID)
	if err != nil {
		return row{}, err
	}
	if err := r.Validate(); err != nil {
		return row{}, err
	}
	r.Time = r.Time.UTC().Truncate(time.Microsecond)
	b, err := json.Marshal(r)
	if err != nil {
		return row{}, fmt.Errorf("audit record %s: %w", r.ID, err)
	}
	// PostgreSQL text and jsonb cannot hold U+0000; a NUL in a name is
	// kept as U+FFFD rather than failing the whole batch for ever.
	if bytes.Contains(b, jsonNUL) { // rare: copy only then
		b = bytes.ReplaceAll(b, jsonNUL, []byte(`\ufffd`))
	}
	var batchJob any
	if j := r.BatchJobID(); j != "" {
		batchJob = noNUL(j)
	}
	return row{id: id, month: monthOf(r.Time), vals: []any{
		id, r.Time, noNUL(r.ClientRequestID), noNUL(r.KeyID), r.Channel, noNUL(r.Name()),
		noNUL(r.ListVersion), r.Status, batchJob, b,
	}}, nil
}

var jsonNUL = []byte(`\u0000`)

func noNUL(s string) string { return strings.ReplaceAll(s, "\x00", "\uFFFD") }

var auditColumns = []string{"id", "time", "client_request_id", "key_id", "channel", "name",
	"list_version", "status", "batch_job", "record"}

// Write implements audit.Log.
func (a *AuditLog) Write(ctx context.Context, r audit.Record) error {
	return a.WriteBatch(ctx, []audit.Record{r})
}

// WriteBatch implements audit.BatchWriter: one COPY in one transaction.
// If a record is already kept (a batch written again after an unknown
// outcome) the batch is written again with INSERT … ON CONFLICT DO
// NOTHING instead.
func (a *AuditLog) WriteBatch(ctx context.Context, rs []audit.Record) error {
	if len(rs) == 0 {
		return nil
	}
	rows := make([][]any, len(rs))
	for i, r := range rs {
		rw, err := toRow(r)
		if err != nil {
			return err
		}
		if err := a.ensureMonth(ctx, rw.month); err != nil {
			return err
		}
		rows[i] = rw.vals
	}
	_, err := a.pool.CopyFrom(ctx, pgx.Identifier{"audit_records"}, auditColumns, pgx.CopyFromRows(rows))
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" { // unique_violation
		err = a.insertIgnoringDuplicates(ctx, rows)
	} else if errors.As(err, &pe) && pe.Code == "23514" { // no partition: dropped under us
		a.mu.Lock()
		clear(a.months)
		a.mu.Unlock()
		return fmt.Errorf("writing %d audit records: %w (partitions will be created again on retry)", len(rs), err)
	}
	if err != nil {
		return fmt.Errorf("writing %d audit records: %w", len(rs), err)
	}
	return nil
}

func (a *AuditLog) insertIgnoringDuplicates(ctx context.Context, rows [][]any) error {
	return pgx.BeginFunc(ctx, a.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, r := range rows {
			b.Queue(`INSERT INTO audit_records (`+strings.Join(auditColumns, ", ")+`)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`, r...)
		}
		return tx.SendBatch(ctx, b).Close()
	})
}

// buildQuery is the SQL of Query: one condition per filter, each served
// by an index, and keyset paging on (time, id).
func buildQuery(f audit.Filter, after *audit.Cursor, limit int) (string, []any) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if !f.From.IsZero() {
		add("time >= ?", f.From)
	}
	if !f.To.IsZero() {
		add("time < ?", f.To)
	}
	if f.KeyID != "" {
		add("key_id = ?", f.KeyID)
	}
	if f.NameContains != "" {
		add("name ILIKE ?", "%"+likeEscaper.Replace(f.NameContains)+"%")
	}
	if f.Channel != "" {
		add("channel = ?", f.Channel)
	}
	if f.ListVersion != "" {
		add("list_version = ?", f.ListVersion)
	}
	if f.Status != "" {
		add("status = ?", f.Status)
	}
	if f.BatchJob != "" {
		add("batch_job = ?", f.BatchJob)
	}
	if after != nil {
		id, _ := audit.ParseID(after.ID)
		args = append(args, after.Time, id)
		where = append(where, fmt.Sprintf("(time, id) > ($%d, $%d)", len(args)-1, len(args)))
	}
	sql := "SELECT time, id, record FROM audit_records"
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql += " ORDER BY time, id LIMIT " + strconv.Itoa(limit)
	return sql, args
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// Query implements audit.Log. Its cursors are audit.Cursor strings.
func (a *AuditLog) Query(ctx context.Context, f audit.Filter) (audit.Page, error) {
	if err := f.Validate(); err != nil {
		return audit.Page{}, err
	}
	var after *audit.Cursor
	if f.Cursor != "" {
		c, err := audit.ParseCursor(f.Cursor)
		if err != nil {
			return audit.Page{}, err
		}
		after = &c
	}
	limit := f.Limit
	if limit == 0 {
		limit = audit.DefaultLimit
	}
	sql, args := buildQuery(f, after, limit+1)
	rows, err := a.pool.Query(ctx, sql, args...)
	if err != nil {
		return audit.Page{}, fmt.Errorf("querying the audit log: %w", err)
	}
	var (
		p    audit.Page
		last audit.Cursor
	)
	err = scanRecords(rows, func(t time.Time, id [16]byte, r audit.Record) error {
		if len(p.Records) == limit {
			p.NextCursor = last.String()
			return errStop
		}
		p.Records = append(p.Records, r)
		last = audit.Cursor{Time: t, ID: audit.FormatID(id)}
		return nil
	})
	if err != nil {
		return audit.Page{}, fmt.Errorf("querying the audit log: %w", err)
	}
	return p, nil
}

var errStop = errors.New("stop")

// scanRecords calls fn for each row of (time, id, record); fn's errStop
// ends the scan without error.
func scanRecords(rows pgx.Rows, fn func(time.Time, [16]byte, audit.Record) error) error {
	defer rows.Close()
	var (
		t   time.Time
		id  [16]byte
		raw []byte
	)
	for rows.Next() {
		if err := rows.Scan(&t, &id, &raw); err != nil {
			return err
		}
		var r audit.Record
		if err := json.Unmarshal(raw, &r); err != nil {
			return fmt.Errorf("record %s: %w", audit.FormatID(id), err)
		}
		r.Time = r.Time.UTC()
		if err := fn(t.UTC(), id, r); err != nil {
			if err == errStop {
				return nil
			}
			return err
		}
	}
	return rows.Err()
}

// Get implements audit.Log.
func (a *AuditLog) Get(ctx context.Context, id string) (audit.Record, error) {
	b, err := audit.ParseID(id)
	if err != nil {
		return audit.Record{}, fmt.Errorf("%w: %v", audit.ErrNotFound, err)
	}
	var raw []byte
	err = a.pool.QueryRow(ctx, "SELECT record FROM audit_records WHERE id = $1", b).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return audit.Record{}, fmt.Errorf("audit record %q: %w", id, audit.ErrNotFound)
	}
	if err != nil {
		return audit.Record{}, fmt.Errorf("reading audit record %q: %w", id, err)
	}
	var r audit.Record
	if err := json.Unmarshal(raw, &r); err != nil {
		return audit.Record{}, fmt.Errorf("audit record %q: %w", id, err)
	}
	r.Time = r.Time.UTC()
	return r, nil
}

// Export implements audit.Log: one query whose rows are read as they
// arrive, so memory stays flat however many records there are.
func (a *AuditLog) Export(ctx context.Context, from, to time.Time, fn func(audit.Record) error) error {
	sql, args := buildQuery(audit.Filter{From: from, To: to}, nil, 0)
	sql = strings.TrimSuffix(sql, " LIMIT 0")
	rows, err := a.pool.Query(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("exporting the audit log: %w", err)
	}
	var fnErr error
	err = scanRecords(rows, func(_ time.Time, _ [16]byte, r audit.Record) error {
		if fnErr = fn(r); fnErr != nil {
			return fnErr
		}
		return nil
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("exporting the audit log: %w", err)
	}
	return nil
}
