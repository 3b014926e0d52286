//! A village's evidence photos and disputes on PostgreSQL, as the kiosk's SQLite keeps them.
//! The township holds every photo's bytes.

use std::collections::{HashMap, HashSet};

use tokio_postgres::Row;
use uuid::Uuid;

use super::{PgError, PgTx, Result};
use crate::domain::evidence::{DisputeOutcome, DisputeRecord, EvidenceRecord, Verdict};

const EVIDENCE_COLS: &str = "id, entry_id, sha256, size, recorded_by, recorded_at";
const DISPUTE_COLS: &str = "id, entry_id, household, opened_by, opened_at, device, note, \
     verdict, correction_id, outcome_note, resolved_by, resolved_at";

impl PgTx<'_> {
    pub async fn insert_evidence(&self, village: &str, rows: &[EvidenceRecord]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        self.exec(
            "INSERT INTO evidence (id, village, entry_id, sha256, size, recorded_by, recorded_at)
             SELECT id, $1, entry_id, sha256, size, recorded_by, recorded_at
             FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::bigint[], $6::text[], $7::timestamptz[])
                 AS t(id, entry_id, sha256, size, recorded_by, recorded_at)
             ON CONFLICT DO NOTHING",
            &[
                &village,
                &rows.iter().map(|e| e.id).collect::<Vec<_>>(),
                &rows.iter().map(|e| e.entry).collect::<Vec<_>>(),
                &rows.iter().map(|e| e.sha256.as_str()).collect::<Vec<_>>(),
                &rows.iter().map(|e| e.size).collect::<Vec<_>>(),
                &rows.iter().map(|e| e.recorded_by.as_str()).collect::<Vec<_>>(),
                &rows.iter().map(|e| e.recorded_at).collect::<Vec<_>>(),
            ],
        )
        .await?;
        Ok(())
    }

    pub async fn known_evidence(&self, ids: &[Uuid]) -> Result<HashSet<Uuid>> {
        let rows = self.q("SELECT id FROM evidence WHERE id = ANY($1)", &[&ids]).await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    pub async fn evidence(&self, village: &str, id: Uuid) -> Result<Option<EvidenceRecord>> {
        let sql = format!("SELECT {EVIDENCE_COLS} FROM evidence WHERE village = $1 AND id = $2");
        Ok(self.q_opt(&sql, &[&village, &id]).await?.as_ref().map(evidence_record))
    }

    pub async fn evidence_of_entry(&self, village: &str, entry: Uuid) -> Result<Vec<EvidenceRecord>> {
        let sql = format!(
            "SELECT {EVIDENCE_COLS} FROM evidence WHERE village = $1 AND entry_id = $2 ORDER BY recorded_at, id"
        );
        Ok(self
            .q(&sql, &[&village, &entry])
            .await?
            .iter()
            .map(evidence_record)
            .collect())
    }

    pub async fn evidence_of_household(&self, village: &str, household: &str) -> Result<Vec<EvidenceRecord>> {
        let rows = self
            .q(
                "SELECT e.id, e.entry_id, e.sha256, e.size, e.recorded_by, e.recorded_at
                 FROM evidence e JOIN ledger l ON l.id = e.entry_id
                 WHERE e.village = $1 AND l.household = $2 ORDER BY e.recorded_at, e.id",
                &[&village, &household],
            )
            .await?;
        Ok(rows.iter().map(evidence_record).collect())
    }

    pub async fn put_photo(&self, village: &str, sha256: &str, bytes: &[u8]) -> Result<()> {
        self.exec(
            "INSERT INTO evidence_photos (village, sha256, bytes) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&village, &sha256, &bytes],
        )
        .await?;
        Ok(())
    }

    pub async fn photo(&self, village: &str, sha256: &str) -> Result<Option<Vec<u8>>> {
        Ok(self
            .q_opt(
                "SELECT bytes FROM evidence_photos WHERE village = $1 AND sha256 = $2",
                &[&village, &sha256],
            )
            .await?
            .map(|r| r.get(0)))
    }

    pub async fn names_photo(&self, village: &str, sha256: &str) -> Result<bool> {
        Ok(self
            .q_opt(
                "SELECT 1 FROM evidence WHERE village = $1 AND sha256 = $2 LIMIT 1",
                &[&village, &sha256],
            )
            .await?
            .is_some())
    }

    /// Opens disputes, or writes an answer onto one held open.
    pub async fn upsert_disputes(&self, village: &str, rows: &[DisputeRecord]) -> Result<()> {
        for d in rows {
            let o = d.outcome.as_ref();
            self.exec(
                "INSERT INTO disputes (id, village, entry_id, household, opened_by, opened_at, device, note,
                                       verdict, correction_id, outcome_note, resolved_by, resolved_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                 ON CONFLICT (id) DO UPDATE SET verdict = excluded.verdict, correction_id = excluded.correction_id,
                     outcome_note = excluded.outcome_note, resolved_by = excluded.resolved_by,
                     resolved_at = excluded.resolved_at
                 WHERE disputes.verdict IS NULL AND excluded.verdict IS NOT NULL",
                &[
                    &d.id,
                    &village,
                    &d.entry,
                    &d.household,
                    &d.opened_by,
                    &d.opened_at,
                    &d.device,
                    &d.note,
                    &o.map(|o| o.verdict.key()),
                    &o.and_then(|o| o.correction),
                    &o.map(|o| o.note.as_str()),
                    &o.map(|o| o.by.as_str()),
                    &o.map(|o| o.at),
                ],
            )
            .await?;
        }
        Ok(())
    }

    /// Disputes already held: id → answered.
    pub async fn dispute_states(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, bool>> {
        let rows = self
            .q(
                "SELECT id, verdict IS NOT NULL FROM disputes WHERE id = ANY($1)",
                &[&ids],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// Entry → its open dispute.
    pub async fn open_disputes_of(&self, entries: &[Uuid]) -> Result<HashMap<Uuid, Uuid>> {
        let rows = self
            .q(
                "SELECT entry_id, id FROM disputes WHERE entry_id = ANY($1) AND verdict IS NULL",
                &[&entries],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// The village a dispute belongs to.
    pub async fn dispute_village(&self, id: Uuid) -> Result<Option<String>> {
        Ok(self
            .q_opt("SELECT village FROM disputes WHERE id = $1", &[&id])
            .await?
            .map(|r| r.get(0)))
    }

    pub async fn dispute(&self, village: &str, id: Uuid) -> Result<Option<DisputeRecord>> {
        let sql = format!("SELECT {DISPUTE_COLS} FROM disputes WHERE village = $1 AND id = $2");
        self.q_opt(&sql, &[&village, &id])
            .await?
            .as_ref()
            .map(dispute_record)
            .transpose()
    }

    pub async fn disputes_of_entry(&self, village: &str, entry: Uuid) -> Result<Vec<DisputeRecord>> {
        let sql =
            format!("SELECT {DISPUTE_COLS} FROM disputes WHERE village = $1 AND entry_id = $2 ORDER BY opened_at, id");
        self.q(&sql, &[&village, &entry])
            .await?
            .iter()
            .map(dispute_record)
            .collect()
    }

    pub async fn disputes_of_household(&self, village: &str, household: &str) -> Result<Vec<DisputeRecord>> {
        let sql =
            format!("SELECT {DISPUTE_COLS} FROM disputes WHERE village = $1 AND household = $2 ORDER BY opened_at, id");
        self.q(&sql, &[&village, &household])
            .await?
            .iter()
            .map(dispute_record)
            .collect()
    }

    pub async fn disputes(&self, village: &str, open_only: bool) -> Result<Vec<DisputeRecord>> {
        let sql = format!(
            "SELECT {DISPUTE_COLS} FROM disputes WHERE village = $1 AND (NOT $2 OR verdict IS NULL)
             ORDER BY opened_at, id"
        );
        self.q(&sql, &[&village, &open_only])
            .await?
            .iter()
            .map(dispute_record)
            .collect()
    }
}

fn evidence_record(r: &Row) -> EvidenceRecord {
    EvidenceRecord {
        id: r.get(0),
        entry: r.get(1),
        sha256: r.get(2),
        size: r.get(3),
        recorded_by: r.get(4),
        recorded_at: r.get(5),
    }
}

fn dispute_record(r: &Row) -> Result<DisputeRecord> {
    let verdict: Option<String> = r.get(7);
    let outcome = verdict
        .map(|v| {
            Ok::<_, PgError>(DisputeOutcome {
                verdict: Verdict::parse(&v).ok_or_else(|| PgError::Corrupt(format!("dispute verdict '{v}'")))?,
                correction: r.get(8),
                note: r.get::<_, Option<String>>(9).unwrap_or_default(),
                by: r.get::<_, Option<String>>(10).unwrap_or_default(),
                at: r
                    .get::<_, Option<chrono::DateTime<chrono::Utc>>>(11)
                    .ok_or_else(|| PgError::Corrupt("an answered dispute without its time".into()))?,
            })
        })
        .transpose()?;
    Ok(DisputeRecord {
        id: r.get(0),
        entry: r.get(1),
        household: r.get(2),
        opened_by: r.get(3),
        opened_at: r.get(4),
        device: r.get(5),
        note: r.get(6),
        outcome,
    })
}
