//! Rows for disputes: a household's question about an entry and the township's answer.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use uuid::Uuid;

use super::{parse_col, parse_time, time_text, Result, Tx};
use crate::domain::evidence::{DisputeOutcome, DisputeRecord, Verdict};

const DISPUTE_COLS: &str = "id, entry_id, household_code, opened_by, opened_at, device, note, \
     verdict, correction_id, outcome_note, resolved_by, resolved_at";

impl Tx<'_> {
    /// Records a dispute as it is (open, or already answered); an answer that arrives for a
    /// dispute held open here is written onto it. False when nothing changed.
    pub fn upsert_dispute(&self, d: &DisputeRecord) -> Result<bool> {
        let o = d.outcome.as_ref();
        Ok(self.exec(
            "INSERT INTO disputes (id, entry_id, household_code, opened_by, opened_at, device, note,
                                   verdict, correction_id, outcome_note, resolved_by, resolved_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
             ON CONFLICT(id) DO UPDATE SET verdict = excluded.verdict, correction_id = excluded.correction_id,
                 outcome_note = excluded.outcome_note, resolved_by = excluded.resolved_by,
                 resolved_at = excluded.resolved_at
             WHERE disputes.verdict IS NULL AND excluded.verdict IS NOT NULL",
            params![
                d.id.to_string(),
                d.entry.to_string(),
                d.household,
                d.opened_by,
                time_text(d.opened_at),
                d.device,
                d.note,
                o.map(|o| o.verdict.key()),
                o.and_then(|o| o.correction).map(|c| c.to_string()),
                o.map(|o| o.note.as_str()),
                o.map(|o| o.by.as_str()),
                o.map(|o| time_text(o.at)),
            ],
        )? == 1)
    }

    pub fn dispute(&self, id: Uuid) -> Result<Option<DisputeRecord>> {
        let sql = format!("SELECT {DISPUTE_COLS} FROM disputes WHERE id = ?1");
        let row = self.row(&sql, [id.to_string()], dispute_row).optional()?;
        row.map(dispute_from).transpose()
    }

    /// Every dispute of an entry, oldest first.
    pub fn disputes_of_entry(&self, entry: Uuid) -> Result<Vec<DisputeRecord>> {
        let sql = format!("SELECT {DISPUTE_COLS} FROM disputes WHERE entry_id = ?1 ORDER BY opened_at, id");
        self.dispute_query(&sql, [entry.to_string()])
    }

    pub fn disputes_of_household(&self, household: &str) -> Result<Vec<DisputeRecord>> {
        let sql = format!("SELECT {DISPUTE_COLS} FROM disputes WHERE household_code = ?1 ORDER BY opened_at, id");
        self.dispute_query(&sql, [household])
    }

    /// Every dispute of the village, the oldest open ones first.
    pub fn disputes(&self, open_only: bool) -> Result<Vec<DisputeRecord>> {
        let sql = format!(
            "SELECT {DISPUTE_COLS} FROM disputes WHERE (?1 = 0 OR verdict IS NULL)
             ORDER BY verdict IS NOT NULL, opened_at, id"
        );
        self.dispute_query(&sql, [open_only as i64])
    }

    /// For each of `entries` that has one, its open dispute's id.
    pub fn open_disputes_of(&self, entries: &[Uuid]) -> Result<HashMap<Uuid, Uuid>> {
        let mut open = HashMap::new();
        for entry in entries {
            let id: Option<String> = self
                .row(
                    "SELECT id FROM disputes WHERE entry_id = ?1 AND verdict IS NULL",
                    [entry.to_string()],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(id) = id {
                open.insert(*entry, parse_col(id, "dispute id", |s| Uuid::parse_str(s).ok())?);
            }
        }
        Ok(open)
    }

    /// Answers not yet shown to the household at this kiosk.
    pub fn unannounced_outcomes(&self, household: &str) -> Result<Vec<DisputeRecord>> {
        let sql = format!(
            "SELECT {DISPUTE_COLS} FROM disputes
             WHERE household_code = ?1 AND verdict IS NOT NULL AND announced_at IS NULL ORDER BY resolved_at, id"
        );
        self.dispute_query(&sql, [household])
    }

    pub fn mark_announced(&self, id: Uuid, now: DateTime<Utc>) -> Result<()> {
        self.exec(
            "UPDATE disputes SET announced_at = ?2 WHERE id = ?1",
            params![id.to_string(), time_text(now)],
        )?;
        Ok(())
    }

    fn dispute_query<P: rusqlite::Params>(&self, sql: &str, params: P) -> Result<Vec<DisputeRecord>> {
        let rows: Vec<_> = {
            let mut stmt = self.tx.prepare_cached(sql)?;
            let rows = stmt.query_map(params, dispute_row)?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        rows.into_iter().map(dispute_from).collect()
    }
}

struct DisputeRow {
    id: String,
    entry: String,
    household: String,
    opened_by: String,
    opened_at: String,
    device: String,
    note: String,
    verdict: Option<String>,
    correction: Option<String>,
    outcome_note: Option<String>,
    resolved_by: Option<String>,
    resolved_at: Option<String>,
}

fn dispute_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DisputeRow> {
    Ok(DisputeRow {
        id: r.get(0)?,
        entry: r.get(1)?,
        household: r.get(2)?,
        opened_by: r.get(3)?,
        opened_at: r.get(4)?,
        device: r.get(5)?,
        note: r.get(6)?,
        verdict: r.get(7)?,
        correction: r.get(8)?,
        outcome_note: r.get(9)?,
        resolved_by: r.get(10)?,
        resolved_at: r.get(11)?,
    })
}

fn dispute_from(r: DisputeRow) -> Result<DisputeRecord> {
    let uuid = |s: String, what: &str| parse_col(s, what, |s| Uuid::parse_str(s).ok());
    let outcome = match r.verdict {
        None => None,
        Some(v) => Some(DisputeOutcome {
            verdict: parse_col(v, "dispute verdict", Verdict::parse)?,
            correction: r.correction.map(|c| uuid(c, "correction id")).transpose()?,
            note: r.outcome_note.unwrap_or_default(),
            by: r.resolved_by.unwrap_or_default(),
            at: parse_time(r.resolved_at.unwrap_or_default())?,
        }),
    };
    Ok(DisputeRecord {
        id: uuid(r.id, "dispute id")?,
        entry: uuid(r.entry, "dispute entry")?,
        household: r.household,
        opened_by: r.opened_by,
        opened_at: parse_time(r.opened_at)?,
        device: r.device,
        note: r.note,
        outcome,
    })
}
