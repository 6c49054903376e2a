-- The reply deadline of the supplement a dossier awaits (docs/RULES.md §4.2): shown on
-- the dossier, and the key of the list filter supplement_overdue=true.
ALTER TABLE dossiers ADD COLUMN reply_by TIMESTAMP;
CREATE INDEX dossiers_reply_by ON dossiers (reply_by) WHERE reply_by IS NOT NULL;
