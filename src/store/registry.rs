//! The township's registry: villages, registered kiosks and the nonces of recent
//! requests. Each village's own data (households, ledger, change feed) lives in a
//! village database with the kiosk's schema, beside this file.

use std::path::Path;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};

use super::Result;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS villages (
    code       TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS devices (
    id         TEXT PRIMARY KEY,
    village    TEXT NOT NULL REFERENCES villages(code),
    name       TEXT NOT NULL,
    public_key TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
-- Nonces of signed requests inside the clock-skew window; a reused one is a replay.
CREATE TABLE IF NOT EXISTS nonces (
    device  TEXT NOT NULL,
    nonce   TEXT NOT NULL,
    seen_at INTEGER NOT NULL,
    PRIMARY KEY (device, nonce)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS nonces_seen ON nonces(seen_at);
-- Rule files imported at the township, replayed into every village added later.
CREATE TABLE IF NOT EXISTS rule_imports (
    seq         INTEGER PRIMARY KEY,
    file_name   TEXT NOT NULL,
    csv         BLOB NOT NULL,
    imported_at TEXT NOT NULL
);
";

/// A registered village.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VillageRow {
    pub code: String,
    pub name: String,
}

/// A registered kiosk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRow {
    pub id: String,
    pub village: String,
    pub name: String,
    pub public_key: String,
}

pub struct Registry {
    conn: Connection,
}

impl Registry {
    pub fn open(path: &Path) -> Result<Registry> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(15))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.execute_batch(SCHEMA)?;
        Ok(Registry { conn })
    }

    pub fn village(&self, code: &str) -> Result<Option<VillageRow>> {
        Ok(self
            .conn
            .query_row("SELECT code, name FROM villages WHERE code = ?1", [code], |r| {
                Ok(VillageRow {
                    code: r.get(0)?,
                    name: r.get(1)?,
                })
            })
            .optional()?)
    }

    pub fn villages(&self) -> Result<Vec<VillageRow>> {
        let mut stmt = self.conn.prepare("SELECT code, name FROM villages ORDER BY code")?;
        let rows = stmt
            .query_map([], |r| {
                Ok(VillageRow {
                    code: r.get(0)?,
                    name: r.get(1)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    pub fn add_village(&self, code: &str, name: &str, at: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO villages (code, name, created_at) VALUES (?1, ?2, ?3)",
            params![code, name, at],
        )?;
        Ok(())
    }

    pub fn device(&self, id: &str) -> Result<Option<DeviceRow>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, village, name, public_key FROM devices WHERE id = ?1",
                [id],
                device_row,
            )
            .optional()?)
    }

    pub fn devices(&self) -> Result<Vec<DeviceRow>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, village, name, public_key FROM devices ORDER BY village, name")?;
        let rows = stmt.query_map([], device_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    pub fn add_device(&self, d: &DeviceRow, at: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO devices (id, village, name, public_key, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![d.id, d.village, d.name, d.public_key, at],
        )?;
        Ok(())
    }

    /// Records a request's nonce; false if it was seen before (a replay). Nonces older
    /// than `forget_before` are dropped: their timestamps are refused as stale anyway.
    pub fn remember_nonce(&self, device: &str, nonce: &str, now: i64, forget_before: i64) -> Result<bool> {
        self.conn
            .execute("DELETE FROM nonces WHERE seen_at < ?1", [forget_before])?;
        let inserted = self.conn.execute(
            "INSERT OR IGNORE INTO nonces (device, nonce, seen_at) VALUES (?1, ?2, ?3)",
            params![device, nonce, now],
        )?;
        Ok(inserted == 1)
    }

    pub fn add_rule_import(&self, file_name: &str, csv: &[u8], at: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO rule_imports (file_name, csv, imported_at) VALUES (?1, ?2, ?3)",
            params![file_name, csv, at],
        )?;
        Ok(())
    }

    pub fn rule_imports(&self) -> Result<Vec<(String, Vec<u8>)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT file_name, csv FROM rule_imports ORDER BY seq")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}

fn device_row(r: &rusqlite::Row) -> rusqlite::Result<DeviceRow> {
    Ok(DeviceRow {
        id: r.get(0)?,
        village: r.get(1)?,
        name: r.get(2)?,
        public_key: r.get(3)?,
    })
}
