-- Dossiers, their history (the control slip), codes, documents and
-- idempotency keys (docs/RULES.md §4, §9).
CREATE TABLE dossiers (
    code TEXT PRIMARY KEY,
    external_code TEXT UNIQUE,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    procedure_code TEXT NOT NULL REFERENCES procedures (code),
    procedure_version INTEGER NOT NULL,
    sector_code TEXT NOT NULL,
    receiving_agency TEXT NOT NULL REFERENCES agencies (code),
    handling_agency TEXT NOT NULL REFERENCES agencies (code),
    applicant_kind TEXT NOT NULL,
    applicant_id TEXT NOT NULL,
    applicant_name TEXT NOT NULL,
    owner_sub TEXT,
    summary TEXT NOT NULL,
    calendar_id TEXT NOT NULL,
    submitted_at TIMESTAMP NOT NULL,
    received_at TIMESTAMP,
    due_at TIMESTAMP,
    promised_at TIMESTAMP,
    resolved_at TIMESTAMP,
    returned_at TIMESTAMP,
    paused_since TIMESTAMP,
    outcome TEXT,
    resolved_timeliness TEXT,
    version INTEGER NOT NULL,
    data TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX dossiers_submitted ON dossiers (submitted_at, code);
CREATE INDEX dossiers_receiving ON dossiers (receiving_agency, created_at);
CREATE INDEX dossiers_handling ON dossiers (handling_agency, created_at);
CREATE INDEX dossiers_status ON dossiers (status, due_at);
CREATE INDEX dossiers_applicant ON dossiers (applicant_id);
CREATE INDEX dossiers_owner ON dossiers (owner_sub);
CREATE INDEX dossiers_procedure ON dossiers (procedure_code);

CREATE TABLE dossier_counters (
    agency_code TEXT NOT NULL,
    day TEXT NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (agency_code, day)
);

CREATE TABLE dossier_history (
    id TEXT PRIMARY KEY,
    dossier_code TEXT NOT NULL REFERENCES dossiers (code),
    seq INTEGER NOT NULL,
    action TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    actor_agency TEXT,
    at TIMESTAMP NOT NULL,
    note TEXT,
    step_deadline TIMESTAMP,
    UNIQUE (dossier_code, seq)
);

CREATE TABLE document_contents (
    sha256 TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    content BYTEA NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE dossier_documents (
    id TEXT PRIMARY KEY,
    dossier_code TEXT NOT NULL REFERENCES dossiers (code),
    kind TEXT NOT NULL,
    component_code TEXT,
    name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL REFERENCES document_contents (sha256),
    digitised BOOLEAN NOT NULL,
    reused BOOLEAN NOT NULL,
    uploaded_at TIMESTAMP NOT NULL,
    uploaded_by TEXT NOT NULL
);
CREATE INDEX dossier_documents_dossier ON dossier_documents (dossier_code);

CREATE TABLE idempotency_keys (
    owner TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    response TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (owner, key)
);
