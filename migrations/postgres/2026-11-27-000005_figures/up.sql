-- Figures (docs/RULES.md §6, §7): the administrative level and the closing instant of
-- each dossier (when it was resolved, refused, withdrawn or stopped), and
-- satisfaction ratings.
ALTER TABLE dossiers ADD COLUMN level TEXT NOT NULL DEFAULT 'province';
ALTER TABLE dossiers ADD COLUMN closed_at TIMESTAMP;
CREATE INDEX dossiers_received ON dossiers (received_at);
CREATE INDEX dossiers_closed ON dossiers (closed_at);

CREATE TABLE ratings (
    dossier_code TEXT PRIMARY KEY REFERENCES dossiers (code),
    criteria TEXT NOT NULL,
    total INTEGER NOT NULL,
    overall TEXT NOT NULL,
    comment TEXT,
    rated_by TEXT NOT NULL,
    rated_at TIMESTAMP NOT NULL
);
CREATE INDEX ratings_rated_at ON ratings (rated_at);
