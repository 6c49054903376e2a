-- A subscription whose stored filter cannot be read stops (deliveries are no
-- longer made for it) and says why here, instead of widening to everything.
ALTER TABLE webhooks ADD COLUMN filter_error TEXT;
