use rusqlite::params;
use uuid::Uuid;

use super::{time_text, Result, Tx};

impl Tx<'_> {
    /// Appends an event with the next gapless sequence number, in the caller's transaction.
    pub fn append_event(&self, kind: &str, subject: &str, at: chrono::DateTime<chrono::Utc>) -> Result<i64> {
        let seq: i64 = self.row("SELECT coalesce(max(seq), 0) + 1 FROM outbox", [], |r| r.get(0))?;
        self.exec(
            "INSERT INTO outbox (seq, id, kind, subject, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![seq, Uuid::now_v7().to_string(), kind, subject, time_text(at)],
        )?;
        Ok(seq)
    }

    pub fn unpushed_count(&self) -> Result<i64> {
        Ok(self.row("SELECT count(*) FROM outbox WHERE pushed_at IS NULL", [], |r| r.get(0))?)
    }
}
