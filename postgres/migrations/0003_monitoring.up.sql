-- Ongoing monitoring (package monitor): monitored counterparties, the alerts
-- list changes raise, analysts' decisions (only ever added), the version the
-- monitoring caught up with and the claims of runs. Each record is kept
-- whole as JSON beside the columns it is looked up by.
CREATE TABLE monitor_counterparties (
    key_id    text NOT NULL,
    reference text NOT NULL,
    doc       jsonb NOT NULL,
    PRIMARY KEY (key_id, reference)
);

CREATE TABLE monitor_alerts (
    seq            bigserial UNIQUE,
    id             text PRIMARY KEY,
    key_id         text NOT NULL,
    reference      text NOT NULL,
    entry_key      text NOT NULL,
    status         text NOT NULL CHECK (status IN ('open', 'closed')),
    delivery_state text NOT NULL DEFAULT '',
    doc            jsonb NOT NULL
);
CREATE INDEX monitor_alerts_key ON monitor_alerts (key_id, seq);
CREATE INDEX monitor_alerts_reference ON monitor_alerts (key_id, reference, seq);
CREATE INDEX monitor_alerts_open ON monitor_alerts (entry_key) WHERE status = 'open';
CREATE INDEX monitor_alerts_pending ON monitor_alerts (seq) WHERE delivery_state = 'pending';

CREATE TABLE monitor_decisions (
    id         text PRIMARY KEY,
    outcome    text NOT NULL,
    doc        jsonb NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE monitor_state (
    name  text PRIMARY KEY,
    value text NOT NULL
);

CREATE TABLE monitor_runs (
    run   text PRIMARY KEY,
    token text NOT NULL,
    until timestamptz NOT NULL
);
