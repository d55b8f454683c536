package postgres

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cslscreen/screener/audit"
	"github.com/cslscreen/screener/audit/audittest"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestAppRoleCannotChangeAuditRecords connects as a role set up by
// GrantApp: it can write and read the trail, and create partitions
// through audit_ensure_partition, but every way of changing or removing
// a record fails.
func TestAppRoleCannotChangeAuditRecords(t *testing.T) {
	s, owner, _ := testDB(t)
	ctx := context.Background()
	if _, err := owner.Exec(ctx, `CREATE ROLE screener_app LOGIN`); err != nil {
		t.Fatal(err)
	}
	if err := GrantApp(ctx, owner, "screener_app"); err != nil {
		t.Fatal(err)
	}
	var db string
	owner.QueryRow(ctx, "SELECT current_database()").Scan(&db)
	app := open(t, s.DSN("screener_app", db))

	l := NewAuditLog(app, AuditConfig{Retention: time.Hour})
	r := audittest.Rec(0) // November 2026: its partition is made on the way
	if err := l.Write(ctx, r); err != nil {
		t.Fatalf("write as the app role: %v", err)
	}
	if _, err := l.Get(ctx, r.ID); err != nil {
		t.Fatalf("read as the app role: %v", err)
	}
	var part string
	owner.QueryRow(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'audit_records'::regclass`).Scan(&part)
	for _, sql := range []string{
		"UPDATE audit_records SET key_id = 'forged'",
		"DELETE FROM audit_records",
		"TRUNCATE audit_records",
		"UPDATE " + part + " SET key_id = 'forged'",
		"DELETE FROM " + part,
		"DROP TABLE " + part,
		"ALTER TABLE audit_records DETACH PARTITION " + part,
		"UPDATE decisions SET outcome = 'true_match'",
		"DELETE FROM decisions",
	} {
		_, err := app.Exec(ctx, sql)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || (pe.Code != "42501" && !strings.Contains(pe.Message, "must be owner")) {
			t.Errorf("%s as the app role: %v, want a permission error", sql, err)
		}
	}
	if _, err := l.DropExpired(ctx); err == nil {
		t.Error("retention as the app role: no error (it needs the owner)")
	}
	if n := countRows(t, owner, "SELECT count(*) FROM audit_records WHERE key_id = 'forged'"); n != 0 {
		t.Fatalf("%d forged rows", n)
	}
	cases := NewCaseStore(app)
	if _, err := cases.CreateCounterparty(ctx, audit.Counterparty{KeyID: "k", Reference: "r", Name: "n"}); err != nil {
		t.Fatalf("case store as the app role: %v", err)
	}
	if err := GrantApp(ctx, owner, ""); err == nil {
		t.Fatal("GrantApp with no role: no error")
	}
}
