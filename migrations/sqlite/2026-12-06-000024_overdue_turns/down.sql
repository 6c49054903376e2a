ALTER TABLE figure_days DROP COLUMN left_overdue;
ALTER TABLE figure_days DROP COLUMN became_overdue;
UPDATE figure_rebuild SET needed = TRUE;
