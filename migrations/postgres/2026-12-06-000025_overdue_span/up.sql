-- When each dossier first stood open and overdue at a midnight, and when it
-- last stopped being so (NULL while it still is): the drill-down of the
-- dossiers open and overdue at a period's end reads them from an index,
-- newest first. Filled with the daily sums, rebuilt at the next start.
ALTER TABLE dossiers ADD COLUMN overdue_from TIMESTAMP;
ALTER TABLE dossiers ADD COLUMN overdue_until TIMESTAMP;
CREATE INDEX dossiers_overdue ON dossiers (overdue_from, code) WHERE overdue_from IS NOT NULL;
UPDATE figure_rebuild SET needed = TRUE;
-- The open counts of an ended period come from the daily sums; only a
-- period not yet ended is judged in the database, at the present, where the
-- open dossiers' own index finds them. The index over the span each dossier
-- was open no longer answers any read, and every write paid for it.
DROP INDEX dossiers_open_span;
-- That index holds what the judgement reads of an open dossier, so that it
-- is read from the index alone (40 ms instead of 150 ms for 70,000 open
-- dossiers among ten million).
DROP INDEX dossiers_open;
CREATE INDEX dossiers_open ON dossiers (received_at)
    INCLUDE (receiving_agency, procedure_code, sector_code, channel, level, due_at, paused_since, last_resumed_at, code)
    WHERE closed_at IS NULL;
-- The history's rows are written only in the transaction that writes their
-- dossier, and no dossier is ever deleted: the foreign key from the history
-- to its dossier only cost every row a look-up and a row lock in the
-- dossiers (an import of ten million pays it sixty million times, 15% of
-- its time). `dvc verify` finds a history whose dossier is not there.
DO $$
DECLARE c text;
BEGIN
    FOR c IN SELECT conname FROM pg_constraint WHERE conrelid = 'dossier_history'::regclass AND contype = 'f' LOOP
        EXECUTE format('ALTER TABLE dossier_history DROP CONSTRAINT %I', c);
    END LOOP;
END $$;
