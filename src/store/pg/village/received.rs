//! The events a village's kiosks pushed, by id and by (device, sequence number).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::super::{PgTx, Result};
use crate::store::ReceivedRow;

impl PgTx<'_> {
    // ---- events received from kiosks ----

    /// An earlier event with this id, or this device and sequence number.
    pub async fn received_event(&self, id: Uuid, device: &str, seq: i64) -> Result<Option<ReceivedRow>> {
        let row = self
            .q_opt(
                "SELECT id, device, seq, digest FROM received_events
                 WHERE id = $1 OR (device = $2 AND seq = $3) LIMIT 1",
                &[&id, &device, &seq],
            )
            .await?;
        Ok(row.map(|r| ReceivedRow {
            id: r.get::<_, Uuid>(0).to_string(),
            device: r.get(1),
            seq: r.get(2),
            digest: r.get(3),
        }))
    }

    pub async fn last_received_seq(&self, device: &str) -> Result<i64> {
        Ok(self
            .q_one(
                "SELECT coalesce(max(seq), 0) FROM received_events WHERE device = $1",
                &[&device],
            )
            .await?
            .get(0))
    }

    pub async fn record_received(&self, id: Uuid, r: &ReceivedRow, kind: &str, at: DateTime<Utc>) -> Result<()> {
        self.exec(
            "INSERT INTO received_events (id, device, seq, kind, digest, received_at) VALUES ($1, $2, $3, $4, $5, $6)",
            &[&id, &r.device, &r.seq, &kind, &r.digest, &at],
        )
        .await?;
        Ok(())
    }
}
