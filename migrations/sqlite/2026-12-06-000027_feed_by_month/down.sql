ALTER TABLE webhook_deliveries DROP COLUMN change_at;
