// Package postgres keeps the service's records in PostgreSQL: the audit
// trail (AuditLog, an audit.Log), and the tables of the case features
// (counterparties, alerts, decisions). Its schema is a numbered series of
// migrations embedded in the binary (Migrate).
//
// Two roles are expected: an owner, which runs Migrate and DropExpired,
// and the service's role, granted by GrantApp (roles.sql), which may
// INSERT and SELECT audit records but not UPDATE or DELETE them. One role
// may do both where that separation is not wanted.
package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Open connects a pool to the database at url (a postgres:// URL or a
// key=value DSN, with pgx's pool settings such as pool_max_conns) and
// checks that it answers.
func Open(ctx context.Context, url string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: the URL is not valid: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %s:%d does not answer: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, err)
	}
	return pool, nil
}
