use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{parse_time, time_text, Result, Tx};

/// A clerk as stored: the PIN only as its Argon2id hash, and the lockout state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClerkRow {
    pub name: String,
    pub pin_hash: String,
    pub active: bool,
    pub failed_pins: i64,
    pub locked_until: Option<DateTime<Utc>>,
}

impl Tx<'_> {
    /// Adds a clerk or replaces their PIN hash (a new PIN re-activates them and clears
    /// their lock).
    pub fn upsert_clerk(&self, name: &str, pin_hash: &str, at: DateTime<Utc>) -> Result<()> {
        self.exec(
            "INSERT INTO clerks (name, pin_hash, active, created_at) VALUES (?1, ?2, 1, ?3)
             ON CONFLICT (name) DO UPDATE SET pin_hash = excluded.pin_hash, active = 1,
                 failed_pins = 0, locked_until = NULL",
            params![name, pin_hash, time_text(at)],
        )?;
        Ok(())
    }

    /// False when there is no such clerk.
    pub fn deactivate_clerk(&self, name: &str) -> Result<bool> {
        Ok(self.exec("UPDATE clerks SET active = 0 WHERE name = ?1", [name])? == 1)
    }

    /// Every clerk, active or not, by name.
    pub fn clerks(&self) -> Result<Vec<ClerkRow>> {
        let mut stmt = self
            .tx
            .prepare_cached("SELECT name, pin_hash, active, failed_pins, locked_until FROM clerks ORDER BY name")?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, bool>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(name, pin_hash, active, failed_pins, locked_until)| {
                Ok(ClerkRow {
                    name,
                    pin_hash,
                    active,
                    failed_pins,
                    locked_until: locked_until.map(parse_time).transpose()?,
                })
            })
            .collect()
    }

    pub fn reset_pin_failures(&self, name: &str) -> Result<()> {
        self.exec(
            "UPDATE clerks SET failed_pins = 0, locked_until = NULL WHERE name = ?1",
            [name],
        )?;
        Ok(())
    }

    /// Counts a wrong PIN against a clerk; at `tries` the clerk is locked until
    /// `lock_until` and the count starts again. True when this locked them.
    pub fn count_pin_failure(&self, name: &str, tries: i64, lock_until: DateTime<Utc>) -> Result<bool> {
        self.exec(
            "UPDATE clerks SET failed_pins = failed_pins + 1 WHERE name = ?1",
            [name],
        )?;
        let n = self.exec(
            "UPDATE clerks SET failed_pins = 0, locked_until = ?3 WHERE name = ?1 AND failed_pins >= ?2",
            params![name, tries, time_text(lock_until)],
        )?;
        Ok(n == 1)
    }
}
