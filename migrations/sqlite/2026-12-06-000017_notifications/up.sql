-- Notifications to applicants (docs/RULES.md §12): an outbox written in the
-- transaction of the change that causes them, one row per channel, rendered
-- then; delivered by the notification worker, at most once per key.
CREATE TABLE notifications (
    idempotency_key TEXT PRIMARY KEY,
    change_seq BIGINT NOT NULL REFERENCES changes (seq),
    dossier_code TEXT NOT NULL REFERENCES dossiers (code),
    event TEXT NOT NULL,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    -- pending, sent or failed (for good).
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX notifications_due ON notifications (status, next_attempt_at);
CREATE INDEX notifications_dossier ON notifications (dossier_code, created_at);
