-- When a dossier's latest ended pause ended (see the PostgreSQL migration
-- of the same name). Filled from the pauses kept in `data`; a second later
-- than recorded, since SQLite's date functions keep only milliseconds and
-- a later instant only makes a dossier judged whole, never miscounted.
ALTER TABLE dossiers ADD COLUMN last_resumed_at TIMESTAMP;
UPDATE dossiers SET last_resumed_at = (
    SELECT strftime('%Y-%m-%d %H:%M:%f', max(json_extract(p.value, '$.to')), '+1 second')
    FROM json_each(dossiers.data, '$.pauses') p
    WHERE json_extract(p.value, '$.to') IS NOT NULL
);
