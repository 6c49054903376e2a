-- The dossiers withdrawn, stopped or refused, newest first by closing, for
-- their drill-downs (see the PostgreSQL migration of the same name). Whole:
-- SQLite uses a partial index only when the query repeats its condition.
CREATE INDEX dossiers_closed_by_status ON dossiers (status, closed_at, code);
