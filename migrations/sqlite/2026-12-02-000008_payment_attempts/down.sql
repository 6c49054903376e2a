ALTER TABLE figure_days DROP COLUMN exempt;
DROP TABLE fee_reliefs;
ALTER TABLE payments DROP COLUMN amount_reason;
ALTER TABLE payments DROP COLUMN relief_vnd;
ALTER TABLE payments DROP COLUMN fee_lines;
DROP TABLE payment_attempts;
