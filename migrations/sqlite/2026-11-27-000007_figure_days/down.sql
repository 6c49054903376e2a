DROP TABLE figure_rebuild;
DROP INDEX dossiers_status_submitted;
DROP INDEX dossiers_resolved;
DROP INDEX dossiers_open;
ALTER TABLE dossiers DROP COLUMN counted;
DROP TABLE figure_days;
