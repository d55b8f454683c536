package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cslscreen/screener/monitor"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// MonitorStore is a monitor.Store in PostgreSQL (migration 0003), the
// system of record when DATABASE_URL is set.
type MonitorStore struct {
	pool *pgxpool.Pool
}

// NewMonitorStore returns a store on a migrated database.
func NewMonitorStore(pool *pgxpool.Pool) *MonitorStore { return &MonitorStore{pool: pool} }

var _ monitor.Store = (*MonitorStore)(nil)

// PutCounterparty implements monitor.Store.
func (s *MonitorStore) PutCounterparty(ctx context.Context, c monitor.Counterparty) (monitor.Counterparty, bool, error) {
	doc, err := json.Marshal(c)
	if err != nil {
		return c, false, err
	}
	// The first created_at stays; xmax = 0 tells an insert from an update.
	var kept []byte
	var created bool
	err = s.pool.QueryRow(ctx, `
		INSERT INTO monitor_counterparties (key_id, reference, doc) VALUES ($1, $2, $3)
		ON CONFLICT (key_id, reference) DO UPDATE
		SET doc = EXCLUDED.doc || jsonb_build_object('created_at', monitor_counterparties.doc->'created_at')
		RETURNING doc, xmax = 0`, c.KeyID, c.Reference, doc).Scan(&kept, &created)
	if err != nil {
		return c, false, fmt.Errorf("put counterparty %q: %w", c.Reference, err)
	}
	var out monitor.Counterparty
	return out, created, json.Unmarshal(kept, &out)
}

// GetCounterparty implements monitor.Store.
func (s *MonitorStore) GetCounterparty(ctx context.Context, keyID, ref string) (monitor.Counterparty, error) {
	var doc []byte
	err := s.pool.QueryRow(ctx, `SELECT doc FROM monitor_counterparties WHERE key_id = $1 AND reference = $2`, keyID, ref).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return monitor.Counterparty{}, fmt.Errorf("counterparty %q: %w", ref, monitor.ErrNotFound)
	}
	if err != nil {
		return monitor.Counterparty{}, err
	}
	var c monitor.Counterparty
	return c, json.Unmarshal(doc, &c)
}

// ListCounterparties implements monitor.Store.
func (s *MonitorStore) ListCounterparties(ctx context.Context, keyID, cursor string, limit int) ([]monitor.Counterparty, string, error) {
	after, err := monitor.ParseRefCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.pool.Query(ctx, `SELECT doc FROM monitor_counterparties WHERE key_id = $1 AND reference > $2
		ORDER BY reference COLLATE "C" LIMIT $3`, keyID, after, limit+1)
	if err != nil {
		return nil, "", err
	}
	out, err := collectDocs[monitor.Counterparty](rows)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = monitor.RefCursor(out[limit-1].Reference)
	}
	return out, next, nil
}

// DeleteCounterparty implements monitor.Store.
func (s *MonitorStore) DeleteCounterparty(ctx context.Context, keyID, ref string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM monitor_counterparties WHERE key_id = $1 AND reference = $2`, keyID, ref)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("counterparty %q: %w", ref, monitor.ErrNotFound)
	}
	return nil
}

// AllCounterparties implements monitor.Store.
func (s *MonitorStore) AllCounterparties(ctx context.Context) ([]monitor.Counterparty, error) {
	rows, err := s.pool.Query(ctx, `SELECT doc FROM monitor_counterparties`)
	if err != nil {
		return nil, err
	}
	return collectDocs[monitor.Counterparty](rows)
}

func collectDocs[T any](rows pgx.Rows) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		var doc []byte
		if err := rows.Scan(&doc); err != nil {
			return nil, err
		}
		var v T
		if err := json.Unmarshal(doc, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// pgEntryKey is an entry key as PostgreSQL text holds it: no NUL, so the
// unit separator stands between list and id.
func pgEntryKey(k string) string { return strings.ReplaceAll(k, "\x00", "\x1f") }

func deliveryState(a *monitor.Alert) string {
	if a.Delivery == nil {
		return ""
	}
	return a.Delivery.State
}

// AddAlert implements monitor.Store.
func (s *MonitorStore) AddAlert(ctx context.Context, a monitor.Alert) (monitor.Alert, bool, error) {
	doc, err := json.Marshal(a)
	if err != nil {
		return a, false, err
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO monitor_alerts (id, key_id, reference, entry_key, status, delivery_state, doc)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
		a.ID, a.KeyID, a.Reference, pgEntryKey(monitor.EntryKey(a.Source, a.EntryID)), a.Status, deliveryState(&a), doc)
	if err != nil {
		return a, false, fmt.Errorf("add alert %s: %w", a.ID, err)
	}
	if tag.RowsAffected() == 0 {
		old, err := s.GetAlert(ctx, a.ID)
		return old, false, err
	}
	return a, true, nil
}

// GetAlert implements monitor.Store.
func (s *MonitorStore) GetAlert(ctx context.Context, id string) (monitor.Alert, error) {
	var doc []byte
	err := s.pool.QueryRow(ctx, `SELECT doc FROM monitor_alerts WHERE id = $1`, id).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return monitor.Alert{}, fmt.Errorf("alert %q: %w", id, monitor.ErrNotFound)
	}
	if err != nil {
		return monitor.Alert{}, err
	}
	var a monitor.Alert
	return a, json.Unmarshal(doc, &a)
}

// ListAlerts implements monitor.Store.
func (s *MonitorStore) ListAlerts(ctx context.Context, f monitor.AlertFilter) ([]monitor.Alert, string, error) {
	limit, err := monitor.PageLimit(f.Limit)
	if err != nil {
		return nil, "", err
	}
	var before int64
	if f.Cursor != "" {
		if before, err = strconv.ParseInt(f.Cursor, 10, 64); err != nil || before <= 0 {
			return nil, "", fmt.Errorf("cursor %q: %w", f.Cursor, monitor.ErrBadCursor)
		}
	}
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	if !f.AllKeys {
		where = append(where, "key_id = "+arg(f.KeyID))
	}
	if f.Status != "" {
		where = append(where, "status = "+arg(f.Status))
	}
	if f.Reference != "" {
		where = append(where, "reference = "+arg(f.Reference))
	}
	if f.List != "" {
		p := arg(f.List)
		where = append(where, "(lower(doc->>'list') = lower("+p+") OR doc->>'source' = "+p+")")
	}
	if f.Undelivered {
		where = append(where, "delivery_state = 'pending'")
	}
	if before > 0 {
		where = append(where, "seq < "+arg(before))
	}
	q := "SELECT seq, doc FROM monitor_alerts"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY seq DESC LIMIT " + arg(limit+1)
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []monitor.Alert
	var seqs []int64
	for rows.Next() {
		var seq int64
		var doc []byte
		if err := rows.Scan(&seq, &doc); err != nil {
			return nil, "", err
		}
		var a monitor.Alert
		if err := json.Unmarshal(doc, &a); err != nil {
			return nil, "", err
		}
		out, seqs = append(out, a), append(seqs, seq)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	if len(out) > limit {
		return out[:limit], strconv.FormatInt(seqs[limit-1], 10), nil
	}
	return out, "", nil
}

// UpdateAlert implements monitor.Store: the row is locked while change runs.
func (s *MonitorStore) UpdateAlert(ctx context.Context, id string, change func(*monitor.Alert) error) (monitor.Alert, error) {
	var out monitor.Alert
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var doc []byte
		err := tx.QueryRow(ctx, `SELECT doc FROM monitor_alerts WHERE id = $1 FOR UPDATE`, id).Scan(&doc)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("alert %q: %w", id, monitor.ErrNotFound)
		}
		if err != nil {
			return err
		}
		var a monitor.Alert
		if err := json.Unmarshal(doc, &a); err != nil {
			return err
		}
		if err := change(&a); err != nil {
			return err
		}
		nd, err := json.Marshal(a)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE monitor_alerts SET status = $2, delivery_state = $3, doc = $4 WHERE id = $1`,
			id, a.Status, deliveryState(&a), nd); err != nil {
			return err
		}
		out = a
		return nil
	})
	return out, err
}

// OpenAlertsOf implements monitor.Store.
func (s *MonitorStore) OpenAlertsOf(ctx context.Context, entryKey string) ([]monitor.Alert, error) {
	rows, err := s.pool.Query(ctx, `SELECT doc FROM monitor_alerts WHERE entry_key = $1 AND status = 'open' ORDER BY seq`, pgEntryKey(entryKey))
	if err != nil {
		return nil, err
	}
	return collectDocs[monitor.Alert](rows)
}

// AddDecision implements monitor.Store.
func (s *MonitorStore) AddDecision(ctx context.Context, d monitor.Decision) error {
	doc, err := json.Marshal(d)
	if err != nil {
		return err
	}
	at := d.CreatedAt
	if at.IsZero() {
		at = time.Now()
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO monitor_decisions (id, outcome, doc, created_at) VALUES ($1, $2, $3, $4)`, d.ID, d.Outcome, doc, at)
	return err
}

// FalsePositives implements monitor.Store.
func (s *MonitorStore) FalsePositives(ctx context.Context) ([]monitor.Decision, error) {
	rows, err := s.pool.Query(ctx, `SELECT doc FROM monitor_decisions WHERE outcome = 'false_positive' ORDER BY created_at, id`)
	if err != nil {
		return nil, err
	}
	return collectDocs[monitor.Decision](rows)
}

// GetDecision implements monitor.Store.
func (s *MonitorStore) GetDecision(ctx context.Context, id string) (monitor.Decision, error) {
	var doc []byte
	err := s.pool.QueryRow(ctx, `SELECT doc FROM monitor_decisions WHERE id = $1`, id).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return monitor.Decision{}, fmt.Errorf("decision %q: %w", id, monitor.ErrNotFound)
	}
	if err != nil {
		return monitor.Decision{}, err
	}
	var d monitor.Decision
	return d, json.Unmarshal(doc, &d)
}

// ListDecisions implements monitor.Store: newest first by (created_at,
// id); the cursor is the last row's pair.
func (s *MonitorStore) ListDecisions(ctx context.Context, f monitor.DecisionFilter) ([]monitor.Decision, string, error) {
	limit, err := monitor.PageLimit(f.Limit)
	if err != nil {
		return nil, "", err
	}
	beforeAt, beforeID := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), ""
	if f.Cursor != "" {
		at, id, ok := strings.Cut(f.Cursor, ".")
		n, perr := strconv.ParseInt(at, 10, 64)
		if !ok || perr != nil || id == "" {
			return nil, "", fmt.Errorf("cursor %q: %w", f.Cursor, monitor.ErrBadCursor)
		}
		beforeAt, beforeID = time.UnixMicro(n).UTC(), id
	}
	rows, err := s.pool.Query(ctx, `SELECT doc, created_at, id FROM monitor_decisions
		WHERE ($1 OR doc->>'key_id' = $2) AND ($3 = '' OR outcome = $3)
		AND (created_at, id) < ($4, $5)
		ORDER BY created_at DESC, id DESC LIMIT $6`, f.AllKeys, f.KeyID, f.Outcome, beforeAt, beforeID, limit+1)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []monitor.Decision
	var lastAt time.Time
	var lastID, next string
	for rows.Next() {
		var doc []byte
		var at time.Time
		var id string
		if err := rows.Scan(&doc, &at, &id); err != nil {
			return nil, "", err
		}
		if len(out) == limit {
			// The row's time, to the microsecond PostgreSQL keeps.
			next = strconv.FormatInt(lastAt.UnixMicro(), 10) + "." + lastID
			break
		}
		var d monitor.Decision
		if err := json.Unmarshal(doc, &d); err != nil {
			return nil, "", err
		}
		out = append(out, d)
		lastAt, lastID = at, id
	}
	return out, next, rows.Err()
}

// Counts implements monitor.Store (the partial indexes of migration 0003
// answer the alert counts).
func (s *MonitorStore) Counts(ctx context.Context) (monitor.Counts, error) {
	var n monitor.Counts
	err := s.pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM monitor_counterparties),
		(SELECT count(*) FROM monitor_alerts WHERE status = 'open'),
		(SELECT count(*) FROM monitor_alerts WHERE delivery_state = 'pending')`).Scan(&n.Counterparties, &n.OpenAlerts, &n.PendingDeliveries)
	return n, err
}

// LastVersion implements monitor.Store.
func (s *MonitorStore) LastVersion(ctx context.Context) (string, error) {
	var v string
	err := s.pool.QueryRow(ctx, `SELECT value FROM monitor_state WHERE name = 'last_version'`).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// ClaimRun implements monitor.Store: a row per run, taken over only once
// its holder's time is up.
func (s *MonitorStore) ClaimRun(ctx context.Context, from, to string, ttl time.Duration) (func(), error) {
	var b [12]byte
	rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	run := from + ">" + to
	var got string
	err := s.pool.QueryRow(ctx, `
		INSERT INTO monitor_runs (run, token, until) VALUES ($1, $2, now() + $3 * interval '1 millisecond')
		ON CONFLICT (run) DO UPDATE SET token = EXCLUDED.token, until = EXCLUDED.until WHERE monitor_runs.until < now()
		RETURNING token`, run, token, ttl.Milliseconds()).Scan(&got)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, monitor.ErrClaimed
	}
	if err != nil {
		return nil, err
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		s.pool.Exec(ctx, `DELETE FROM monitor_runs WHERE run = $1 AND token = $2`, run, token)
	}, nil
}

// FinishRun implements monitor.Store.
func (s *MonitorStore) FinishRun(ctx context.Context, from, to string) error {
	if from == "" {
		_, err := s.pool.Exec(ctx, `INSERT INTO monitor_state (name, value) VALUES ('last_version', $1)
			ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value WHERE monitor_state.value = ''`, to)
		return err
	}
	_, err := s.pool.Exec(ctx, `UPDATE monitor_state SET value = $2 WHERE name = 'last_version' AND value = $1`, from, to)
	return err
}
