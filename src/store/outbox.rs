use rusqlite::params;
use uuid::Uuid;

use super::{time_text, Result, Tx};

/// A change to report to the township. The event names its subject (a redemption id,
/// a serial, an entry id); the sync module reads the subject and builds the wire message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEvent {
    pub seq: i64,
    pub id: Uuid,
    pub kind: String,
    pub subject: String,
}

impl Tx<'_> {
    /// Appends an event with the next gapless sequence number, in the caller's transaction.
    pub fn append_event(&self, kind: &str, subject: &str, at: chrono::DateTime<chrono::Utc>) -> Result<i64> {
        let seq: i64 = self
            .tx
            .query_row("SELECT coalesce(max(seq), 0) + 1 FROM outbox", [], |r| r.get(0))?;
        self.tx.execute(
            "INSERT INTO outbox (seq, id, kind, subject, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![seq, Uuid::now_v7().to_string(), kind, subject, time_text(at)],
        )?;
        Ok(seq)
    }

    /// Events not yet acknowledged by the township, oldest first.
    pub fn unpushed_events(&self, limit: usize) -> Result<Vec<OutboxEvent>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT seq, id, kind, subject FROM outbox WHERE pushed_at IS NULL ORDER BY seq LIMIT ?1",
        )?;
        let rows = stmt
            .query_map([limit as i64], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(seq, id, kind, subject)| {
                let id = super::parse_col(id, "event id", |s| Uuid::parse_str(s).ok())?;
                Ok(OutboxEvent { seq, id, kind, subject })
            })
            .collect()
    }

    pub fn unpushed_count(&self) -> Result<i64> {
        Ok(self
            .tx
            .query_row("SELECT count(*) FROM outbox WHERE pushed_at IS NULL", [], |r| r.get(0))?)
    }
}
