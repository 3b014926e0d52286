//! Rows for evidence: the photos named on entries, the bytes held here (all of them at
//! the township, a bounded cache at a kiosk), downloads cut short and uploads not yet taken.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use uuid::Uuid;

use super::{parse_col, parse_time, time_text, Result, Tx};
use crate::domain::evidence::EvidenceRecord;

/// A photo named on an entry whose bytes are not here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingPhoto {
    pub sha256: String,
    pub size: i64,
}

const EVIDENCE_COLS: &str = "id, entry_id, sha256, size, recorded_by, recorded_at";

impl Tx<'_> {
    /// Records a photo on an entry; false when it was already recorded.
    pub fn insert_evidence(&self, e: &EvidenceRecord) -> Result<bool> {
        Ok(self.exec(
            "INSERT INTO evidence (id, entry_id, sha256, size, recorded_by, recorded_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(id) DO NOTHING",
            params![
                e.id.to_string(),
                e.entry.to_string(),
                e.sha256,
                e.size,
                e.recorded_by,
                time_text(e.recorded_at)
            ],
        )? == 1)
    }

    pub fn evidence(&self, id: Uuid) -> Result<Option<EvidenceRecord>> {
        let sql = format!("SELECT {EVIDENCE_COLS} FROM evidence WHERE id = ?1");
        let row = self.row(&sql, [id.to_string()], evidence_row).optional()?;
        row.map(evidence_from).transpose()
    }

    /// The photos of an entry, in the order they were given.
    pub fn evidence_of_entry(&self, entry: Uuid) -> Result<Vec<EvidenceRecord>> {
        let sql = format!("SELECT {EVIDENCE_COLS} FROM evidence WHERE entry_id = ?1 ORDER BY recorded_at, rowid");
        self.evidence_query(&sql, [entry.to_string()])
    }

    /// The photos on a household's entries, each with whether its bytes are here.
    pub fn evidence_of_household(&self, household: &str) -> Result<Vec<(EvidenceRecord, bool)>> {
        let rows: Vec<(EvidenceRow, bool)> = {
            let mut stmt = self.tx.prepare_cached(
                "SELECT e.id, e.entry_id, e.sha256, e.size, e.recorded_by, e.recorded_at,
                        EXISTS (SELECT 1 FROM evidence_photos p WHERE p.sha256 = e.sha256)
                 FROM evidence e JOIN ledger l ON l.id = e.entry_id
                 WHERE l.household_code = ?1 ORDER BY e.recorded_at, e.rowid",
            )?;
            let rows = stmt.query_map([household], |r| Ok((evidence_row(r)?, r.get(6)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        rows.into_iter()
            .map(|(r, held)| Ok((evidence_from(r)?, held)))
            .collect()
    }

    /// Which of `ids` are recorded here.
    pub fn known_evidence(&self, ids: &[Uuid]) -> Result<HashSet<Uuid>> {
        let mut known = HashSet::new();
        for id in ids {
            if self
                .row("SELECT 1 FROM evidence WHERE id = ?1", [id.to_string()], |_| Ok(()))
                .optional()?
                .is_some()
            {
                known.insert(*id);
            }
        }
        Ok(known)
    }

    /// Whether an entry here names a photo with this digest.
    pub fn names_photo(&self, sha256: &str) -> Result<bool> {
        Ok(self
            .row("SELECT 1 FROM evidence WHERE sha256 = ?1 LIMIT 1", [sha256], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Keeps a photo's bytes (already checked against their digest by the caller).
    pub fn put_photo(&self, sha256: &str, bytes: &[u8], now: DateTime<Utc>) -> Result<()> {
        self.exec(
            "INSERT INTO evidence_photos (sha256, bytes, used_at) VALUES (?1, ?2, ?3)
             ON CONFLICT(sha256) DO UPDATE SET used_at = excluded.used_at",
            params![sha256, bytes, time_text(now)],
        )?;
        self.exec("DELETE FROM evidence_downloads WHERE sha256 = ?1", [sha256])?;
        Ok(())
    }

    pub fn photo(&self, sha256: &str) -> Result<Option<Vec<u8>>> {
        Ok(self
            .row("SELECT bytes FROM evidence_photos WHERE sha256 = ?1", [sha256], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Marks a photo as just seen, so the cache keeps it longest.
    pub fn touch_photo(&self, sha256: &str, now: DateTime<Utc>) -> Result<()> {
        self.exec(
            "UPDATE evidence_photos SET used_at = ?2 WHERE sha256 = ?1",
            params![sha256, time_text(now)],
        )?;
        Ok(())
    }

    /// Bytes of photos held here.
    pub fn photo_bytes_held(&self) -> Result<i64> {
        Ok(
            self.row("SELECT COALESCE(SUM(length(bytes)), 0) FROM evidence_photos", [], |r| {
                r.get(0)
            })?,
        )
    }

    /// Drops the least recently used photos until at most `max_bytes` are held; a photo
    /// still to be uploaded is never dropped. Returns how many went.
    pub fn evict_photos(&self, max_bytes: i64) -> Result<usize> {
        let mut held = self.photo_bytes_held()?;
        let victims: Vec<(String, i64)> = {
            let mut stmt = self.tx.prepare_cached(
                "SELECT sha256, length(bytes) FROM evidence_photos
                 WHERE sha256 NOT IN (SELECT sha256 FROM evidence_uploads)
                 ORDER BY used_at, sha256",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut dropped = 0;
        for (sha, len) in victims {
            if held <= max_bytes {
                break;
            }
            self.exec("DELETE FROM evidence_photos WHERE sha256 = ?1", [&sha])?;
            held -= len;
            dropped += 1;
        }
        Ok(dropped)
    }

    /// Photos named on entries whose bytes are not here, those of the newest entries first.
    pub fn missing_photos(&self, limit: usize) -> Result<Vec<MissingPhoto>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT e.sha256, MAX(e.size) FROM evidence e JOIN ledger l ON l.id = e.entry_id
             WHERE e.sha256 NOT IN (SELECT sha256 FROM evidence_photos)
             GROUP BY e.sha256 ORDER BY MAX(l.seq) DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok(MissingPhoto {
                sha256: r.get(0)?,
                size: r.get(1)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// What came of a download cut short.
    pub fn download_so_far(&self, sha256: &str) -> Result<Vec<u8>> {
        Ok(self
            .row(
                "SELECT bytes FROM evidence_downloads WHERE sha256 = ?1",
                [sha256],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or_default())
    }

    pub fn save_download(&self, sha256: &str, bytes: &[u8], now: DateTime<Utc>) -> Result<()> {
        self.exec(
            "INSERT INTO evidence_downloads (sha256, bytes, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT(sha256) DO UPDATE SET bytes = excluded.bytes, updated_at = excluded.updated_at",
            params![sha256, bytes, time_text(now)],
        )?;
        Ok(())
    }

    pub fn drop_download(&self, sha256: &str) -> Result<()> {
        self.exec("DELETE FROM evidence_downloads WHERE sha256 = ?1", [sha256])?;
        Ok(())
    }

    /// A photo recorded here waits to be sent to the township.
    pub fn queue_upload(&self, sha256: &str) -> Result<()> {
        self.exec(
            "INSERT INTO evidence_uploads (sha256) VALUES (?1) ON CONFLICT DO NOTHING",
            [sha256],
        )?;
        Ok(())
    }

    pub fn pending_uploads(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .tx
            .prepare_cached("SELECT sha256 FROM evidence_uploads ORDER BY sha256")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn upload_done(&self, sha256: &str) -> Result<()> {
        self.exec("DELETE FROM evidence_uploads WHERE sha256 = ?1", [sha256])?;
        Ok(())
    }

    fn evidence_query<P: rusqlite::Params>(&self, sql: &str, params: P) -> Result<Vec<EvidenceRecord>> {
        let rows: Vec<_> = {
            let mut stmt = self.tx.prepare_cached(sql)?;
            let rows = stmt.query_map(params, evidence_row)?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        rows.into_iter().map(evidence_from).collect()
    }
}

type EvidenceRow = (String, String, String, i64, String, String);

fn evidence_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<EvidenceRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
}

fn evidence_from((id, entry, sha256, size, recorded_by, recorded_at): EvidenceRow) -> Result<EvidenceRecord> {
    Ok(EvidenceRecord {
        id: parse_col(id, "evidence id", |s| Uuid::parse_str(s).ok())?,
        entry: parse_col(entry, "evidence entry", |s| Uuid::parse_str(s).ok())?,
        sha256,
        size,
        recorded_by,
        recorded_at: parse_time(recorded_at)?,
    })
}
