-- The dossiers withdrawn, stopped or refused are a few of those closed: a
-- drill-down into one of them reads it newest first by closing from an
-- index of its own instead of walking every closing (at ten million, 8,854
-- withdrawn among 430,000 closed in a month). Partial: only those rows.
CREATE INDEX dossiers_closed_by_status ON dossiers (status, closed_at, code)
    WHERE status IN ('withdrawn', 'stopped', 'refused');
