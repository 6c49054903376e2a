ALTER TABLE figure_days DROP COLUMN reused;
UPDATE figure_rebuild SET needed = TRUE;
