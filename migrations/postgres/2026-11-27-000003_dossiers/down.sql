DROP TABLE idempotency_keys;
DROP TABLE dossier_documents;
DROP TABLE document_contents;
DROP TABLE dossier_history;
DROP TABLE dossier_counters;
DROP TABLE dossiers;
