-- Feedback and petitions (docs/RULES.md §6).
CREATE TABLE feedback (
    id TEXT PRIMARY KEY,
    owner_sub TEXT NOT NULL,
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    dossier_code TEXT REFERENCES dossiers (code),
    agency_code TEXT NOT NULL REFERENCES agencies (code),
    status TEXT NOT NULL,
    filed_at TIMESTAMP NOT NULL,
    refuse_by TIMESTAMP NOT NULL,
    ask_info_by TIMESTAMP NOT NULL,
    answer_by TIMESTAMP NOT NULL,
    info_question TEXT,
    info_reply TEXT,
    answer TEXT,
    refusal_reason TEXT,
    answered_at TIMESTAMP,
    published_at TIMESTAMP,
    -- The final response (refusal or answer): when, and whether within its limit.
    responded_at TIMESTAMP,
    responded_on_time BOOLEAN,
    log TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX feedback_agency ON feedback (agency_code, filed_at);
CREATE INDEX feedback_owner ON feedback (owner_sub);
CREATE INDEX feedback_responded ON feedback (responded_at);
