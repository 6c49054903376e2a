DROP INDEX dossiers_reply_by;
ALTER TABLE dossiers DROP COLUMN reply_by;
