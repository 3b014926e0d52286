-- The township on PostgreSQL, schema version 2: a village's fleet of kiosks (DESIGN.md
-- §8) and bounded trust (§9). Mirrors the kiosk's schema version 3.

-- Each kiosk's number within its village (part of every serial it prints, never given
-- twice), the key its vouchers are signed with, when it was last heard from, retirement.
ALTER TABLE devices ADD COLUMN number integer;
ALTER TABLE devices ADD COLUMN voucher_key text;
ALTER TABLE devices ADD COLUMN legacy_serials boolean NOT NULL DEFAULT false;
ALTER TABLE devices ADD COLUMN retired_at timestamptz;
ALTER TABLE devices ADD COLUMN retired_reason text;
ALTER TABLE devices ADD COLUMN last_seen_at timestamptz;
ALTER TABLE devices ADD COLUMN outbox_last bigint NOT NULL DEFAULT 0;
UPDATE devices d SET number = n.number
FROM (SELECT id, row_number() OVER (PARTITION BY village ORDER BY created_at, id) AS number FROM devices) n
WHERE n.id = d.id;
ALTER TABLE devices ALTER COLUMN number SET NOT NULL;
ALTER TABLE devices ADD CONSTRAINT devices_number UNIQUE (village, number);

-- The generation of each village's feed: renewed after a restore from a backup, so its
-- kiosks pull again what they may have seen under positions now handed out anew.
ALTER TABLE villages ADD COLUMN generation text NOT NULL DEFAULT md5(random()::text || clock_timestamp()::text);

-- The township's signing key (every answer is signed with it). As secret as the
-- villages' ID-number keys beside it.
CREATE TABLE township_key (
    id          integer PRIMARY KEY CHECK (id = 1),
    signing_key bytea NOT NULL CHECK (length(signing_key) = 32)
);

-- Stock lives on shelves (holder = the device id of the kiosk whose shelf holds the
-- goods); moves travel by uid. The township holds no goods: existing figures start at
-- zero and are filled by the kiosks' opening moves.
ALTER TABLE stock_moves ADD COLUMN uid uuid UNIQUE;
ALTER TABLE stock_moves ADD COLUMN holder text;
CREATE TABLE shelves (
    village text NOT NULL,
    item    text NOT NULL,
    holder  text NOT NULL,
    stock   bigint NOT NULL CHECK (stock >= 0),
    PRIMARY KEY (village, item, holder),
    FOREIGN KEY (village, item) REFERENCES items(village, code)
);
UPDATE items SET stock = 0 WHERE stock IS NOT NULL;

-- Serials and redemption ids are unique within a village, not across the county.
ALTER TABLE vouchers DROP CONSTRAINT vouchers_redemption_id_fkey;
ALTER TABLE vouchers DROP CONSTRAINT vouchers_redemption_id_key;
ALTER TABLE redemptions DROP CONSTRAINT redemptions_pkey;
ALTER TABLE redemptions ADD PRIMARY KEY (village, id);
ALTER TABLE vouchers DROP CONSTRAINT vouchers_pkey;
ALTER TABLE vouchers ADD PRIMARY KEY (village, serial);
ALTER TABLE vouchers ADD CONSTRAINT vouchers_redemption UNIQUE (village, redemption_id);
ALTER TABLE vouchers ADD CONSTRAINT vouchers_redemption_fkey
    FOREIGN KEY (village, redemption_id) REFERENCES redemptions(village, id);
ALTER TABLE vouchers ADD COLUMN settled_device text;

-- A voucher settled at two kiosks while both were offline (or settled after a void).
CREATE TABLE double_settlements (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    village        text NOT NULL,
    serial         text NOT NULL,
    kept_status    text NOT NULL,
    kept_device    text,
    kept_by        text,
    kept_at        text,
    other_device   text,
    other_by       text,
    other_merchant text,
    other_at       text,
    flagged_at     text NOT NULL,
    UNIQUE (village, serial, other_device, other_at),
    FOREIGN KEY (village, serial) REFERENCES vouchers(village, serial)
);

-- Events pushed by kiosks that could not be applied, with the reason; tried again.
CREATE TABLE set_aside (
    village   text NOT NULL REFERENCES villages(code),
    id        uuid NOT NULL,
    origin    text,
    seq       bigint NOT NULL,
    kind      text NOT NULL,
    subject   text NOT NULL,
    reason    text NOT NULL,
    forbidden boolean NOT NULL,
    raw       text NOT NULL,
    first_at  timestamptz NOT NULL,
    last_at   timestamptz NOT NULL,
    tries     integer NOT NULL DEFAULT 1,
    PRIMARY KEY (village, id)
);

-- What clerks did at the kiosks.
CREATE TABLE clerk_actions (
    id      uuid PRIMARY KEY,
    village text NOT NULL REFERENCES villages(code),
    clerk   text NOT NULL,
    action  text NOT NULL,
    subject text NOT NULL,
    detail  text NOT NULL,
    device  text,
    at      timestamptz NOT NULL
);
CREATE INDEX clerk_actions_at ON clerk_actions(village, at);
