ALTER TABLE dossier_documents DROP COLUMN source;
DROP TABLE applicant_checks;
DROP TABLE registry_lookups;
