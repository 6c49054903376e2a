ALTER TABLE dossier_history ADD FOREIGN KEY (dossier_code) REFERENCES dossiers (code);
DROP INDEX dossiers_open;
CREATE INDEX dossiers_open ON dossiers (received_at) WHERE closed_at IS NULL;
CREATE INDEX dossiers_open_span ON dossiers USING gist (
    tsrange(received_at, CASE WHEN closed_at < received_at THEN received_at ELSE closed_at END, '(]')
) WHERE received_at IS NOT NULL;
DROP INDEX dossiers_overdue;
ALTER TABLE dossiers DROP COLUMN overdue_until;
ALTER TABLE dossiers DROP COLUMN overdue_from;
