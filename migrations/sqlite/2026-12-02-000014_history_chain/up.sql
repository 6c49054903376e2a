-- The tamper-evident chain of each dossier's history: a SHA-256 over the
-- row's content and the previous row's hash (domain/src/dossier/chain.rs).
-- Rows written before are chained at the next start (they have none yet).
ALTER TABLE dossier_history ADD COLUMN hash TEXT;
-- Finds those rows at start-up without reading the whole history.
CREATE INDEX dossier_history_unchained ON dossier_history (dossier_code) WHERE hash IS NULL;
