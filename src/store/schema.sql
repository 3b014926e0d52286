-- Schema version 1. Times are RFC 3339 UTC text; months are 'YYYY-MM'; ids are UUIDv7 text.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);

CREATE TABLE grids (
    name TEXT PRIMARY KEY
);

CREATE TABLE households (
    code       TEXT PRIMARY KEY,
    grid       TEXT NOT NULL REFERENCES grids(name),
    qr_token   TEXT UNIQUE,
    -- Cached sum of the household's ledger; `verify` checks it against the ledger.
    balance    INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

-- Residents are found by the keyed hash of their ID number; the number itself is never stored.
CREATE TABLE residents (
    id_hash        TEXT PRIMARY KEY,
    household_code TEXT NOT NULL REFERENCES households(code),
    name           TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('head', 'member')),
    id_last4       TEXT NOT NULL CHECK (length(id_last4) = 4)
);
CREATE INDEX residents_household ON residents(household_code);

CREATE TABLE rules (
    code       TEXT PRIMARY KEY,
    area       TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('bonus', 'deduction')),
    points     INTEGER NOT NULL CHECK (points > 0),
    text       TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE ledger (
    seq            INTEGER PRIMARY KEY,
    id             TEXT NOT NULL UNIQUE,
    household_code TEXT NOT NULL REFERENCES households(code),
    delta          INTEGER NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('award', 'deduction', 'correction', 'redemption', 'refund')),
    rule_code      TEXT REFERENCES rules(code),
    reason         TEXT NOT NULL,
    month          TEXT NOT NULL,
    source         TEXT NOT NULL,
    recorded_by    TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    corrects       TEXT REFERENCES ledger(id),
    -- Set for imported sheet rows, so a sheet imported twice adds nothing the second time.
    dedupe_key     TEXT UNIQUE
);
CREATE INDEX ledger_household ON ledger(household_code, seq);

-- Merit (awards, deductions, corrections) per household and month, kept in step with the
-- ledger by this trigger, so a quarterly rank reads three rows per household, not every entry.
CREATE TABLE merit_monthly (
    household_code TEXT NOT NULL REFERENCES households(code),
    month          TEXT NOT NULL,
    earned         INTEGER NOT NULL,
    PRIMARY KEY (household_code, month)
) WITHOUT ROWID;
CREATE INDEX merit_monthly_month ON merit_monthly(month, household_code, earned);

CREATE TRIGGER ledger_merit AFTER INSERT ON ledger
WHEN NEW.kind IN ('award', 'deduction', 'correction')
BEGIN
    INSERT INTO merit_monthly (household_code, month, earned) VALUES (NEW.household_code, NEW.month, NEW.delta)
    ON CONFLICT (household_code, month) DO UPDATE SET earned = earned + excluded.earned;
END;

CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;

CREATE TABLE merchants (
    name TEXT PRIMARY KEY
);

CREATE TABLE catalogue (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    points_cost INTEGER NOT NULL CHECK (points_cost > 0),
    -- NULL means unlimited (a service such as a haircut).
    stock       INTEGER CHECK (stock IS NULL OR stock >= 0),
    merchant    TEXT REFERENCES merchants(name),
    sponsor     TEXT,
    valid_days  INTEGER NOT NULL CHECK (valid_days > 0),
    active      INTEGER NOT NULL CHECK (active IN (0, 1)),
    updated_at  TEXT NOT NULL
);

-- Every change of a limited item's stock, so `verify` can prove stock is conserved.
CREATE TABLE stock_moves (
    id         INTEGER PRIMARY KEY,
    item_code  TEXT NOT NULL REFERENCES catalogue(code),
    delta      INTEGER NOT NULL,
    reason     TEXT NOT NULL CHECK (reason IN ('initial', 'restock', 'redemption', 'void')),
    ref        TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX stock_moves_item ON stock_moves(item_code);

CREATE TABLE redemptions (
    id             TEXT PRIMARY KEY,
    household_code TEXT NOT NULL REFERENCES households(code),
    item_code      TEXT NOT NULL REFERENCES catalogue(code),
    qty            INTEGER NOT NULL CHECK (qty > 0),
    points         INTEGER NOT NULL CHECK (points > 0),
    ledger_id      TEXT NOT NULL UNIQUE REFERENCES ledger(id),
    recorded_by    TEXT NOT NULL,
    created_at     TEXT NOT NULL
);

CREATE TABLE vouchers (
    serial           TEXT PRIMARY KEY,
    redemption_id    TEXT NOT NULL UNIQUE REFERENCES redemptions(id),
    status           TEXT NOT NULL CHECK (status IN ('pending', 'printed', 'settled', 'void', 'expired')),
    qr_payload       TEXT NOT NULL,
    issued_at        TEXT NOT NULL,
    expires_on       TEXT NOT NULL,
    reprint_count    INTEGER NOT NULL DEFAULT 0,
    print_attempts   INTEGER NOT NULL DEFAULT 0,
    last_print_error TEXT,
    settled_at       TEXT,
    settled_merchant TEXT,
    settled_by       TEXT,
    void_reason      TEXT,
    refund_ledger_id TEXT UNIQUE REFERENCES ledger(id)
);
CREATE INDEX vouchers_status ON vouchers(status);

CREATE TABLE clerks (
    name       TEXT PRIMARY KEY,
    pin_hash   TEXT NOT NULL,
    active     INTEGER NOT NULL CHECK (active IN (0, 1)),
    created_at TEXT NOT NULL
);

-- Events for the township, written in the same transaction as the change they report.
-- `seq` is the gapless per-device sequence number the sync protocol relies on.
CREATE TABLE outbox (
    seq        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    pushed_at  TEXT
);
CREATE TRIGGER outbox_gapless BEFORE INSERT ON outbox
WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM outbox)
BEGIN SELECT RAISE(ABORT, 'outbox sequence must be gapless'); END;
CREATE TRIGGER outbox_no_delete BEFORE DELETE ON outbox
BEGIN SELECT RAISE(ABORT, 'outbox events are never deleted'); END;

CREATE TABLE imports (
    digest      TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    rows        INTEGER NOT NULL,
    imported_at TEXT NOT NULL
);
