DROP FUNCTION audit_ensure_partition(timestamptz);
DROP TABLE audit_records;
