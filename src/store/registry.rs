//! The township's registry: villages, registered kiosks and the nonces of recent
//! requests. Each village's own data (households, ledger, change feed) lives in a
//! village database with the kiosk's schema, beside this file.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use super::{parse_time, time_text, Result};

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

/// Registry version 1: the fleet. Each kiosk has a number within its village (part of its
/// serials, never given twice), the key its vouchers are signed with, when it was last
/// heard from, and whether it was retired.
const FLEET: &str = "
ALTER TABLE devices ADD COLUMN number INTEGER;
ALTER TABLE devices ADD COLUMN voucher_key TEXT;
ALTER TABLE devices ADD COLUMN legacy_serials INTEGER NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN retired_at TEXT;
ALTER TABLE devices ADD COLUMN retired_reason TEXT;
ALTER TABLE devices ADD COLUMN last_seen_at TEXT;
ALTER TABLE devices ADD COLUMN outbox_last INTEGER NOT NULL DEFAULT 0;
UPDATE devices SET number = (SELECT count(*) FROM devices d WHERE d.village = devices.village
                                                              AND d.rowid <= devices.rowid);
CREATE UNIQUE INDEX devices_number ON devices(village, number);
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
    /// Its request-signing key (base64).
    pub public_key: String,
    /// Its number within the village.
    pub number: u32,
    /// The key its vouchers are signed with (base64), once it said hello.
    pub voucher_key: Option<String>,
    pub legacy_serials: bool,
    pub retired: Option<(DateTime<Utc>, String)>,
    pub last_seen: Option<DateTime<Utc>>,
    /// The last event in its outbox, as it said at its last hello.
    pub outbox_last: i64,
}

impl DeviceRow {
    /// A kiosk just registered: it has not said hello yet.
    pub fn registered(id: String, village: &str, name: &str, public_key: String, number: u32) -> DeviceRow {
        DeviceRow {
            id,
            village: village.to_string(),
            name: name.trim().to_string(),
            public_key,
            number,
            voucher_key: None,
            legacy_serials: false,
            retired: None,
            last_seen: None,
            outbox_last: 0,
        }
    }
}

const DEVICE_COLS: &str = "id, village, name, public_key, number, voucher_key, legacy_serials, retired_at, \
                           retired_reason, last_seen_at, outbox_last";

pub struct Registry {
    pub(super) conn: Connection,
}

impl Registry {
    pub fn open(path: &Path) -> Result<Registry> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(15))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.execute_batch(SCHEMA)?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version < 1 {
            let tx = conn.unchecked_transaction()?;
            tx.execute_batch(FLEET)?;
            tx.pragma_update(None, "user_version", 1)?;
            tx.commit()?;
        }
        if version < 2 {
            let tx = conn.unchecked_transaction()?;
            tx.execute_batch(super::console::CONSOLE)?;
            tx.pragma_update(None, "user_version", 2)?;
            tx.commit()?;
        }
        if version < 3 {
            let tx = conn.unchecked_transaction()?;
            tx.execute_batch(super::console_drafts::CONSOLE_DRAFTS)?;
            tx.pragma_update(None, "user_version", 3)?;
            tx.commit()?;
        }
        Ok(Registry { conn })
    }

    /// A consistent copy of the registry into a new file (`VACUUM INTO`), taken while
    /// the server keeps running.
    pub fn backup_into(&self, to: &std::path::Path) -> Result<()> {
        self.conn.execute("VACUUM INTO ?1", [to.to_string_lossy().as_ref()])?;
        Ok(())
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
        let row = self
            .conn
            .prepare_cached(&format!("SELECT {DEVICE_COLS} FROM devices WHERE id = ?1"))?
            .query_row([id], device_cols)
            .optional()?;
        row.map(device_from_cols).transpose()
    }

    pub fn devices(&self) -> Result<Vec<DeviceRow>> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {DEVICE_COLS} FROM devices ORDER BY village, number"))?;
        let rows = stmt.query_map([], device_cols)?.collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(device_from_cols).collect()
    }

    /// The next number of a village's kiosks: one more than any ever given (retired
    /// boxes keep theirs, so a serial never names two kiosks).
    pub fn next_device_number(&self, village: &str) -> Result<u32> {
        Ok(self.conn.query_row(
            "SELECT coalesce(max(number), 0) + 1 FROM devices WHERE village = ?1",
            [village],
            |r| r.get(0),
        )?)
    }

    pub fn add_device(&self, d: &DeviceRow, at: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO devices (id, village, name, public_key, number, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![d.id, d.village, d.name, d.public_key, d.number, at],
        )?;
        Ok(())
    }

    /// What a kiosk said at its hello: its voucher key (kept from the first time), whether
    /// it printed old serials, its outbox, and that it was heard from now.
    pub fn device_said_hello(
        &self,
        id: &str,
        voucher_key: &str,
        legacy_serials: bool,
        outbox_last: i64,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE devices SET voucher_key = coalesce(voucher_key, ?2), legacy_serials = max(legacy_serials, ?3),
                 outbox_last = ?4, last_seen_at = ?5
             WHERE id = ?1",
            params![id, voucher_key, legacy_serials, outbox_last, time_text(at)],
        )?;
        Ok(())
    }

    pub fn device_seen(&self, id: &str, at: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "UPDATE devices SET last_seen_at = ?2 WHERE id = ?1",
            params![id, time_text(at)],
        )?;
        Ok(())
    }

    pub fn retire_device(&self, id: &str, reason: &str, at: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "UPDATE devices SET retired_at = ?3, retired_reason = ?2 WHERE id = ?1 AND retired_at IS NULL",
            params![id, reason, time_text(at)],
        )?;
        Ok(())
    }

    /// Records a request's nonce; false if it was seen before (a replay). Nonces older
    /// than `forget_before` are dropped: their timestamps are refused as stale anyway.
    /// Commits without waiting for the disk (`synchronous=NORMAL` for this write only; the
    /// next full commit's sync carries it, WAL being sequential): every signed request
    /// remembers its nonce, and a power cut may forget the last moments' nonces, whose
    /// replay is idempotent anyway (pushes carry event ids).
    pub fn remember_nonce(&self, device: &str, nonce: &str, now: i64, forget_before: i64) -> Result<bool> {
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        let result = self.insert_nonce(device, nonce, now, forget_before);
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        result
    }

    fn insert_nonce(&self, device: &str, nonce: &str, now: i64, forget_before: i64) -> Result<bool> {
        self.conn.execute(
            "DELETE FROM nonces WHERE device = ?1 AND seen_at < ?2",
            params![device, forget_before],
        )?;
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

type DeviceCols = (
    (String, String, String, String, u32, Option<String>),
    (bool, Option<String>, Option<String>, Option<String>, i64),
);

fn device_cols(r: &rusqlite::Row) -> rusqlite::Result<DeviceCols> {
    Ok((
        (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?),
        (r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?, r.get(10)?),
    ))
}

fn device_from_cols(c: DeviceCols) -> Result<DeviceRow> {
    let ((id, village, name, public_key, number, voucher_key), (legacy_serials, retired_at, reason, seen, outbox)) = c;
    Ok(DeviceRow {
        id,
        village,
        name,
        public_key,
        number,
        voucher_key,
        legacy_serials,
        retired: retired_at
            .map(|at| Ok::<_, super::StoreError>((parse_time(at)?, reason.unwrap_or_default())))
            .transpose()?,
        last_seen: seen.map(parse_time).transpose()?,
        outbox_last: outbox,
    })
}
