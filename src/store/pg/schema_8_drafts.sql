-- The township on PostgreSQL, schema version 8: grid workers' findings waiting for the
-- month's publication, and their photos (issue 18), as the SQLite registry keeps them.
CREATE TABLE IF NOT EXISTS console_drafts (
    id          text PRIMARY KEY,
    village     text NOT NULL,
    grid        text NOT NULL,
    household   text NOT NULL,
    rule        text NOT NULL,
    points      bigint,
    note        text NOT NULL,
    month       text NOT NULL,
    recorded_by text NOT NULL,
    status      text NOT NULL CHECK (status IN ('draft', 'published', 'dropped')),
    problem     text,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS console_drafts_by_month ON console_drafts (village, month);

CREATE TABLE IF NOT EXISTS console_draft_photos (
    draft  text NOT NULL REFERENCES console_drafts(id),
    seq    bigint NOT NULL,
    sha256 text NOT NULL,
    jpeg   bytea NOT NULL,
    PRIMARY KEY (draft, seq)
);
