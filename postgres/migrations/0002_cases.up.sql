-- The case records: monitored counterparties, the alerts screenings raise,
-- and reviewers' decisions (only ever added). Paging is by (created_at, id).
CREATE TABLE counterparties (
    id            uuid PRIMARY KEY,
    key_id        text NOT NULL,
    reference     text NOT NULL,
    name          text NOT NULL,
    country       text NOT NULL DEFAULT '',
    type          text NOT NULL DEFAULT '',
    date_of_birth text NOT NULL DEFAULT '',
    nationality   text NOT NULL DEFAULT '',
    identifier    text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL,
    UNIQUE (key_id, reference)
);
CREATE INDEX counterparties_key ON counterparties (key_id, created_at, id);
CREATE INDEX counterparties_page ON counterparties (created_at, id);

CREATE TABLE alerts (
    id              uuid PRIMARY KEY,
    key_id          text NOT NULL,
    audit_id        uuid NOT NULL, -- audit_records.id (no foreign key: that table is partitioned and expires)
    counterparty_id uuid REFERENCES counterparties (id),
    entry_id        text NOT NULL,
    list            text NOT NULL DEFAULT '',
    name            text NOT NULL DEFAULT '',
    score           double precision NOT NULL,
    status          text NOT NULL CHECK (status IN ('open', 'closed')),
    created_at      timestamptz NOT NULL
);
CREATE INDEX alerts_key ON alerts (key_id, created_at, id);
CREATE INDEX alerts_page ON alerts (created_at, id);
CREATE INDEX alerts_counterparty ON alerts (counterparty_id) WHERE counterparty_id IS NOT NULL;

CREATE TABLE decisions (
    id         uuid PRIMARY KEY,
    alert_id   uuid NOT NULL REFERENCES alerts (id),
    key_id     text NOT NULL,
    outcome    text NOT NULL CHECK (outcome IN ('true_match', 'false_positive', 'escalated')),
    reason     text NOT NULL DEFAULT '',
    decided_by text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX decisions_alert ON decisions (alert_id, created_at, id);
CREATE INDEX decisions_key ON decisions (key_id, created_at, id);
CREATE INDEX decisions_page ON decisions (created_at, id);
