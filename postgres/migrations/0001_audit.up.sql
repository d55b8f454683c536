-- The audit trail: one row per record, partitioned by month of its time so
-- that retention drops whole partitions. The record column is the record as
-- the service wrote it; the other columns are copies kept for the filters.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE audit_records (
    id                uuid        NOT NULL,
    time              timestamptz NOT NULL,
    client_request_id text        NOT NULL DEFAULT '',
    key_id            text        NOT NULL DEFAULT '',
    channel           text        NOT NULL,
    name              text        NOT NULL DEFAULT '',
    list_version      text        NOT NULL DEFAULT '',
    status            text        NOT NULL DEFAULT '',
    batch_job         text,
    record            jsonb       NOT NULL,
    PRIMARY KEY (time, id)
) PARTITION BY RANGE (time);

-- One index per filter; those that page end in (time, id) so a page is a
-- range scan in cursor order.
CREATE INDEX audit_records_id ON audit_records (id);
CREATE INDEX audit_records_key ON audit_records (key_id, time, id);
CREATE INDEX audit_records_list_version ON audit_records (list_version, time, id);
CREATE INDEX audit_records_status ON audit_records (status, time, id);
CREATE INDEX audit_records_batch_job ON audit_records (batch_job, time, id) WHERE batch_job IS NOT NULL;
CREATE INDEX audit_records_name ON audit_records USING gin (name gin_trgm_ops);

-- audit_ensure_partition creates the partition of the month holding t (UTC)
-- if it is missing. It runs as its owner (SECURITY DEFINER) so that the
-- service's role, which may only INSERT and SELECT, can add months without
-- owning, and so being able to change, a partition.
CREATE FUNCTION audit_ensure_partition(t timestamptz) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    start timestamp := date_trunc('month', t AT TIME ZONE 'UTC');
    part  text := 'audit_records_' || to_char(start, 'YYYY_MM');
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('audit_ensure_partition'));
    IF to_regclass(part) IS NULL THEN
        EXECUTE format('CREATE TABLE %I PARTITION OF audit_records FOR VALUES FROM (%L) TO (%L)',
            part, to_char(start, 'YYYY-MM-DD') || ' 00:00:00+00',
            to_char(start + interval '1 month', 'YYYY-MM-DD') || ' 00:00:00+00');
    END IF;
END
$$;
REVOKE ALL ON FUNCTION audit_ensure_partition(timestamptz) FROM PUBLIC;
