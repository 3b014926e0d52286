-- The township on PostgreSQL, schema version 5: evidence photos and disputes (issue 17).
-- The township keeps every photo's bytes; a kiosk fetches them by digest.
CREATE TABLE IF NOT EXISTS evidence (
    id          uuid PRIMARY KEY,
    village     text NOT NULL,
    entry_id    uuid NOT NULL,
    sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size        bigint NOT NULL,
    recorded_by text NOT NULL,
    recorded_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS evidence_entry ON evidence(entry_id);

CREATE TABLE IF NOT EXISTS evidence_photos (
    village text NOT NULL,
    sha256  text NOT NULL,
    bytes   bytea NOT NULL,
    PRIMARY KEY (village, sha256)
);

CREATE TABLE IF NOT EXISTS disputes (
    id            uuid PRIMARY KEY,
    village       text NOT NULL,
    entry_id      uuid NOT NULL,
    household     text NOT NULL,
    opened_by     text NOT NULL,
    opened_at     timestamptz NOT NULL,
    device        text NOT NULL,
    note          text NOT NULL DEFAULT '',
    verdict       text CHECK (verdict IN ('upheld', 'corrected')),
    correction_id uuid,
    outcome_note  text,
    resolved_by   text,
    resolved_at   timestamptz
);
CREATE UNIQUE INDEX IF NOT EXISTS disputes_open_entry ON disputes(entry_id) WHERE verdict IS NULL;
CREATE INDEX IF NOT EXISTS disputes_village ON disputes(village, opened_at);
