ALTER TABLE figure_days DROP COLUMN paid_online;
UPDATE figure_rebuild SET needed = TRUE;
