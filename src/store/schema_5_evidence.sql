-- Schema version 5: evidence and disputes (issue 17, DESIGN.md §11).
-- A photo on an entry is named by its digest; the bytes live apart (evidence_photos), so a
-- kiosk can hold the names of every photo and the bytes of only the newest ones.
CREATE TABLE evidence (
    id          TEXT PRIMARY KEY,
    entry_id    TEXT NOT NULL REFERENCES ledger(id),
    sha256      TEXT NOT NULL,
    size        INTEGER NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX evidence_entry ON evidence(entry_id);
CREATE INDEX evidence_sha256 ON evidence(sha256);

-- The bytes of photos held here. At the township every photo; at a kiosk a cache bounded
-- in bytes, the least recently used going first.
CREATE TABLE evidence_photos (
    sha256  TEXT PRIMARY KEY,
    bytes   BLOB NOT NULL,
    used_at TEXT NOT NULL
);

-- A download cut short: what came so far, continued with a Range request next round.
CREATE TABLE evidence_downloads (
    sha256     TEXT PRIMARY KEY,
    bytes      BLOB NOT NULL,
    updated_at TEXT NOT NULL
);

-- A photo recorded at this kiosk that the township has not taken yet.
CREATE TABLE evidence_uploads (
    sha256 TEXT PRIMARY KEY
);

CREATE TABLE disputes (
    id             TEXT PRIMARY KEY,
    entry_id       TEXT NOT NULL REFERENCES ledger(id),
    household_code TEXT NOT NULL REFERENCES households(code),
    opened_by      TEXT NOT NULL,
    opened_at      TEXT NOT NULL,
    device         TEXT NOT NULL,
    note           TEXT NOT NULL DEFAULT '',
    verdict        TEXT CHECK (verdict IN ('upheld', 'corrected')),
    correction_id  TEXT REFERENCES ledger(id),
    outcome_note   TEXT,
    resolved_by    TEXT,
    resolved_at    TEXT,
    -- Local to this kiosk: when the outcome was shown and said to the household.
    announced_at   TEXT
);
-- One open dispute per entry.
CREATE UNIQUE INDEX disputes_open_entry ON disputes(entry_id) WHERE verdict IS NULL;
CREATE INDEX disputes_household ON disputes(household_code);
