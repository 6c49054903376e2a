-- Places every change first (in id order, after the last place given), so
-- that `seq` can be the key again.
UPDATE changes SET seq = p.n + (SELECT last FROM change_counter WHERE id = 1)
  FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM changes WHERE seq IS NULL) AS p
  WHERE changes.id = p.id;
UPDATE change_counter SET last = COALESCE((SELECT max(seq) FROM changes), 0) WHERE id = 1;

ALTER TABLE notifications DROP CONSTRAINT notifications_change_id_fkey;
UPDATE notifications SET change_id = c.seq FROM changes c WHERE c.id = notifications.change_id;
ALTER TABLE notifications RENAME COLUMN change_id TO change_seq;

DROP INDEX changes_dossier;
CREATE INDEX changes_dossier ON changes (dossier_code, seq);
DROP INDEX changes_undelivered;
CREATE INDEX changes_undelivered ON changes (delivered_at, seq);
DROP INDEX changes_unplaced;
DROP INDEX changes_seq;
ALTER TABLE changes DROP CONSTRAINT changes_pkey;
ALTER TABLE changes ALTER COLUMN seq SET NOT NULL;
ALTER TABLE changes ADD CONSTRAINT changes_pkey PRIMARY KEY (seq);
ALTER TABLE changes DROP COLUMN id;

ALTER TABLE notifications ADD CONSTRAINT notifications_change_seq_fkey FOREIGN KEY (change_seq) REFERENCES changes (seq);
