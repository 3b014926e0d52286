-- The township on PostgreSQL, schema version 7: the web console's accounts, sessions (by
-- the SHA-256 of their cookie) and audit log (issue 18), as the SQLite registry keeps them.
CREATE TABLE IF NOT EXISTS console_users (
    name          text PRIMARY KEY,
    role          text NOT NULL CHECK (role IN ('township', 'cadre', 'grid', 'merchant')),
    village       text,
    grid          text,
    merchant      text,
    password_hash text NOT NULL,
    active        boolean NOT NULL DEFAULT true,
    failed_logins bigint NOT NULL DEFAULT 0,
    locked_until  timestamptz,
    created_at    timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS console_sessions (
    token_sha256 text PRIMARY KEY,
    "user"       text NOT NULL REFERENCES console_users(name),
    csrf         text NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS console_audit (
    seq    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at     timestamptz NOT NULL,
    "user" text NOT NULL,
    action text NOT NULL,
    detail text NOT NULL
);
