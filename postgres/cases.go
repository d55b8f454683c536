package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cslscreen/screener/audit"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// CaseStore is audit.CaseStore in the tables counterparties, alerts and
// decisions. Safe for concurrent use; every Create is one committed INSERT.
type CaseStore struct {
	pool *pgxpool.Pool
	now  func() time.Time
}

// NewCaseStore returns the case store of pool's (migrated) database.
func NewCaseStore(pool *pgxpool.Pool) *CaseStore { return &CaseStore{pool: pool, now: time.Now} }

// uuidArg turns an id (or "" for NULL) into a query argument.
func uuidArg(id string) (any, error) {
	if id == "" {
		return nil, nil
	}
	b, err := audit.ParseID(id)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// insertErr maps constraint violations to audit's errors.
func insertErr(what string, err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505": // unique_violation
			return fmt.Errorf("%s: %w (%s)", what, audit.ErrConflict, pe.ConstraintName)
		case "23503": // foreign_key_violation
			return fmt.Errorf("%s: %w (%s)", what, audit.ErrNotFound, pe.Detail)
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// list runs a keyset-paged SELECT of cols from table; conds are extra
// conditions with their arguments ("" skipped).
func list[T any](ctx context.Context, pool *pgxpool.Pool, table, cols string, o audit.ListOptions,
	conds map[string]any, scan func(pgx.Row) (T, time.Time, string, error)) ([]T, string, error) {
	limit, err := o.PageLimit()
	if err != nil {
		return nil, "", err
	}
	var (
		where []string
		args  []any
	)
	for cond, v := range conds {
		if s, ok := v.(string); ok && s == "" {
			continue
		}
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if o.Cursor != "" {
		c, err := audit.ParseCursor(o.Cursor)
		if err != nil {
			return nil, "", err
		}
		id, _ := audit.ParseID(c.ID)
		args = append(args, c.Time, id)
		where = append(where, fmt.Sprintf("(created_at, id) > ($%d, $%d)", len(args)-1, len(args)))
	}
	sql := "SELECT " + cols + " FROM " + table
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql += " ORDER BY created_at, id LIMIT " + strconv.Itoa(limit+1)
	rows, err := pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, "", fmt.Errorf("listing %s: %w", table, err)
	}
	defer rows.Close()
	var (
		out  []T
		next string
		last audit.Cursor
	)
	for rows.Next() {
		if len(out) == limit {
			next = last.String()
			break
		}
		x, t, id, err := scan(rows)
		if err != nil {
			return nil, "", fmt.Errorf("listing %s: %w", table, err)
		}
		out = append(out, x)
		last = audit.Cursor{Time: t, ID: id}
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("listing %s: %w", table, err)
	}
	return out, next, nil
}

func notFound(what, id string, err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s %q: %w", what, id, audit.ErrNotFound)
	}
	return fmt.Errorf("reading %s %q: %w", what, id, err)
}

const counterpartyCols = "id, key_id, reference, name, country, type, date_of_birth, nationality, identifier, created_at"

func scanCounterparty(r pgx.Row) (audit.Counterparty, time.Time, string, error) {
	var (
		c  audit.Counterparty
		id [16]byte
	)
	err := r.Scan(&id, &c.KeyID, &c.Reference, &c.Name, &c.Country, &c.Type, &c.DateOfBirth, &c.Nationality, &c.Identifier, &c.CreatedAt)
	c.ID, c.CreatedAt = audit.FormatID(id), c.CreatedAt.UTC()
	return c, c.CreatedAt, c.ID, err
}

// CreateCounterparty implements audit.CaseStore.
func (s *CaseStore) CreateCounterparty(ctx context.Context, c audit.Counterparty) (audit.Counterparty, error) {
	if err := c.Fill(s.now()); err != nil {
		return audit.Counterparty{}, err
	}
	id, _ := uuidArg(c.ID)
	_, err := s.pool.Exec(ctx, "INSERT INTO counterparties ("+counterpartyCols+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
		id, c.KeyID, c.Reference, c.Name, c.Country, c.Type, c.DateOfBirth, c.Nationality, c.Identifier, c.CreatedAt)
	if err != nil {
		return audit.Counterparty{}, insertErr(fmt.Sprintf("counterparty %q of key %q", c.Reference, c.KeyID), err)
	}
	return c, nil
}

// GetCounterparty implements audit.CaseStore.
func (s *CaseStore) GetCounterparty(ctx context.Context, id string) (audit.Counterparty, error) {
	arg, err := uuidArg(id)
	if err != nil {
		return audit.Counterparty{}, fmt.Errorf("counterparty: %w: %v", audit.ErrNotFound, err)
	}
	c, _, _, err := scanCounterparty(s.pool.QueryRow(ctx, "SELECT "+counterpartyCols+" FROM counterparties WHERE id = $1", arg))
	if err != nil {
		return audit.Counterparty{}, notFound("counterparty", id, err)
	}
	return c, nil
}

// ListCounterparties implements audit.CaseStore.
func (s *CaseStore) ListCounterparties(ctx context.Context, o audit.ListOptions) ([]audit.Counterparty, string, error) {
	return list(ctx, s.pool, "counterparties", counterpartyCols, o, map[string]any{"key_id = $%d": o.KeyID}, scanCounterparty)
}

const alertCols = "id, key_id, audit_id, counterparty_id, entry_id, list, name, score, status, created_at"

func scanAlert(r pgx.Row) (audit.Alert, time.Time, string, error) {
	var (
		a           audit.Alert
		id, auditID [16]byte
		cp          *[16]byte
	)
	err := r.Scan(&id, &a.KeyID, &auditID, &cp, &a.EntryID, &a.List, &a.Name, &a.Score, &a.Status, &a.CreatedAt)
	a.ID, a.AuditID, a.CreatedAt = audit.FormatID(id), audit.FormatID(auditID), a.CreatedAt.UTC()
	if cp != nil {
		a.CounterpartyID = audit.FormatID(*cp)
	}
	return a, a.CreatedAt, a.ID, err
}

// CreateAlert implements audit.CaseStore.
func (s *CaseStore) CreateAlert(ctx context.Context, a audit.Alert) (audit.Alert, error) {
	if err := a.Fill(s.now()); err != nil {
		return audit.Alert{}, err
	}
	id, _ := uuidArg(a.ID)
	auditID, _ := uuidArg(a.AuditID)
	cp, _ := uuidArg(a.CounterpartyID)
	_, err := s.pool.Exec(ctx, "INSERT INTO alerts ("+alertCols+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
		id, a.KeyID, auditID, cp, a.EntryID, a.List, a.Name, a.Score, a.Status, a.CreatedAt)
	if err != nil {
		return audit.Alert{}, insertErr("alert", err)
	}
	return a, nil
}

// GetAlert implements audit.CaseStore.
func (s *CaseStore) GetAlert(ctx context.Context, id string) (audit.Alert, error) {
	arg, err := uuidArg(id)
	if err != nil {
		return audit.Alert{}, fmt.Errorf("alert: %w: %v", audit.ErrNotFound, err)
	}
	a, _, _, err := scanAlert(s.pool.QueryRow(ctx, "SELECT "+alertCols+" FROM alerts WHERE id = $1", arg))
	if err != nil {
		return audit.Alert{}, notFound("alert", id, err)
	}
	return a, nil
}

// ListAlerts implements audit.CaseStore.
func (s *CaseStore) ListAlerts(ctx context.Context, o audit.ListOptions) ([]audit.Alert, string, error) {
	return list(ctx, s.pool, "alerts", alertCols, o, map[string]any{"key_id = $%d": o.KeyID}, scanAlert)
}

const decisionCols = "id, alert_id, key_id, outcome, reason, decided_by, created_at"

func scanDecision(r pgx.Row) (audit.Decision, time.Time, string, error) {
	var (
		d           audit.Decision
		id, alertID [16]byte
	)
	err := r.Scan(&id, &alertID, &d.KeyID, &d.Outcome, &d.Reason, &d.DecidedBy, &d.CreatedAt)
	d.ID, d.AlertID, d.CreatedAt = audit.FormatID(id), audit.FormatID(alertID), d.CreatedAt.UTC()
	return d, d.CreatedAt, d.ID, err
}

// CreateDecision implements audit.CaseStore.
func (s *CaseStore) CreateDecision(ctx context.Context, d audit.Decision) (audit.Decision, error) {
	if err := d.Fill(s.now()); err != nil {
		return audit.Decision{}, err
	}
	id, _ := uuidArg(d.ID)
	alertID, _ := uuidArg(d.AlertID)
	_, err := s.pool.Exec(ctx, "INSERT INTO decisions ("+decisionCols+") VALUES ($1, $2, $3, $4, $5, $6, $7)",
		id, alertID, d.KeyID, d.Outcome, d.Reason, d.DecidedBy, d.CreatedAt)
	if err != nil {
		return audit.Decision{}, insertErr("decision", err)
	}
	return d, nil
}

// GetDecision implements audit.CaseStore.
func (s *CaseStore) GetDecision(ctx context.Context, id string) (audit.Decision, error) {
	arg, err := uuidArg(id)
	if err != nil {
		return audit.Decision{}, fmt.Errorf("decision: %w: %v", audit.ErrNotFound, err)
	}
	d, _, _, err := scanDecision(s.pool.QueryRow(ctx, "SELECT "+decisionCols+" FROM decisions WHERE id = $1", arg))
	if err != nil {
		return audit.Decision{}, notFound("decision", id, err)
	}
	return d, nil
}

// ListDecisions implements audit.CaseStore.
func (s *CaseStore) ListDecisions(ctx context.Context, o audit.ListOptions) ([]audit.Decision, string, error) {
	var alertID any
	if o.AlertID != "" {
		b, err := audit.ParseID(o.AlertID)
		if err != nil {
			return nil, "", fmt.Errorf("alert_id: %w", err)
		}
		alertID = b
	} else {
		alertID = ""
	}
	return list(ctx, s.pool, "decisions", decisionCols, o,
		map[string]any{"key_id = $%d": o.KeyID, "alert_id = $%d": alertID}, scanDecision)
}

var _ audit.CaseStore = (*CaseStore)(nil)
