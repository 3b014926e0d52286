-- Schema version 7: vouchers a clerk redeemed for a household that cannot come to the hall
-- (代兑换 / 送奖上门, DESIGN.md §13): who redeemed it, who takes it to the household, and
-- when the household got it. The voucher and its ledger entry are the ordinary ones.
CREATE TABLE proxy_redemptions (
    serial       TEXT PRIMARY KEY REFERENCES vouchers(serial),
    clerk        TEXT NOT NULL,
    deliverer    TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    delivered_at TEXT,
    delivered_by TEXT
);
