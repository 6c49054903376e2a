-- The dossiers open and overdue at a period's end, from the daily sums: the
-- days at whose end a dossier turned overdue, and those at whose end it
-- stopped being so (closed, or its deadline moved). The sums are rebuilt
-- from the dossiers at the next start.
ALTER TABLE figure_days ADD COLUMN became_overdue INTEGER NOT NULL DEFAULT 0;
ALTER TABLE figure_days ADD COLUMN left_overdue INTEGER NOT NULL DEFAULT 0;
UPDATE figure_rebuild SET needed = TRUE;
