-- Where an agency is told of its dossiers about to run late (docs/RULES.md §12).
ALTER TABLE agencies ADD COLUMN notify_email TEXT;
