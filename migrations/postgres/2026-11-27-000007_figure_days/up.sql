-- Daily sums of the figures (docs/RULES.md §7), kept in the same transaction as each
-- change: per Vietnam day and per receiving agency × procedure × sector ×
-- channel × level, how many dossiers each mark counts (see
-- domain/src/figures/daily.rs). Reports sum days instead of reading every
-- dossier.
CREATE TABLE figure_days (
    day TEXT NOT NULL,
    receiving_agency TEXT NOT NULL,
    procedure_code TEXT NOT NULL,
    sector_code TEXT NOT NULL,
    channel TEXT NOT NULL,
    level TEXT NOT NULL,
    received INTEGER NOT NULL,
    received_online INTEGER NOT NULL,
    paid INTEGER NOT NULL,
    paid_cashless INTEGER NOT NULL,
    digitised INTEGER NOT NULL,
    resolved_early INTEGER NOT NULL,
    resolved_on_time INTEGER NOT NULL,
    resolved_late INTEGER NOT NULL,
    withdrawn INTEGER NOT NULL,
    stopped INTEGER NOT NULL,
    refused INTEGER NOT NULL,
    closed_after_reception INTEGER NOT NULL,
    rated INTEGER NOT NULL,
    satisfied INTEGER NOT NULL,
    PRIMARY KEY (day, receiving_agency, procedure_code, sector_code, channel, level)
);

-- What each dossier adds now (its key and marks), so that a change
-- subtracts exactly what it added before.
ALTER TABLE dossiers ADD COLUMN counted TEXT NOT NULL DEFAULT '';

-- Dossiers still open (those closed after an instant use dossiers_closed).
CREATE INDEX dossiers_open ON dossiers (received_at) WHERE closed_at IS NULL;
-- Drill-downs into the resolved counts.
CREATE INDEX dossiers_resolved ON dossiers (resolved_at);
-- List pages filtered by status, newest first.
CREATE INDEX dossiers_status_submitted ON dossiers (status, submitted_at, code);

-- Set when the sums must be built from the dossiers (at the first start
-- after this migration); cleared when they are.
CREATE TABLE figure_rebuild (
    id INTEGER PRIMARY KEY,
    needed BOOLEAN NOT NULL
);
INSERT INTO figure_rebuild (id, needed) VALUES (1, TRUE);
