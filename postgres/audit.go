package postgres

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

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

// Records are written with COPY in PostgreSQL's binary format, encoded
// here rather than by pgx: Encode runs on the goroutine of the screening
// being recorded (audit.Queue calls it in Write), and a record costs there
// one allocation and well under two microseconds, where boxing ten values
// for pgx's encoder and json.Marshal cost four times as much on the writer,
// whose batches every answer waits for.

// copyColumns are the columns each encoded tuple holds, in order.
const copyColumns = "id, time, client_request_id, key_id, channel, name, list_version, status, batch_job, record"

const copySQL = "COPY audit_records (" + copyColumns + ") FROM STDIN (FORMAT binary)"

// copyHeader and copyTrailer frame the tuples of a binary COPY: the
// signature, no flags, no header extension; a field count of -1.
var (
	copyHeader  = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	copyTrailer = []byte{0xff, 0xff}
)

// pgEpoch is where PostgreSQL's binary timestamps count from, in
// microseconds.
var pgEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Encode implements audit.EncodedWriter: r as one tuple of a binary COPY
// into audit_records. Its time is truncated to the microsecond, as
// PostgreSQL keeps it.
func (a *AuditLog) Encode(r *audit.Record) (audit.Encoded, error) {
	id, err := r.ValidID()
	if err != nil {
		return audit.Encoded{}, err
	}
	t := r.Time.UTC().Truncate(time.Microsecond)
	b := make([]byte, 0, 1024)
	b = binary.BigEndian.AppendUint16(b, 10) // fields
	b = binary.BigEndian.AppendUint32(b, 16)
	b = append(b, id[:]...)
	b = binary.BigEndian.AppendUint32(b, 8)
	b = binary.BigEndian.AppendUint64(b, uint64(t.Sub(pgEpoch).Microseconds()))
	for _, v := range [...]string{r.ClientRequestID, r.KeyID, r.Channel, r.Name(), r.ListVersion, r.Status} {
		b = appendText(b, v)
	}
	if j := r.BatchJobID(); j != "" {
		b = appendText(b, j)
	} else {
		b = binary.BigEndian.AppendUint32(b, 0xffffffff) // NULL
	}
	// jsonb: a length, the format version 1, then the JSON text
	at := len(b)
	b = append(b, 0, 0, 0, 0, 1)
	rt := *r
	rt.Time = t
	b = rt.AppendJSON(b)
	if bytes.Contains(b[at+5:], jsonNUL) { // rare: fix up only then
		b = append(b[:at+5], noJSONNUL(b[at+5:])...)
	}
	binary.BigEndian.PutUint32(b[at:], uint32(len(b)-at-4))
	return audit.Encoded{ID: r.ID, Time: t, Data: b}, nil
}

// appendText appends s as a text field. PostgreSQL's text holds neither
// U+0000 nor bytes that are not UTF-8 (a batch holding one would fail for
// ever), so they are kept as U+FFFD, as in the JSON of the record.
func appendText(b []byte, s string) []byte {
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

var jsonNUL = []byte(`\u0000`)

// noJSONNUL returns JSON text b with each escaped U+0000 written as U+FFFD
// (jsonb cannot hold it). It reads the escapes, so a name holding the six
// characters \u0000 (written \\u0000) is kept as it is.
func noJSONNUL(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '\\' || i+1 == len(b) {
			out = append(out, c)
			continue
		}
		if b[i+1] == 'u' && i+6 <= len(b) && string(b[i+2:i+6]) == "0000" {
			out = append(out, `\ufffd`...)
			i += 5
			continue
		}
		out = append(out, c, b[i+1]) // any other escape, whole
		i++
	}
	return out
}

// Write implements audit.Log.
func (a *AuditLog) Write(ctx context.Context, r audit.Record) error {
	return a.WriteBatch(ctx, []audit.Record{r})
}

// WriteBatch implements audit.BatchWriter: the records encoded, then
// WriteEncoded.
func (a *AuditLog) WriteBatch(ctx context.Context, rs []audit.Record) error {
	encs := make([]audit.Encoded, len(rs))
	for i := range rs {
		e, err := a.Encode(&rs[i])
		if err != nil {
			return err
		}
		encs[i] = e
	}
	return a.WriteEncoded(ctx, encs)
}

// WriteEncoded implements audit.EncodedWriter: one COPY, one transaction.
// If a record is already kept (a batch written again after an unknown
// outcome) the batch is written again with INSERT … ON CONFLICT DO NOTHING
// instead.
func (a *AuditLog) WriteEncoded(ctx context.Context, rs []audit.Encoded) error {
	if len(rs) == 0 {
		return nil
	}
	var last time.Time
	for i := range rs {
		if m := monthOf(rs[i].Time); !m.Equal(last) {
			if err := a.ensureMonth(ctx, m); err != nil {
				return err
			}
			last = m
		}
	}
	conn, err := a.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("writing %d audit records: %w", len(rs), err)
	}
	defer conn.Release()
	pc := conn.Conn().PgConn()
	_, err = pc.CopyFrom(ctx, newTuples(rs), copySQL)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" { // unique_violation
		err = insertIgnoringDuplicates(ctx, conn, rs)
	}
	if refused(err) {
		return a.isolate(ctx, conn, rs, err)
	}
	if errors.As(err, &pe) && pe.Code == "23514" { // no partition: dropped under us
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

// refused says whether err is PostgreSQL refusing the data itself (a
// data exception, a value too large, a NULL where none may be): writing
// the same records again would fail again.
func refused(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	return strings.HasPrefix(pe.Code, "22") || strings.HasPrefix(pe.Code, "54") || pe.Code == "23502"
}

// isolate writes the records of a batch PostgreSQL refused one at a time,
// so that the ones it accepts are kept, and returns an audit.RejectedError
// naming the ones it refuses. Any other error is returned as it is: the
// batch is then written again, and the records kept meanwhile are skipped
// as duplicates.
func (a *AuditLog) isolate(ctx context.Context, conn *pgxpool.Conn, rs []audit.Encoded, cause error) error {
	rej := &audit.RejectedError{}
	for i := range rs {
		one := rs[i : i+1]
		_, err := conn.Conn().PgConn().CopyFrom(ctx, newTuples(one), copySQL)
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23505" {
			err = insertIgnoringDuplicates(ctx, conn, one)
		}
		switch {
		case err == nil:
		case refused(err):
			if rej.Err == nil {
				rej.Err = err
			}
			rej.IDs = append(rej.IDs, rs[i].ID)
		default:
			return fmt.Errorf("writing %d audit records one by one after %v: %w", len(rs), cause, err)
		}
	}
	if len(rej.IDs) == 0 { // refused together, accepted apart
		return nil
	}
	return rej
}

// insertIgnoringDuplicates writes rs in one transaction, skipping the
// records already kept. It is the rare path (a retry after a lost COMMIT
// answer), so it reads the values back out of the tuples rather than keep
// them all beside the bytes.
func insertIgnoringDuplicates(ctx context.Context, conn *pgxpool.Conn, rs []audit.Encoded) error {
	b := &pgx.Batch{}
	for i := range rs {
		vals, err := decodeTuple(rs[i].Data)
		if err != nil {
			return fmt.Errorf("audit record %s: %w", rs[i].ID, err)
		}
		b.Queue("INSERT INTO audit_records ("+copyColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING", vals...)
	}
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error { return tx.SendBatch(ctx, b).Close() })
}

// decodeTuple reads back the values of a tuple Encode made.
func decodeTuple(b []byte) ([]any, error) {
	if len(b) < 2 || binary.BigEndian.Uint16(b) != 10 {
		return nil, errors.New("not an encoded audit record")
	}
	b = b[2:]
	vals := make([]any, 10)
	for i := range vals {
		if len(b) < 4 {
			return nil, errors.New("encoded audit record cut short")
		}
		n := int32(binary.BigEndian.Uint32(b))
		b = b[4:]
		if n < 0 {
			continue // NULL
		}
		if int(n) > len(b) {
			return nil, errors.New("encoded audit record cut short")
		}
		f := b[:n]
		b = b[n:]
		if want := [10]int{16, 8, 9: 1}[i]; len(f) < want || (i < 2 && len(f) != want) {
			return nil, fmt.Errorf("encoded audit record: field %d has %d bytes", i+1, len(f))
		}
		switch i {
		case 0:
			vals[i] = [16]byte(f)
		case 1:
			vals[i] = pgEpoch.Add(time.Duration(int64(binary.BigEndian.Uint64(f))) * time.Microsecond)
		case 9:
			vals[i] = f[1:] // after the jsonb format version
		default:
			vals[i] = string(f)
		}
	}
	return vals, nil
}

// tuples reads a binary COPY of encoded records: the header, each
// record's tuple, the trailer, without joining them first.
type tuples struct {
	parts [][]byte
}

func newTuples(rs []audit.Encoded) *tuples {
	parts := make([][]byte, 0, len(rs)+2)
	parts = append(parts, copyHeader)
	for i := range rs {
		parts = append(parts, rs[i].Data)
	}
	return &tuples{parts: append(parts, copyTrailer)}
}

func (t *tuples) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && len(t.parts) > 0 {
		c := copy(p[n:], t.parts[0])
		n += c
		if t.parts[0] = t.parts[0][c:]; len(t.parts[0]) == 0 {
			t.parts = t.parts[1:]
		}
	}
	if len(t.parts) == 0 {
		return n, io.EOF
	}
	return n, nil
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
