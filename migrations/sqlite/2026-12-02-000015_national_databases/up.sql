-- The national databases (docs/RULES.md §11).

-- Every look-up in a national database: who asked, when, about whom, in
-- which database, for which dossier and why, and what came back. Append
-- only (the API writes and reads, never edits); each row carries a SHA-256
-- over its content and the previous row's hash (domain/src/registry.rs), so
-- that a row rewritten or removed behind the API's back is found.
CREATE TABLE registry_lookups (
    seq BIGINT PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    actor_id TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    actor_agency TEXT,
    registry TEXT NOT NULL,
    subject TEXT NOT NULL,
    dossier_code TEXT,
    purpose TEXT NOT NULL,
    outcome TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX registry_lookups_subject ON registry_lookups (subject, seq);
CREATE INDEX registry_lookups_dossier ON registry_lookups (dossier_code, seq);
CREATE INDEX registry_lookups_at ON registry_lookups (at);

-- Where each dossier's applicant check stands, and the outbox of the checks
-- still to make: a database that did not answer at submission is asked
-- again in the background until it does.
CREATE TABLE applicant_checks (
    dossier_code TEXT PRIMARY KEY REFERENCES dossiers (code),
    registry TEXT NOT NULL,
    state TEXT NOT NULL,
    differences TEXT,
    reason TEXT,
    decided_by TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP,
    lease_until TIMESTAMP,
    last_error TEXT,
    checked_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX applicant_checks_pending ON applicant_checks (next_attempt_at) WHERE state = 'pending';

-- Where a document came from when it was not uploaded: `data_store:<code>`
-- for a document fetched from the citizen's data store.
ALTER TABLE dossier_documents ADD COLUMN source TEXT;
