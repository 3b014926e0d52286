use rusqlite::OptionalExtension;

use super::{Result, Tx};

impl Tx<'_> {
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.exec(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        Ok(())
    }

    /// Takes the next value of a named counter (voucher serials), starting at 1.
    pub fn next_counter(&self, name: &str) -> Result<u64> {
        self.exec(
            "INSERT INTO counters (name, value) VALUES (?1, 1)
             ON CONFLICT (name) DO UPDATE SET value = value + 1",
            [name],
        )?;
        let v: i64 = self.row("SELECT value FROM counters WHERE name = ?1", [name], |r| r.get(0))?;
        Ok(v as u64)
    }

    /// A named counter's value without taking one (0 before its first use).
    pub fn counter(&self, name: &str) -> Result<u64> {
        let v: Option<i64> = self
            .row("SELECT value FROM counters WHERE name = ?1", [name], |r| r.get(0))
            .optional()?;
        Ok(v.unwrap_or(0) as u64)
    }

    /// Records that a file was imported (once per distinct file content).
    pub fn record_import(
        &self,
        digest: &str,
        kind: &str,
        file_name: &str,
        rows: usize,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        self.exec(
            "INSERT OR IGNORE INTO imports (digest, kind, file_name, rows, imported_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![digest, kind, file_name, rows as i64, super::time_text(at)],
        )?;
        Ok(())
    }
}
