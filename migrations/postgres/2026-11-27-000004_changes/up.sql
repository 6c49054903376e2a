-- The transactional outbox and change feed (docs/RULES.md §8): every dossier change
-- writes one row here in its own transaction. `seq` is taken from a one-row
-- counter as the last write before commit; the counter's row lock makes
-- commits happen in `seq` order, so a reader following `seq` never skips a
-- change that commits late.
CREATE TABLE change_counter (id INTEGER PRIMARY KEY, last BIGINT NOT NULL);
INSERT INTO change_counter (id, last) VALUES (1, 0);

CREATE TABLE changes (
    seq BIGINT PRIMARY KEY,
    dossier_code TEXT NOT NULL REFERENCES dossiers (code),
    action TEXT NOT NULL,
    status TEXT NOT NULL,
    agency_code TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    -- Delivery to the national portal.
    delivered_at TIMESTAMP,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT
);
CREATE INDEX changes_undelivered ON changes (delivered_at, seq);
CREATE INDEX changes_dossier ON changes (dossier_code, seq);

-- Webhook subscriptions and their delivery log.
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    statuses TEXT NOT NULL,
    agencies TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    cursor_seq BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    webhook_id TEXT NOT NULL REFERENCES webhooks (id),
    seq BIGINT NOT NULL,
    attempts INTEGER NOT NULL,
    delivered_at TIMESTAMP,
    next_attempt_at TIMESTAMP NOT NULL,
    last_status INTEGER,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (webhook_id, seq)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (delivered_at, next_attempt_at);

-- Payments (docs/RULES.md §5).
CREATE TABLE payments (
    id TEXT PRIMARY KEY,
    dossier_code TEXT NOT NULL REFERENCES dossiers (code),
    reference TEXT NOT NULL UNIQUE,
    method TEXT NOT NULL,
    status TEXT NOT NULL,
    amount_vnd BIGINT NOT NULL,
    description TEXT NOT NULL,
    transaction_id TEXT,
    bank_code TEXT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    last_queried_at TIMESTAMP
);
CREATE INDEX payments_dossier ON payments (dossier_code);
CREATE INDEX payments_pending ON payments (status, created_at);

-- Every callback received, good or bad: the log docs/RULES.md §5 asks for.
CREATE TABLE payment_callbacks (
    id TEXT PRIMARY KEY,
    reference TEXT,
    outcome TEXT NOT NULL,
    body TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL
);
