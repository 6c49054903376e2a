-- A change is written with an `id` and no place in the feed; `seq`, the
-- gap-free place, is given after commit by the sequencer
-- (persistence/src/changes.rs, `sequence`). SQLite has one writer at a time,
-- but both backends keep the same tables and the same code. Existing changes
-- keep their place, and their id is their place. SQLite cannot change a key
-- in place: both tables are made again.
CREATE TABLE changes_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    seq BIGINT UNIQUE,
    dossier_code TEXT NOT NULL REFERENCES dossiers (code),
    action TEXT NOT NULL,
    status TEXT NOT NULL,
    agency_code TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT
);
INSERT INTO changes_new (id, seq, dossier_code, action, status, agency_code, payload, created_at, delivered_at, attempts, next_attempt_at, last_error)
  SELECT seq, seq, dossier_code, action, status, agency_code, payload, created_at, delivered_at, attempts, next_attempt_at, last_error FROM changes;

CREATE TABLE notifications_new (
    idempotency_key TEXT PRIMARY KEY,
    change_id BIGINT NOT NULL REFERENCES changes_new (id),
    dossier_code TEXT NOT NULL REFERENCES dossiers (code),
    event TEXT NOT NULL,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
INSERT INTO notifications_new SELECT * FROM notifications;

DROP TABLE notifications;
DROP TABLE changes;
ALTER TABLE changes_new RENAME TO changes;
ALTER TABLE notifications_new RENAME TO notifications;

CREATE INDEX changes_unplaced ON changes (id) WHERE seq IS NULL;
CREATE INDEX changes_undelivered ON changes (delivered_at, id);
CREATE INDEX changes_dossier ON changes (dossier_code, id);
CREATE INDEX notifications_due ON notifications (status, next_attempt_at);
CREATE INDEX notifications_dossier ON notifications (dossier_code, created_at);
