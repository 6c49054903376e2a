ALTER TABLE dossiers DROP COLUMN submitter_name;
DROP INDEX agencies_successor;
ALTER TABLE agencies DROP COLUMN merged_at;
