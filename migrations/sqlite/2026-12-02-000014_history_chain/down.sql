ALTER TABLE dossier_history DROP COLUMN hash;
