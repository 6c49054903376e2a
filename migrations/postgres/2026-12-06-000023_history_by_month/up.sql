-- The history is the largest table (about six rows a dossier, 2.3 kB a
-- dossier with its indexes) and grows without bound: it is partitioned by
-- month of `at`, so that the month being written has small indexes that
-- stay in memory however many years lie behind it, and a month can be
-- detached, archived or moved to other storage on its own.
--
-- A partitioned table's unique keys must hold its partition key, so the
-- primary key is (id, at) and (dossier_code, seq) is an index, no longer a
-- constraint: each dossier's rows are written under the dossier's row lock
-- with the next seq, and `dvc verify` walks the chain they form.
--
-- Months are created here for every month that has rows and the twelve
-- ahead; the server creates those ahead of today at each start, and an
-- import the months it brings, before writing (persistence/src/history.rs).
-- A row of a month without its partition goes to dossier_history_default.
ALTER TABLE dossier_history RENAME TO dossier_history_unpartitioned;
ALTER TABLE dossier_history_unpartitioned RENAME CONSTRAINT dossier_history_pkey TO dossier_history_unpartitioned_pkey;
ALTER TABLE dossier_history_unpartitioned
    RENAME CONSTRAINT dossier_history_dossier_code_seq_key TO dossier_history_unpartitioned_code_seq_key;
ALTER INDEX dossier_history_unchained RENAME TO dossier_history_unpartitioned_unchained;

CREATE TABLE dossier_history (
    id TEXT NOT NULL,
    dossier_code TEXT NOT NULL REFERENCES dossiers (code),
    seq INTEGER NOT NULL,
    action TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    actor_agency TEXT,
    at TIMESTAMP NOT NULL,
    note TEXT,
    step_deadline TIMESTAMP,
    hash TEXT,
    PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);
CREATE INDEX dossier_history_dossier ON dossier_history (dossier_code, seq);
CREATE INDEX dossier_history_unchained ON dossier_history (dossier_code) WHERE hash IS NULL;
CREATE TABLE dossier_history_default PARTITION OF dossier_history DEFAULT;

DO $$
DECLARE
    m date;
    last date;
BEGIN
    SELECT date_trunc('month', COALESCE(min(at), now()))::date,
           (date_trunc('month', GREATEST(COALESCE(max(at), now()), now())) + interval '12 months')::date
    INTO m, last
    FROM dossier_history_unpartitioned;
    WHILE m <= last LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF dossier_history FOR VALUES FROM (%L) TO (%L)',
                       'dossier_history_' || to_char(m, 'YYYY_MM'), m, (m + interval '1 month')::date);
        m := (m + interval '1 month')::date;
    END LOOP;
END $$;

INSERT INTO dossier_history
SELECT id, dossier_code, seq, action, from_status, to_status, actor_id, actor_role, actor_name,
       actor_agency, at, note, step_deadline, hash
FROM dossier_history_unpartitioned;
DROP TABLE dossier_history_unpartitioned;
