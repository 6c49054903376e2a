DROP INDEX dossier_history_unchained;
ALTER TABLE dossier_history DROP COLUMN hash;
