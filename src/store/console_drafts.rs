//! Grid workers' findings waiting for the month's publication (一月一赋分), and their
//! photos, in the SQLite registry (registry version 3). A draft's id becomes its ledger
//! entry's id when the month is published, which is what makes publishing happen once.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use super::{parse_time, time_text, Registry, Result};

/// Registry version 3: console drafts and their photos.
pub(super) const CONSOLE_DRAFTS: &str = "
CREATE TABLE console_drafts (
    id          TEXT PRIMARY KEY,
    village     TEXT NOT NULL,
    grid        TEXT NOT NULL,
    household   TEXT NOT NULL,
    rule        TEXT NOT NULL,
    points      INTEGER,
    note        TEXT NOT NULL,
    month       TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('draft', 'published', 'dropped')),
    problem     TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX console_drafts_by_month ON console_drafts (village, month);
CREATE TABLE console_draft_photos (
    draft  TEXT NOT NULL REFERENCES console_drafts(id),
    seq    INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    jpeg   BLOB NOT NULL,
    PRIMARY KEY (draft, seq)
);
";

/// A finding recorded on the console, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleDraftRow {
    pub id: String,
    pub village: String,
    pub grid: String,
    pub household: String,
    pub rule: String,
    pub points: Option<i64>,
    pub note: String,
    /// `YYYY-MM`: the month the points count in.
    pub month: String,
    pub recorded_by: String,
    /// `draft`, `published` or `dropped`.
    pub status: String,
    /// Why the last publication could not write it, if it could not.
    pub problem: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A draft's photo: our own JPEG and its digest.
pub type DraftPhoto = (String, Vec<u8>);

const DRAFT_COLS: &str =
    "id, village, grid, household, rule, points, note, month, recorded_by, status, problem, created_at, updated_at";

impl Registry {
    /// Writes a new draft or changes one still a draft; `photos`, when given, replace the
    /// draft's. False when the draft exists and is no longer a draft.
    pub fn save_console_draft(&self, d: &ConsoleDraftRow, photos: Option<&[DraftPhoto]>) -> Result<bool> {
        let tx = self.conn.unchecked_transaction()?;
        let written = tx.execute(
            &format!(
                "INSERT INTO console_drafts ({DRAFT_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
                 ON CONFLICT (id) DO UPDATE SET household = excluded.household, grid = excluded.grid,
                     rule = excluded.rule, points = excluded.points, note = excluded.note,
                     problem = NULL, updated_at = excluded.updated_at
                 WHERE console_drafts.status = 'draft'"
            ),
            params![
                d.id,
                d.village,
                d.grid,
                d.household,
                d.rule,
                d.points,
                d.note,
                d.month,
                d.recorded_by,
                d.status,
                d.problem,
                time_text(d.created_at),
                time_text(d.updated_at)
            ],
        )?;
        if written == 0 {
            return Ok(false);
        }
        if let Some(photos) = photos {
            tx.execute("DELETE FROM console_draft_photos WHERE draft = ?1", [&d.id])?;
            for (seq, (sha256, jpeg)) in photos.iter().enumerate() {
                tx.execute(
                    "INSERT INTO console_draft_photos (draft, seq, sha256, jpeg) VALUES (?1, ?2, ?3, ?4)",
                    params![d.id, seq as i64, sha256, jpeg],
                )?;
            }
        }
        tx.commit()?;
        Ok(true)
    }

    pub fn console_draft(&self, id: &str) -> Result<Option<ConsoleDraftRow>> {
        let row = self
            .conn
            .prepare_cached(&format!("SELECT {DRAFT_COLS} FROM console_drafts WHERE id = ?1"))?
            .query_row([id], draft_cols)
            .optional()?;
        row.map(draft_from_cols).transpose()
    }

    /// A village's drafts of a month, every status, by grid and then as recorded.
    pub fn console_drafts(&self, village: &str, month: &str) -> Result<Vec<ConsoleDraftRow>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {DRAFT_COLS} FROM console_drafts WHERE village = ?1 AND month = ?2
             ORDER BY grid, created_at, id"
        ))?;
        let rows = stmt
            .query_map([village, month], draft_cols)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(draft_from_cols).collect()
    }

    pub fn console_draft_photos(&self, id: &str) -> Result<Vec<DraftPhoto>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT sha256, jpeg FROM console_draft_photos WHERE draft = ?1 ORDER BY seq")?;
        let rows = stmt
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    pub fn console_draft_photo_digests(&self, id: &str) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT sha256 FROM console_draft_photos WHERE draft = ?1 ORDER BY seq")?;
        let rows = stmt
            .query_map([id], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Moves a draft from one status to another, noting why when given; false when it
    /// was not in `from` (someone else got there first).
    pub fn set_console_draft_status(&self, id: &str, from: &str, to: &str, problem: Option<&str>) -> Result<bool> {
        Ok(self.conn.execute(
            "UPDATE console_drafts SET status = ?3, problem = ?4 WHERE id = ?1 AND status = ?2",
            params![id, from, to, problem],
        )? == 1)
    }
}

type DraftCols = (
    (String, String, String, String, String, Option<i64>, String),
    (String, String, String, Option<String>, String, String),
);

fn draft_cols(r: &rusqlite::Row) -> rusqlite::Result<DraftCols> {
    Ok((
        (
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
        ),
        (r.get(7)?, r.get(8)?, r.get(9)?, r.get(10)?, r.get(11)?, r.get(12)?),
    ))
}

fn draft_from_cols(
    ((id, village, grid, household, rule, points, note), (month, recorded_by, status, problem, created, updated)): DraftCols,
) -> Result<ConsoleDraftRow> {
    Ok(ConsoleDraftRow {
        id,
        village,
        grid,
        household,
        rule,
        points,
        note,
        month,
        recorded_by,
        status,
        problem,
        created_at: parse_time(created)?,
        updated_at: parse_time(updated)?,
    })
}
