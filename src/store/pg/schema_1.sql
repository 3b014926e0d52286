-- The township on PostgreSQL, schema version 1 (issue 7). One set of tables holds every
-- village, each row keyed by its village code. It mirrors the kiosk's SQLite schema, so
-- records apply with the same meaning on both engines.

CREATE TABLE villages (
    code          text PRIMARY KEY,
    name          text NOT NULL,
    -- The key for hashing resident ID numbers (DESIGN.md §5.7): a backup of this database
    -- must be kept as safe as the residents themselves.
    id_number_key bytea NOT NULL CHECK (length(id_number_key) = 32),
    -- The last position of the village's change feed. Every writing transaction locks this
    -- row first, so positions are committed in order and a reader can never see position
    -- n + 1 before n (a cursor never skips a row committed late).
    feed_last     bigint NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL
);

CREATE TABLE devices (
    id         text PRIMARY KEY,
    village    text NOT NULL REFERENCES villages(code),
    name       text NOT NULL,
    public_key text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL
);

-- Request nonces, kept ten minutes to refuse replays.
CREATE TABLE nonces (
    device  text NOT NULL,
    nonce   text NOT NULL,
    seen_at bigint NOT NULL,
    PRIMARY KEY (device, nonce)
);
CREATE INDEX nonces_seen ON nonces(seen_at);

-- Rule files imported for every village, replayed for villages added later.
CREATE TABLE rule_imports (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    file_name   text NOT NULL,
    csv         bytea NOT NULL,
    imported_at timestamptz NOT NULL
);

CREATE TABLE rules (
    village    text NOT NULL REFERENCES villages(code),
    code       text NOT NULL,
    area       text NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('bonus', 'deduction')),
    points     bigint NOT NULL CHECK (points > 0),
    text       text NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (village, code)
);

CREATE TABLE households (
    village    text NOT NULL REFERENCES villages(code),
    code       text NOT NULL,
    grid       text NOT NULL,
    qr_token   text,
    -- Cached sum of the household's ledger; `verify` checks it.
    balance    bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (village, code),
    UNIQUE (village, qr_token)
);

-- Residents are found by the keyed hash of their ID number, never the number itself.
CREATE TABLE residents (
    village   text NOT NULL,
    id_hash   text NOT NULL CHECK (id_hash ~ '^[0-9a-f]{64}$'),
    household text NOT NULL,
    name      text NOT NULL,
    role      text NOT NULL CHECK (role IN ('head', 'member')),
    id_last4  text NOT NULL CHECK (length(id_last4) = 4),
    -- Registration order, so a household's residents come back in the order they came.
    pos       bigint GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (village, id_hash),
    FOREIGN KEY (village, household) REFERENCES households(village, code)
);
CREATE INDEX residents_household ON residents(village, household);

CREATE TABLE ledger (
    seq         bigint GENERATED ALWAYS AS IDENTITY,
    id          uuid PRIMARY KEY,
    village     text NOT NULL,
    household   text NOT NULL,
    delta       bigint NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('award', 'deduction', 'correction', 'redemption', 'refund')),
    rule_code   text,
    reason      text NOT NULL,
    month       text NOT NULL,
    source      text NOT NULL,
    recorded_by text NOT NULL,
    created_at  timestamptz NOT NULL,
    corrects    uuid REFERENCES ledger(id),
    -- Scoring-sheet rows: one sheet imported at a kiosk and at the township counts once.
    dedupe_key  text,
    UNIQUE (village, dedupe_key),
    FOREIGN KEY (village, household) REFERENCES households(village, code),
    FOREIGN KEY (village, rule_code) REFERENCES rules(village, code)
);
CREATE INDEX ledger_household ON ledger(village, household, seq);
CREATE INDEX ledger_month ON ledger(village, month);

CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only';
END $$;
CREATE TRIGGER ledger_no_change BEFORE UPDATE OR DELETE ON ledger
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();

-- Merit (awards, deductions, corrections) per household and month, for rankings.
CREATE TABLE merit_monthly (
    village   text NOT NULL,
    household text NOT NULL,
    month     text NOT NULL,
    earned    bigint NOT NULL,
    PRIMARY KEY (village, household, month),
    FOREIGN KEY (village, household) REFERENCES households(village, code)
);
CREATE INDEX merit_monthly_month ON merit_monthly(village, month);

CREATE TABLE items (
    village     text NOT NULL REFERENCES villages(code),
    code        text NOT NULL,
    name        text NOT NULL,
    points_cost bigint NOT NULL CHECK (points_cost > 0),
    -- NULL means unlimited (a service such as a haircut).
    stock       bigint CHECK (stock IS NULL OR stock >= 0),
    merchant    text,
    sponsor     text,
    valid_days  integer NOT NULL CHECK (valid_days > 0),
    active      boolean NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (village, code)
);

-- Every change of a limited item's stock, so `verify` can prove stock is conserved.
CREATE TABLE stock_moves (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    village    text NOT NULL,
    item       text NOT NULL,
    delta      bigint NOT NULL,
    reason     text NOT NULL CHECK (reason IN ('initial', 'restock', 'redemption', 'void')),
    ref        text,
    created_at timestamptz NOT NULL,
    FOREIGN KEY (village, item) REFERENCES items(village, code)
);
CREATE INDEX stock_moves_item ON stock_moves(village, item);

CREATE TABLE redemptions (
    id          text PRIMARY KEY,
    village     text NOT NULL,
    household   text NOT NULL,
    item        text NOT NULL,
    qty         bigint NOT NULL CHECK (qty > 0),
    points      bigint NOT NULL CHECK (points > 0),
    ledger_id   uuid NOT NULL UNIQUE REFERENCES ledger(id),
    recorded_by text NOT NULL,
    created_at  timestamptz NOT NULL,
    FOREIGN KEY (village, household) REFERENCES households(village, code),
    FOREIGN KEY (village, item) REFERENCES items(village, code)
);

CREATE TABLE vouchers (
    serial           text PRIMARY KEY,
    village          text NOT NULL,
    redemption_id    text NOT NULL UNIQUE REFERENCES redemptions(id),
    status           text NOT NULL CHECK (status IN ('pending', 'printed', 'settled', 'void', 'expired')),
    qr_payload       text NOT NULL,
    issued_at        timestamptz NOT NULL,
    expires_on       date NOT NULL,
    settled_at       timestamptz,
    settled_merchant text,
    settled_by       text,
    void_reason      text,
    refund_ledger_id uuid UNIQUE REFERENCES ledger(id)
);
CREATE INDEX vouchers_village ON vouchers(village, status);

-- Each village's change feed: what its kiosks pull. `origin` is the kiosk whose pushed
-- event caused the change (NULL for the township's own), so its pull skips its own echo.
CREATE TABLE feed (
    village    text NOT NULL REFERENCES villages(code),
    pos        bigint NOT NULL,
    id         uuid NOT NULL UNIQUE,
    kind       text NOT NULL,
    subject    text NOT NULL,
    origin     text,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (village, pos)
);

-- Events pushed by kiosks and applied. The primary key and UNIQUE (device, seq) make
-- applying idempotent; `digest` tells a retry from another event reusing an id or a seq.
CREATE TABLE received_events (
    id          uuid PRIMARY KEY,
    device      text NOT NULL REFERENCES devices(id),
    seq         bigint NOT NULL,
    kind        text NOT NULL,
    digest      text NOT NULL,
    received_at timestamptz NOT NULL,
    UNIQUE (device, seq)
);

-- A household taken below zero by an entry that arrived by sync.
CREATE TABLE overdrafts (
    entry_id      uuid PRIMARY KEY REFERENCES ledger(id),
    village       text NOT NULL,
    household     text NOT NULL,
    balance_after bigint NOT NULL,
    flagged_at    timestamptz NOT NULL
);

CREATE TABLE imports (
    village     text NOT NULL REFERENCES villages(code),
    digest      text NOT NULL,
    kind        text NOT NULL,
    file_name   text NOT NULL,
    rows        bigint NOT NULL,
    imported_at timestamptz NOT NULL,
    PRIMARY KEY (village, digest)
);
