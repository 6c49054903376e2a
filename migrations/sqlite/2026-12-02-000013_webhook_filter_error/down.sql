ALTER TABLE webhooks DROP COLUMN filter_error;
