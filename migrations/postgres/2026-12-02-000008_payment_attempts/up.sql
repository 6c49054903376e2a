-- Every INIT at the payment platform is its own attempt with its own
-- reference (MaThamChieu), kept forever: a success for any of them is found.
CREATE TABLE payment_attempts (
    id TEXT PRIMARY KEY,
    payment_id TEXT NOT NULL REFERENCES payments (id),
    dossier_code TEXT NOT NULL REFERENCES dossiers (code),
    reference TEXT NOT NULL UNIQUE,
    amount_vnd BIGINT NOT NULL,
    -- pending, paid or failed
    status TEXT NOT NULL,
    transaction_id TEXT,
    bank_code TEXT,
    -- paid while its obligation was already settled (or cancelled): to give back
    refund_due BOOLEAN NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    last_queried_at TIMESTAMP,
    -- when the refund was made, and by whom
    refunded_at TIMESTAMP,
    refunded_by TEXT
);
CREATE INDEX payment_attempts_payment ON payment_attempts (payment_id);
CREATE INDEX payment_attempts_pending ON payment_attempts (status, created_at);
CREATE INDEX payment_attempts_refund_due ON payment_attempts (refund_due, created_at);

-- The online payments made before: their reference was their one attempt.
INSERT INTO payment_attempts (id, payment_id, dossier_code, reference, amount_vnd, status, transaction_id,
                              bank_code, refund_due, created_by, created_at, updated_at, last_queried_at)
SELECT 'a-' || id, id, dossier_code, reference, amount_vnd,
       CASE status WHEN 'paid' THEN 'paid' WHEN 'refunded' THEN 'paid' WHEN 'failed' THEN 'failed' ELSE 'pending' END,
       transaction_id, bank_code, FALSE, created_by, created_at, updated_at, last_queried_at
FROM payments WHERE method = 'online';

-- An obligation no longer fails with one of its attempts: an online payment
-- that a failure callback marked failed is pending again (unless the dossier
-- was paid since), so that a success that follows the failure settles it.
UPDATE payments SET status = 'pending'
WHERE method = 'online' AND status = 'failed'
  AND NOT EXISTS (SELECT 1 FROM payments p2 WHERE p2.dossier_code = payments.dossier_code AND p2.status = 'paid');

-- The fee lines of the procedure version a payment covers (JSON), the
-- reduction taken off them, and why an explicit amount was asked instead.
ALTER TABLE payments ADD COLUMN fee_lines TEXT NOT NULL DEFAULT '[]';
ALTER TABLE payments ADD COLUMN relief_vnd BIGINT NOT NULL DEFAULT 0;
ALTER TABLE payments ADD COLUMN amount_reason TEXT;

-- Exemptions from and reductions of a dossier's fees, with their legal
-- reason (docs/RULES.md §5); the latest one holds, all are kept.
CREATE TABLE fee_reliefs (
    id TEXT PRIMARY KEY,
    dossier_code TEXT NOT NULL REFERENCES dossiers (code),
    -- exempt or reduced
    kind TEXT NOT NULL,
    -- the reduction in đồng (the whole fees for an exemption)
    amount_vnd BIGINT NOT NULL,
    legal_basis TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX fee_reliefs_dossier ON fee_reliefs (dossier_code, created_at);

-- Dossiers exempt from their fees, counted apart in the figures (docs/RULES.md §7).
ALTER TABLE figure_days ADD COLUMN exempt INTEGER NOT NULL DEFAULT 0;
