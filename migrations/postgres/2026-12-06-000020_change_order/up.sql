-- Writers no longer take the feed's place in their own transaction (the
-- one-row counter made every writer of the province wait for the one before
-- it to commit). A change is written with an `id` from a sequence and no
-- place in the feed; `seq`, the gap-free place, is given after commit by the
-- sequencer (persistence/src/changes.rs, `sequence`), which alone locks the
-- counter and numbers the committed changes that have none, in `id` order.
-- Existing changes keep their place, and their id is their place.
ALTER TABLE notifications DROP CONSTRAINT notifications_change_seq_fkey;
ALTER TABLE notifications RENAME COLUMN change_seq TO change_id;

ALTER TABLE changes ADD COLUMN id BIGINT;
UPDATE changes SET id = seq;
ALTER TABLE changes ALTER COLUMN id SET NOT NULL;
ALTER TABLE changes DROP CONSTRAINT changes_pkey;
ALTER TABLE changes ADD CONSTRAINT changes_pkey PRIMARY KEY (id);
ALTER TABLE changes ALTER COLUMN seq DROP NOT NULL;
CREATE SEQUENCE changes_id_seq OWNED BY changes.id;
SELECT setval('changes_id_seq', (SELECT COALESCE(max(id), 0) + 1 FROM changes), false);
ALTER TABLE changes ALTER COLUMN id SET DEFAULT nextval('changes_id_seq');
CREATE UNIQUE INDEX changes_seq ON changes (seq);
-- What the sequencer looks for: committed changes without a place.
CREATE INDEX changes_unplaced ON changes (id) WHERE seq IS NULL;
DROP INDEX changes_undelivered;
CREATE INDEX changes_undelivered ON changes (delivered_at, id);
DROP INDEX changes_dossier;
CREATE INDEX changes_dossier ON changes (dossier_code, id);

ALTER TABLE notifications ADD CONSTRAINT notifications_change_id_fkey FOREIGN KEY (change_id) REFERENCES changes (id);
