-- The township on PostgreSQL, schema version 6: sponsors' funds and proxy redemptions
-- (issue 19), as the kiosks keep them (their migrations 6 and 7), every row keyed by its
-- village. Money in whole fen.
CREATE TABLE IF NOT EXISTS sponsors (
    village    text NOT NULL,
    name       text NOT NULL,
    note       text,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (village, name)
);

CREATE TABLE IF NOT EXISTS sponsor_receipts (
    village     text NOT NULL,
    id          text NOT NULL,
    sponsor     text NOT NULL,
    amount_fen  bigint NOT NULL CHECK (amount_fen > 0),
    note        text,
    recorded_by text NOT NULL,
    received_on date NOT NULL,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (village, id),
    FOREIGN KEY (village, sponsor) REFERENCES sponsors(village, name)
);

CREATE TABLE IF NOT EXISTS item_costs (
    village       text NOT NULL,
    item_code     text NOT NULL,
    sponsor       text NOT NULL,
    unit_cost_fen bigint NOT NULL CHECK (unit_cost_fen >= 0),
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (village, item_code),
    FOREIGN KEY (village, sponsor) REFERENCES sponsors(village, name)
);

-- A redemption's cost to a fund: committed while its voucher is outstanding, spent once
-- settled, released by a void or an expiry.
CREATE TABLE IF NOT EXISTS fund_commitments (
    village       text NOT NULL,
    redemption_id text NOT NULL,
    sponsor       text NOT NULL,
    cost_fen      bigint NOT NULL CHECK (cost_fen >= 0),
    PRIMARY KEY (village, redemption_id),
    FOREIGN KEY (village, sponsor) REFERENCES sponsors(village, name)
);

CREATE TABLE IF NOT EXISTS proxy_redemptions (
    village      text NOT NULL,
    serial       text NOT NULL,
    clerk        text NOT NULL,
    deliverer    text NOT NULL,
    created_at   timestamptz NOT NULL,
    delivered_at timestamptz,
    delivered_by text,
    PRIMARY KEY (village, serial)
);

-- The merchants' report reads a village's settled vouchers by month.
CREATE INDEX IF NOT EXISTS vouchers_settled ON vouchers(village, settled_at) WHERE status = 'settled';
