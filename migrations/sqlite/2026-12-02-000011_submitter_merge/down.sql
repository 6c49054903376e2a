UPDATE dossiers SET data = json_remove(data, '$.submitter_name');
DROP INDEX agencies_successor;
ALTER TABLE agencies DROP COLUMN merged_at;
