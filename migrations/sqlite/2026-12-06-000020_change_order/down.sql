-- Places every change first (in id order, after the last place given), so
-- that `seq` can be the key again.
UPDATE changes SET seq = p.n + (SELECT last FROM change_counter WHERE id = 1)
  FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM changes WHERE seq IS NULL) AS p
  WHERE changes.id = p.id;
UPDATE change_counter SET last = COALESCE((SELECT max(seq) FROM changes), 0) WHERE id = 1;

CREATE TABLE changes_old (
    seq BIGINT PRIMARY KEY,
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
INSERT INTO changes_old SELECT seq, dossier_code, action, status, agency_code, payload, created_at, delivered_at, attempts, next_attempt_at, last_error FROM changes;

CREATE TABLE notifications_old (
    idempotency_key TEXT PRIMARY KEY,
    change_seq BIGINT NOT NULL REFERENCES changes_old (seq),
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
INSERT INTO notifications_old
  SELECT n.idempotency_key, c.seq, n.dossier_code, n.event, n.channel, n.recipient, n.subject, n.body, n.status, n.attempts, n.next_attempt_at, n.last_error, n.created_at, n.sent_at
  FROM notifications n JOIN changes c ON c.id = n.change_id;

DROP TABLE notifications;
DROP TABLE changes;
ALTER TABLE changes_old RENAME TO changes;
ALTER TABLE notifications_old RENAME TO notifications;

CREATE INDEX changes_undelivered ON changes (delivered_at, seq);
CREATE INDEX changes_dossier ON changes (dossier_code, seq);
CREATE INDEX notifications_due ON notifications (status, next_attempt_at);
CREATE INDEX notifications_dossier ON notifications (dossier_code, created_at);
