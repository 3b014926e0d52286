-- Schema version 3: a village's fleet of kiosks (DESIGN.md §8) and bounded trust (§9).

-- The village's kiosks as the township numbers them, with the keys that verify their
-- vouchers, so any kiosk settles any voucher of the village. Filled from the feed.
CREATE TABLE kiosks (
    device         TEXT PRIMARY KEY,
    number         INTEGER NOT NULL UNIQUE CHECK (number BETWEEN 1 AND 999),
    name           TEXT NOT NULL,
    voucher_key    TEXT,
    legacy_serials INTEGER NOT NULL DEFAULT 0 CHECK (legacy_serials IN (0, 1)),
    retired_at     TEXT,
    retired_reason TEXT
);

-- Stock lives on shelves: the goods a kiosk holds (holder = its device id). Only that
-- kiosk takes goods off its shelf, so two kiosks offline never hand out more than exists.
-- Moves travel between kiosks and the township by their uid; moves from before fleets
-- (uid NULL) are history, replaced by one opening move per shelf.
ALTER TABLE stock_moves ADD COLUMN uid TEXT;
ALTER TABLE stock_moves ADD COLUMN holder TEXT;
CREATE UNIQUE INDEX stock_moves_uid ON stock_moves(uid);
CREATE TABLE shelves (
    item_code TEXT NOT NULL REFERENCES catalogue(code),
    holder    TEXT NOT NULL,
    stock     INTEGER NOT NULL CHECK (stock >= 0),
    PRIMARY KEY (item_code, holder)
) WITHOUT ROWID;

-- Where a voucher was settled, so a double settlement names both places.
ALTER TABLE vouchers ADD COLUMN settled_device TEXT;

-- A voucher settled at two kiosks while both were offline (or settled after a void):
-- the first applied stays, the other is kept here for township staff.
CREATE TABLE double_settlements (
    id             INTEGER PRIMARY KEY,
    serial         TEXT NOT NULL REFERENCES vouchers(serial),
    kept_status    TEXT NOT NULL,
    kept_device    TEXT,
    kept_by        TEXT,
    kept_at        TEXT,
    other_device   TEXT,
    other_by       TEXT,
    other_merchant TEXT,
    other_at       TEXT,
    flagged_at     TEXT NOT NULL,
    UNIQUE (serial, other_device, other_at)
);

-- Sync events that could not be applied, with the reason, tried again every round. The
-- event is kept as the wire text it came in (only the sync code reads it).
-- `origin` is the kiosk that pushed it (township side) or NULL (the feed, kiosk side);
-- `seq` its sequence number or feed position.
CREATE TABLE set_aside (
    id         TEXT PRIMARY KEY,
    origin     TEXT,
    seq        INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    reason     TEXT NOT NULL,
    forbidden  INTEGER NOT NULL CHECK (forbidden IN (0, 1)),
    raw        TEXT NOT NULL,
    first_at   TEXT NOT NULL,
    last_at    TEXT NOT NULL,
    tries      INTEGER NOT NULL DEFAULT 1
);

-- The PIN lockout, per clerk, kept across restarts; and deactivated clerks stay listed.
ALTER TABLE clerks ADD COLUMN failed_pins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clerks ADD COLUMN locked_until TEXT;

-- Every clerk action (restock, edit, settle, void, reprint, award, card), by name; it
-- reaches the township with the rest.
CREATE TABLE clerk_actions (
    id      TEXT PRIMARY KEY,
    clerk   TEXT NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail  TEXT NOT NULL,
    device  TEXT,
    at      TEXT NOT NULL
);
CREATE INDEX clerk_actions_at ON clerk_actions(at);
