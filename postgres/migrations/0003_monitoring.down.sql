DROP TABLE monitor_runs;
DROP TABLE monitor_state;
DROP TABLE monitor_decisions;
DROP TABLE monitor_alerts;
DROP TABLE monitor_counterparties;
