-- The privileges of the service's PostgreSQL role.
--
-- Run as the owner of the schema (the role that runs the migrations), after
-- the migrations, and again whenever a migration adds a table:
--
--   psql "$OWNER_URL" -v app_role=screener_app -f postgres/roles.sql
--
-- postgres.GrantApp runs the same statements. Create the role first, e.g.
--   CREATE ROLE screener_app LOGIN PASSWORD '...';
--
-- The service's role may add and read audit records but never change or
-- remove them: it has no UPDATE, DELETE or TRUNCATE on audit_records, and
-- the monthly partitions belong to the owner (audit_ensure_partition runs as
-- the owner), so the role cannot reach them directly either. Dropping
-- expired partitions (retention) needs the owner. Decisions are only ever
-- added; an alert's status is the one column the role may change.
GRANT USAGE ON SCHEMA public TO :"app_role";
GRANT SELECT ON schema_migrations TO :"app_role";
GRANT SELECT, INSERT ON audit_records TO :"app_role";
GRANT EXECUTE ON FUNCTION audit_ensure_partition(timestamptz) TO :"app_role";
GRANT SELECT, INSERT ON counterparties, alerts, decisions TO :"app_role";
GRANT UPDATE (status) ON alerts TO :"app_role";
-- Monitoring: counterparties come and go; an alert changes (status, decision,
-- webhook delivery) but is never removed; decisions are only ever added.
GRANT SELECT, INSERT, UPDATE, DELETE ON monitor_counterparties TO :"app_role";
GRANT SELECT, INSERT, UPDATE ON monitor_alerts TO :"app_role";
GRANT USAGE ON SEQUENCE monitor_alerts_seq_seq TO :"app_role";
GRANT SELECT, INSERT ON monitor_decisions TO :"app_role";
GRANT SELECT, INSERT, UPDATE ON monitor_state TO :"app_role";
GRANT SELECT, INSERT, UPDATE, DELETE ON monitor_runs TO :"app_role";
