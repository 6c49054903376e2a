ALTER TABLE agencies DROP COLUMN notify_email;
