ALTER TABLE dossier_history RENAME TO dossier_history_partitioned;
ALTER INDEX dossier_history_dossier RENAME TO dossier_history_partitioned_dossier;
ALTER INDEX dossier_history_unchained RENAME TO dossier_history_partitioned_unchained;
ALTER TABLE dossier_history_partitioned RENAME CONSTRAINT dossier_history_pkey TO dossier_history_partitioned_pkey;
CREATE TABLE dossier_history (
    id TEXT PRIMARY KEY,
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
    UNIQUE (dossier_code, seq)
);
CREATE INDEX dossier_history_unchained ON dossier_history (dossier_code) WHERE hash IS NULL;
INSERT INTO dossier_history
SELECT id, dossier_code, seq, action, from_status, to_status, actor_id, actor_role, actor_name,
       actor_agency, at, note, step_deadline, hash
FROM dossier_history_partitioned;
DROP TABLE dossier_history_partitioned;
