-- Agencies and the procedure catalogue (docs/RULES.md §2, §3).
CREATE TABLE agencies (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    level TEXT NOT NULL,
    parent_code TEXT REFERENCES agencies (code),
    active BOOLEAN NOT NULL,
    successor_code TEXT REFERENCES agencies (code),
    search_text TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX agencies_parent ON agencies (parent_code);

CREATE TABLE procedures (
    code TEXT PRIMARY KEY,
    agency_code TEXT NOT NULL REFERENCES agencies (code),
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE procedure_versions (
    id TEXT PRIMARY KEY,
    procedure_code TEXT NOT NULL REFERENCES procedures (code),
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    effective_from DATE,
    effective_to DATE,
    name TEXT NOT NULL,
    search_text TEXT NOT NULL,
    sector_code TEXT NOT NULL,
    level TEXT NOT NULL,
    service_level TEXT NOT NULL,
    agencies_index TEXT NOT NULL,
    content TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    published_at TIMESTAMP,
    UNIQUE (procedure_code, version)
);
CREATE INDEX procedure_versions_in_force ON procedure_versions (status, effective_from, procedure_code);
CREATE INDEX procedure_versions_sector ON procedure_versions (sector_code);

-- A single row that a write transaction touches first, so that writers queue
-- for the lock instead of failing on SQLite; kept on both backends to share one schema.
CREATE TABLE write_lock (id INTEGER PRIMARY KEY, n BIGINT NOT NULL);
INSERT INTO write_lock (id, n) VALUES (1, 0);
