ALTER TABLE dossiers DROP COLUMN last_resumed_at;
