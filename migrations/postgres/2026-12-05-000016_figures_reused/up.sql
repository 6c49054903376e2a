-- The reused rate (docs/RULES.md §7, §11): a daily count of dossiers
-- received that day with a document reused from the citizen's data store.
-- The sums are rebuilt from the dossiers at the next start.
ALTER TABLE figure_days ADD COLUMN reused INTEGER NOT NULL DEFAULT 0;
UPDATE figure_rebuild SET needed = TRUE;
