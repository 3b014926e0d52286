-- The township on PostgreSQL, schema version 3: what a pushed batch and a scoring sheet
-- write goes in set-based, and the hottest foreign keys go. Each was checked row by row
-- with a row lock on the parent (a household locked once per entry), the largest share of
-- an ingest. What they guarded is decided before anything is written (app::apply sets an
-- event aside whose household, rule or corrected entry is unknown; imports refuse such
-- rows), and `verify` checks it afterwards (CHECKS in village.rs).
ALTER TABLE ledger DROP CONSTRAINT IF EXISTS ledger_village_household_fkey;
ALTER TABLE ledger DROP CONSTRAINT IF EXISTS ledger_village_rule_code_fkey;
ALTER TABLE ledger DROP CONSTRAINT IF EXISTS ledger_corrects_fkey;
ALTER TABLE received_events DROP CONSTRAINT IF EXISTS received_events_device_fkey;
ALTER TABLE feed DROP CONSTRAINT IF EXISTS feed_village_fkey;
