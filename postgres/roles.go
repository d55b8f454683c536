package postgres

import (
	"context"
	_ "embed"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// RolesSQL is roles.sql: the grants of the service's role, written for
// psql with the variable app_role.
//
//go:embed roles.sql
var RolesSQL string

// GrantApp gives role (which must exist) the privileges of roles.sql. Run
// it with the owner's pool after Migrate.
func GrantApp(ctx context.Context, pool *pgxpool.Pool, role string) error {
	if role == "" {
		return fmt.Errorf("grant: the role name is empty")
	}
	sql := strings.ReplaceAll(RolesSQL, `:"app_role"`, pgx.Identifier{role}.Sanitize())
	if _, err := pool.Exec(ctx, sql); err != nil {
		return fmt.Errorf("granting the service's privileges to role %q: %w", role, err)
	}
	return nil
}
