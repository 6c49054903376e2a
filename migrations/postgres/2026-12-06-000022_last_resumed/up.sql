-- When a dossier's latest ended pause ended. A report judges the dossiers
-- open at the end of its period as they stood then; a dossier's stored due
-- instant can differ from the one it had then only if a pause was running
-- at that instant or came after it. With this column (and `paused_since`)
-- the database counts the others itself, and only those few are read
-- whole (persistence/src/figures.rs, `open_at`).
ALTER TABLE dossiers ADD COLUMN last_resumed_at TIMESTAMP;
UPDATE dossiers SET last_resumed_at = r.at
FROM (
    SELECT d.code, max((p ->> 'to')::timestamptz AT TIME ZONE 'UTC') AS at
    FROM dossiers d, jsonb_array_elements(d.data::jsonb -> 'pauses') p
    WHERE p ->> 'to' IS NOT NULL
    GROUP BY d.code
) r
WHERE dossiers.code = r.code;
