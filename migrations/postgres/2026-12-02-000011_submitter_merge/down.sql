UPDATE dossiers SET data = (data::jsonb - 'submitter_name')::text;
DROP INDEX agencies_successor;
ALTER TABLE agencies DROP COLUMN merged_at;
