-- Schema version 6: sponsors' funds (issue 19, DESIGN.md §13). Money in whole fen.
-- What a fund has committed, spent and released is read off the commitments and their
-- vouchers' status, never kept as a running figure, so it cannot drift from the vouchers.
CREATE TABLE sponsors (
    name       TEXT PRIMARY KEY,
    note       TEXT,
    created_at TEXT NOT NULL
);

-- Money received from a sponsor (one row per gift).
CREATE TABLE sponsor_receipts (
    id          TEXT PRIMARY KEY,
    sponsor     TEXT NOT NULL REFERENCES sponsors(name),
    amount_fen  INTEGER NOT NULL CHECK (amount_fen > 0),
    note        TEXT,
    recorded_by TEXT NOT NULL,
    -- China date, for the statement of a year.
    received_on TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX sponsor_receipts_sponsor ON sponsor_receipts(sponsor);

-- What one unit of an item costs its sponsor's fund (paid to the merchant at settlement).
CREATE TABLE item_costs (
    item_code     TEXT PRIMARY KEY REFERENCES catalogue(code),
    sponsor       TEXT NOT NULL REFERENCES sponsors(name),
    unit_cost_fen INTEGER NOT NULL CHECK (unit_cost_fen >= 0),
    updated_at    TEXT NOT NULL
);

-- A redemption's cost to a fund, written in the redemption's own transaction. Committed
-- while its voucher is outstanding, spent once settled, released by a void or expiry.
CREATE TABLE fund_commitments (
    redemption_id TEXT PRIMARY KEY REFERENCES redemptions(id),
    sponsor       TEXT NOT NULL REFERENCES sponsors(name),
    cost_fen      INTEGER NOT NULL CHECK (cost_fen >= 0)
);
CREATE INDEX fund_commitments_sponsor ON fund_commitments(sponsor);
