use rusqlite::{params, OptionalExtension};

use super::{time_text, Result, Tx};

impl Tx<'_> {
    /// Adds a clerk or replaces their PIN hash (a new PIN re-activates them).
    pub fn upsert_clerk(&self, name: &str, pin_hash: &str, at: chrono::DateTime<chrono::Utc>) -> Result<()> {
        self.exec(
            "INSERT INTO clerks (name, pin_hash, active, created_at) VALUES (?1, ?2, 1, ?3)
             ON CONFLICT (name) DO UPDATE SET pin_hash = excluded.pin_hash, active = 1",
            params![name, pin_hash, time_text(at)],
        )?;
        Ok(())
    }

    /// The PIN hash of an active clerk.
    pub fn clerk_pin_hash(&self, name: &str) -> Result<Option<String>> {
        Ok(self
            .row(
                "SELECT pin_hash FROM clerks WHERE name = ?1 AND active = 1",
                [name],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Every active clerk with their PIN hash: the touch UI's keypad knows only a PIN.
    pub fn active_clerks(&self) -> Result<Vec<(String, String)>> {
        let mut stmt = self
            .tx
            .prepare("SELECT name, pin_hash FROM clerks WHERE active = 1 ORDER BY name")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}
