-- When a merged agency stopped taking dossiers (its merge date).
ALTER TABLE agencies ADD COLUMN merged_at TIMESTAMP;
UPDATE agencies SET merged_at = updated_at WHERE successor_code IS NOT NULL;
CREATE INDEX agencies_successor ON agencies (successor_code);

-- Who filed a dossier, apart from its applicant: `owner_sub` holds their id,
-- `data.submitter_name` their display name (taken from the submission's
-- history row for the dossiers filed before).
UPDATE dossiers SET data = json_set(data, '$.submitter_name', (
    SELECT h.actor_name FROM dossier_history h WHERE h.dossier_code = dossiers.code AND h.seq = 1
)) WHERE owner_sub IS NOT NULL;
