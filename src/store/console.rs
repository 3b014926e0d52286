//! The township web console's accounts, sessions and audit log in the SQLite registry
//! (registry version 2). A session is found by the SHA-256 of its cookie, never the cookie
//! itself; a password only as its Argon2id hash.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use super::{parse_time, time_text, Registry, Result};

/// Registry version 2: console users, their sessions and the audit log.
pub(super) const CONSOLE: &str = "
CREATE TABLE console_users (
    name          TEXT PRIMARY KEY,
    role          TEXT NOT NULL CHECK (role IN ('township', 'cadre', 'grid', 'merchant')),
    village       TEXT,
    grid          TEXT,
    merchant      TEXT,
    password_hash TEXT NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  TEXT,
    created_at    TEXT NOT NULL
);
CREATE TABLE console_sessions (
    token_sha256 TEXT PRIMARY KEY,
    user         TEXT NOT NULL REFERENCES console_users(name),
    csrf         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
CREATE TABLE console_audit (
    seq    INTEGER PRIMARY KEY,
    at     TEXT NOT NULL,
    user   TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
";

/// A console account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleUserRow {
    pub name: String,
    /// `township`, `cadre`, `grid` or `merchant`.
    pub role: String,
    pub village: Option<String>,
    pub grid: Option<String>,
    pub merchant: Option<String>,
    pub password_hash: String,
    pub active: bool,
    pub failed_logins: i64,
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A signed-in session: whose, its form token, until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSessionRow {
    pub user: String,
    pub csrf: String,
    pub expires_at: DateTime<Utc>,
}

/// One line of the audit log: who did what, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub at: DateTime<Utc>,
    pub user: String,
    pub action: String,
    pub detail: String,
}

const USER_COLS: &str =
    "name, role, village, grid, merchant, password_hash, active, failed_logins, locked_until, created_at";

impl Registry {
    /// False when the name is taken.
    pub fn insert_console_user(&self, u: &ConsoleUserRow) -> Result<bool> {
        Ok(self.conn.execute(
            "INSERT INTO console_users (name, role, village, grid, merchant, password_hash, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (name) DO NOTHING",
            params![
                u.name,
                u.role,
                u.village,
                u.grid,
                u.merchant,
                u.password_hash,
                time_text(u.created_at)
            ],
        )? == 1)
    }

    pub fn console_user(&self, name: &str) -> Result<Option<ConsoleUserRow>> {
        let row = self
            .conn
            .prepare_cached(&format!("SELECT {USER_COLS} FROM console_users WHERE name = ?1"))?
            .query_row([name], user_cols)
            .optional()?;
        row.map(user_from_cols).transpose()
    }

    pub fn console_users(&self) -> Result<Vec<ConsoleUserRow>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {USER_COLS} FROM console_users ORDER BY name"))?;
        let rows = stmt.query_map([], user_cols)?.collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(user_from_cols).collect()
    }

    /// Deactivates an account and ends its sessions; false when there is none.
    pub fn deactivate_console_user(&self, name: &str) -> Result<bool> {
        let tx = self.conn.unchecked_transaction()?;
        let changed = tx.execute("UPDATE console_users SET active = 0 WHERE name = ?1", [name])?;
        tx.execute("DELETE FROM console_sessions WHERE user = ?1", [name])?;
        tx.commit()?;
        Ok(changed == 1)
    }

    /// Records a login's outcome: the failures so far and any lockout.
    pub fn set_console_login_state(&self, name: &str, failed: i64, locked_until: Option<DateTime<Utc>>) -> Result<()> {
        self.conn.execute(
            "UPDATE console_users SET failed_logins = ?2, locked_until = ?3 WHERE name = ?1",
            params![name, failed, locked_until.map(time_text)],
        )?;
        Ok(())
    }

    pub fn insert_console_session(&self, token_sha256: &str, s: &ConsoleSessionRow, at: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "INSERT INTO console_sessions (token_sha256, user, csrf, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![token_sha256, s.user, s.csrf, time_text(at), time_text(s.expires_at)],
        )?;
        Ok(())
    }

    pub fn console_session(&self, token_sha256: &str) -> Result<Option<ConsoleSessionRow>> {
        let row = self
            .conn
            .prepare_cached("SELECT user, csrf, expires_at FROM console_sessions WHERE token_sha256 = ?1")?
            .query_row([token_sha256], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
            })
            .optional()?;
        row.map(|(user, csrf, at)| {
            Ok(ConsoleSessionRow {
                user,
                csrf,
                expires_at: parse_time(at)?,
            })
        })
        .transpose()
    }

    pub fn delete_console_session(&self, token_sha256: &str) -> Result<()> {
        self.conn
            .execute("DELETE FROM console_sessions WHERE token_sha256 = ?1", [token_sha256])?;
        Ok(())
    }

    pub fn insert_audit(&self, row: &AuditRow) -> Result<()> {
        self.conn.execute(
            "INSERT INTO console_audit (at, user, action, detail) VALUES (?1, ?2, ?3, ?4)",
            params![time_text(row.at), row.user, row.action, row.detail],
        )?;
        Ok(())
    }

    /// The newest `limit` lines, newest first.
    pub fn audit_rows(&self, limit: usize) -> Result<Vec<AuditRow>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT at, user, action, detail FROM console_audit ORDER BY seq DESC LIMIT ?1")?;
        let rows = stmt
            .query_map([limit as i64], |r| {
                Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(at, user, action, detail)| {
                Ok(AuditRow {
                    at: parse_time(at)?,
                    user,
                    action,
                    detail,
                })
            })
            .collect()
    }
}

type UserCols = (
    (String, String, Option<String>, Option<String>, Option<String>),
    (String, bool, i64, Option<String>, String),
);

fn user_cols(r: &rusqlite::Row) -> rusqlite::Result<UserCols> {
    Ok((
        (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?),
        (r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?),
    ))
}

fn user_from_cols(
    ((name, role, village, grid, merchant), (password_hash, active, failed_logins, locked, at)): UserCols,
) -> Result<ConsoleUserRow> {
    Ok(ConsoleUserRow {
        name,
        role,
        village,
        grid,
        merchant,
        password_hash,
        active,
        failed_logins,
        locked_until: locked.map(parse_time).transpose()?,
        created_at: parse_time(at)?,
    })
}
