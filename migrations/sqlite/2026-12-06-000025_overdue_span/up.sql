-- When each dossier first stood open and overdue at a midnight, and when it
-- last stopped being so (NULL while it still is): the drill-down of the
-- dossiers open and overdue at a period's end reads them from an index,
-- newest first. Filled with the daily sums, rebuilt at the next start.
ALTER TABLE dossiers ADD COLUMN overdue_from TIMESTAMP;
ALTER TABLE dossiers ADD COLUMN overdue_until TIMESTAMP;
CREATE INDEX dossiers_overdue ON dossiers (overdue_from, code) WHERE overdue_from IS NOT NULL;
UPDATE figure_rebuild SET needed = TRUE;
