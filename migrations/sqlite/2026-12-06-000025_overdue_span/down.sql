DROP INDEX dossiers_overdue;
ALTER TABLE dossiers DROP COLUMN overdue_until;
ALTER TABLE dossiers DROP COLUMN overdue_from;
