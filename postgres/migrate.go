package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migration is one step of the schema: NNNN_name.up.sql and its
// NNNN_name.down.sql in migrations/.
type Migration struct {
	Version  int
	Name     string
	Up, Down string
}

var migrationName = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+)\.(up|down)\.sql$`)

// Migrations returns the embedded migrations in order. Every version has
// an up and a down file and versions run 1, 2, 3… without gaps.
func Migrations() ([]Migration, error) { return readMigrations(migrationFiles, "migrations") }

func readMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	byVersion := map[int]*Migration{}
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration %s: name is not NNNN_name.up.sql or NNNN_name.down.sql", e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		mg := byVersion[v]
		if mg == nil {
			mg = &Migration{Version: v, Name: m[2]}
			byVersion[v] = mg
		} else if mg.Name != m[2] {
			return nil, fmt.Errorf("migration %04d has two names: %s and %s", v, mg.Name, m[2])
		}
		if m[3] == "up" {
			mg.Up = string(b)
		} else {
			mg.Down = string(b)
		}
	}
	out := make([]Migration, 0, len(byVersion))
	for _, m := range byVersion {
		out = append(out, *m)
	}
	slices.SortFunc(out, func(a, b Migration) int { return a.Version - b.Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %04d: expected version %04d (versions run 1, 2, 3… without gaps)", m.Version, i+1)
		}
		if m.Up == "" || m.Down == "" {
			return nil, fmt.Errorf("migration %04d_%s: needs both an up and a down file", m.Version, m.Name)
		}
	}
	return out, nil
}

// migrationLock is the pg_advisory_lock key that makes replicas migrate
// one at a time ("screener" in ASCII).
const migrationLock = 0x73637265656e6572

// Migrate brings the schema to the latest embedded version. Replicas
// that start together take turns (pg_advisory_lock); each migration runs
// in its own transaction with its row in schema_migrations.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	ms, err := Migrations()
	if err != nil {
		return err
	}
	return MigrateTo(ctx, pool, len(ms))
}

// MigrateTo brings the schema to version, applying up or down
// migrations; 0 removes everything the migrations made.
func MigrateTo(ctx context.Context, pool *pgxpool.Pool, version int) error {
	ms, err := Migrations()
	if err != nil {
		return err
	}
	if version < 0 || version > len(ms) {
		return fmt.Errorf("migrate to version %d: versions run from 0 to %d", version, len(ms))
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(migrationLock)); err != nil {
		return fmt.Errorf("migrate: taking the migration lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(migrationLock))

	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	current, err := SchemaVersion(ctx, conn.Conn())
	if err != nil {
		return err
	}
	if current > len(ms) {
		return fmt.Errorf("migrate: the database is at version %d, newer than this binary's %d; run the newer binary or migrate down with it", current, len(ms))
	}
	for v := current + 1; v <= version; v++ {
		m := ms[v-1]
		if err := runMigration(ctx, conn.Conn(), m.Up,
			"INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name); err != nil {
			return fmt.Errorf("migrate up %04d_%s: %w", m.Version, m.Name, err)
		}
	}
	for v := current; v > version; v-- {
		m := ms[v-1]
		if err := runMigration(ctx, conn.Conn(), m.Down,
			"DELETE FROM schema_migrations WHERE version = $1 AND name = $2", m.Version, m.Name); err != nil {
			return fmt.Errorf("migrate down %04d_%s: %w", m.Version, m.Name, err)
		}
	}
	return nil
}

func runMigration(ctx context.Context, conn *pgx.Conn, sql, record string, version int, name string) error {
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, sql); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, record, version, name)
		return err
	})
}

// SchemaVersion returns the latest applied migration (0: none).
func SchemaVersion(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) (int, error) {
	var v int
	err := q.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("reading the schema version: %w", err)
	}
	return v, nil
}
