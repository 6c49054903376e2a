ALTER TABLE changes RENAME TO changes_partitioned;
ALTER TABLE changes_partitioned RENAME CONSTRAINT changes_pkey TO changes_partitioned_pkey;
DROP INDEX changes_seq;
DROP INDEX changes_unplaced;
DROP INDEX changes_undelivered;
DROP INDEX changes_dossier;
ALTER SEQUENCE changes_id_seq OWNED BY NONE;
ALTER TABLE changes_partitioned ALTER COLUMN id DROP DEFAULT;

CREATE TABLE changes (
    seq BIGINT,
    dossier_code TEXT NOT NULL REFERENCES dossiers (code),
    action TEXT NOT NULL,
    status TEXT NOT NULL,
    agency_code TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT,
    id BIGINT NOT NULL DEFAULT nextval('changes_id_seq') PRIMARY KEY
);
ALTER SEQUENCE changes_id_seq OWNED BY changes.id;
CREATE UNIQUE INDEX changes_seq ON changes (seq);
CREATE INDEX changes_unplaced ON changes (id) WHERE seq IS NULL;
CREATE INDEX changes_undelivered ON changes (delivered_at, id);
CREATE INDEX changes_dossier ON changes (dossier_code, id);
INSERT INTO changes (id, seq, dossier_code, action, status, agency_code, payload, created_at, delivered_at,
                     attempts, next_attempt_at, last_error)
SELECT id, seq, dossier_code, action, status, agency_code, payload, created_at, delivered_at,
       attempts, next_attempt_at, last_error
FROM changes_partitioned;
DROP TABLE changes_partitioned;
ALTER TABLE notifications ADD CONSTRAINT notifications_change_id_fkey FOREIGN KEY (change_id) REFERENCES changes (id);

ALTER TABLE webhook_deliveries RENAME TO webhook_deliveries_partitioned;
ALTER TABLE webhook_deliveries_partitioned
    RENAME CONSTRAINT webhook_deliveries_pkey TO webhook_deliveries_partitioned_pkey;
ALTER TABLE webhook_deliveries_partitioned
    RENAME CONSTRAINT webhook_deliveries_webhook_id_seq_change_at_key TO webhook_deliveries_partitioned_key;
DROP INDEX webhook_deliveries_due;
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    webhook_id TEXT NOT NULL REFERENCES webhooks (id),
    seq BIGINT NOT NULL,
    attempts INTEGER NOT NULL,
    delivered_at TIMESTAMP,
    next_attempt_at TIMESTAMP NOT NULL,
    last_status INTEGER,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (webhook_id, seq)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (delivered_at, next_attempt_at);
INSERT INTO webhook_deliveries (id, webhook_id, seq, attempts, delivered_at, next_attempt_at, last_status,
                                last_error, created_at)
SELECT id, webhook_id, seq, attempts, delivered_at, next_attempt_at, last_status, last_error, created_at
FROM webhook_deliveries_partitioned;
DROP TABLE webhook_deliveries_partitioned;
