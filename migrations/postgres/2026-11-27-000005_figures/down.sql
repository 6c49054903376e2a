DROP TABLE ratings;
DROP INDEX dossiers_closed;
DROP INDEX dossiers_received;
ALTER TABLE dossiers DROP COLUMN closed_at;
ALTER TABLE dossiers DROP COLUMN level;
