-- The 766 online payment sub-indicator counts payments through the payment
-- platform only (docs/RULES.md §7): a daily count of dossiers received that day and
-- paid online. The sums are rebuilt from the dossiers at the next start.
ALTER TABLE figure_days ADD COLUMN paid_online INTEGER NOT NULL DEFAULT 0;
UPDATE figure_rebuild SET needed = TRUE;
