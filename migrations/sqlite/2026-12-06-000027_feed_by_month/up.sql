-- A delivery carries the instant of its change, by whose month PostgreSQL
-- partitions the deliveries (see the PostgreSQL migration of the same name).
-- SQLite keeps one table of each.
ALTER TABLE webhook_deliveries ADD COLUMN change_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00';
UPDATE webhook_deliveries
SET change_at = COALESCE((SELECT c.created_at FROM changes c WHERE c.seq = webhook_deliveries.seq), created_at);
