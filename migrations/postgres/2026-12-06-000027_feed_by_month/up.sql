-- The feed (`changes`) and the webhooks' deliveries grow with every change
-- of every dossier, without bound: both are partitioned by month, as the
-- history is, so that the month being written keeps small indexes however
-- many years lie behind it, and a delivered month can be detached and
-- archived on its own.
--
-- A partitioned table's unique keys must hold its partition key:
-- - `changes` is partitioned by `created_at`; its primary key is (id,
--   created_at) (ids come from a sequence) and `seq`, the feed's place, is an
--   index, no longer unique: places are given only by the sequencer, under
--   the counter's row lock (persistence/src/changes.rs).
-- - A delivery lives in the month of its change (`change_at`, the change's
--   `created_at`): one change has one instant, so the unique key (webhook_id,
--   seq, change_at) still means one delivery per subscription and change.
-- - The notifications no longer refer to their change by a foreign key (it
--   would have to carry the month); they are written in their change's
--   transaction, with its id.
--
-- Months are created here for every month that has rows and the twelve
-- ahead; the server creates those ahead of today at each start
-- (persistence/src/history.rs). A row of a month without its partition goes
-- to the table's default partition.
ALTER TABLE notifications DROP CONSTRAINT notifications_change_id_fkey;

ALTER TABLE changes RENAME TO changes_unpartitioned;
ALTER TABLE changes_unpartitioned RENAME CONSTRAINT changes_pkey TO changes_unpartitioned_pkey;
DROP INDEX changes_seq;
DROP INDEX changes_unplaced;
DROP INDEX changes_undelivered;
DROP INDEX changes_dossier;
ALTER SEQUENCE changes_id_seq OWNED BY NONE;
ALTER TABLE changes_unpartitioned ALTER COLUMN id DROP DEFAULT;

CREATE TABLE changes (
    id BIGINT NOT NULL DEFAULT nextval('changes_id_seq'),
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
    PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
ALTER SEQUENCE changes_id_seq OWNED BY changes.id;
CREATE INDEX changes_seq ON changes (seq);
CREATE INDEX changes_unplaced ON changes (id) WHERE seq IS NULL;
CREATE INDEX changes_undelivered ON changes (delivered_at, id);
CREATE INDEX changes_dossier ON changes (dossier_code, id);
CREATE TABLE changes_default PARTITION OF changes DEFAULT;

ALTER TABLE webhook_deliveries RENAME TO webhook_deliveries_unpartitioned;
ALTER TABLE webhook_deliveries_unpartitioned
    RENAME CONSTRAINT webhook_deliveries_pkey TO webhook_deliveries_unpartitioned_pkey;
ALTER TABLE webhook_deliveries_unpartitioned
    RENAME CONSTRAINT webhook_deliveries_webhook_id_seq_key TO webhook_deliveries_unpartitioned_webhook_id_seq_key;
DROP INDEX webhook_deliveries_due;

CREATE TABLE webhook_deliveries (
    id TEXT NOT NULL,
    webhook_id TEXT NOT NULL REFERENCES webhooks (id),
    seq BIGINT NOT NULL,
    attempts INTEGER NOT NULL,
    delivered_at TIMESTAMP,
    next_attempt_at TIMESTAMP NOT NULL,
    last_status INTEGER,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    change_at TIMESTAMP NOT NULL,
    PRIMARY KEY (id, change_at),
    UNIQUE (webhook_id, seq, change_at)
) PARTITION BY RANGE (change_at);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (delivered_at, next_attempt_at);
CREATE TABLE webhook_deliveries_default PARTITION OF webhook_deliveries DEFAULT;

DO $$
DECLARE
    m date;
    last date;
    t text;
BEGIN
    SELECT date_trunc('month', COALESCE(min(created_at), now()))::date,
           (date_trunc('month', GREATEST(COALESCE(max(created_at), now()), now())) + interval '12 months')::date
    INTO m, last
    FROM changes_unpartitioned;
    WHILE m <= last LOOP
        FOREACH t IN ARRAY ARRAY['changes', 'webhook_deliveries'] LOOP
            EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                           t || '_' || to_char(m, 'YYYY_MM'), t, m, (m + interval '1 month')::date);
        END LOOP;
        m := (m + interval '1 month')::date;
    END LOOP;
END $$;

INSERT INTO changes (id, seq, dossier_code, action, status, agency_code, payload, created_at, delivered_at,
                     attempts, next_attempt_at, last_error)
SELECT id, seq, dossier_code, action, status, agency_code, payload, created_at, delivered_at,
       attempts, next_attempt_at, last_error
FROM changes_unpartitioned;

-- A delivery whose change is not found (none is ever deleted) keeps its own
-- instant as its month: nothing is lost.
INSERT INTO webhook_deliveries (id, webhook_id, seq, attempts, delivered_at, next_attempt_at, last_status,
                                last_error, created_at, change_at)
SELECT d.id, d.webhook_id, d.seq, d.attempts, d.delivered_at, d.next_attempt_at, d.last_status,
       d.last_error, d.created_at, COALESCE(c.created_at, d.created_at)
FROM webhook_deliveries_unpartitioned d LEFT JOIN changes_unpartitioned c ON c.seq = d.seq;

DROP TABLE webhook_deliveries_unpartitioned;
DROP TABLE changes_unpartitioned;
