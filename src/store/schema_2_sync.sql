-- Schema version 2: township sync (issue 6).

-- Which device caused an outbox event. NULL on a kiosk (its own change); on a township
-- village database, the kiosk whose pushed event was applied, so that kiosk's pull skips
-- the echo of its own change (and never takes an older catalogue snapshot for a newer).
ALTER TABLE outbox ADD COLUMN origin TEXT;

-- Events pushed by kiosks and applied here (township side). The primary key and the unique
-- (device, seq) make applying idempotent; `digest` tells a retry from a different event
-- reusing an id or a sequence number.
CREATE TABLE received_events (
    id          TEXT PRIMARY KEY,
    device      TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    digest      TEXT NOT NULL,
    received_at TEXT NOT NULL,
    UNIQUE (device, seq)
);

-- A household taken below zero by an entry that arrived by sync (an offline redemption
-- meeting a deduction). Kept for township staff; the household cannot redeem meanwhile.
CREATE TABLE overdrafts (
    entry_id       TEXT PRIMARY KEY REFERENCES ledger(id),
    household_code TEXT NOT NULL REFERENCES households(code),
    balance_after  INTEGER NOT NULL,
    flagged_at     TEXT NOT NULL
);
