//! Console drafts and their photos on PostgreSQL, as the SQLite registry keeps them.

use tokio_postgres::Row;

use super::{PgTx, Result};
use crate::store::{ConsoleDraftRow, DraftPhoto};

const DRAFT_COLS: &str =
    "id, village, grid, household, rule, points, note, month, recorded_by, status, problem, created_at, updated_at";

impl PgTx<'_> {
    /// Writes a new draft or changes one still a draft; `photos`, when given, replace the
    /// draft's. False when the draft exists and is no longer a draft.
    pub async fn save_console_draft(&self, d: &ConsoleDraftRow, photos: Option<&[DraftPhoto]>) -> Result<bool> {
        let written = self
            .exec(
                &format!(
                    "INSERT INTO console_drafts ({DRAFT_COLS})
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                     ON CONFLICT (id) DO UPDATE SET household = excluded.household, grid = excluded.grid,
                         rule = excluded.rule, points = excluded.points, note = excluded.note,
                         problem = NULL, updated_at = excluded.updated_at
                     WHERE console_drafts.status = 'draft'"
                ),
                &[
                    &d.id,
                    &d.village,
                    &d.grid,
                    &d.household,
                    &d.rule,
                    &d.points,
                    &d.note,
                    &d.month,
                    &d.recorded_by,
                    &d.status,
                    &d.problem,
                    &d.created_at,
                    &d.updated_at,
                ],
            )
            .await?;
        if written == 0 {
            return Ok(false);
        }
        if let Some(photos) = photos {
            self.exec("DELETE FROM console_draft_photos WHERE draft = $1", &[&d.id])
                .await?;
            for (seq, (sha256, jpeg)) in photos.iter().enumerate() {
                self.exec(
                    "INSERT INTO console_draft_photos (draft, seq, sha256, jpeg) VALUES ($1, $2, $3, $4)",
                    &[&d.id, &(seq as i64), sha256, jpeg],
                )
                .await?;
            }
        }
        Ok(true)
    }

    pub async fn console_draft(&self, id: &str) -> Result<Option<ConsoleDraftRow>> {
        let sql = format!("SELECT {DRAFT_COLS} FROM console_drafts WHERE id = $1");
        Ok(self.q_opt(&sql, &[&id]).await?.as_ref().map(draft))
    }

    pub async fn console_drafts(&self, village: &str, month: &str) -> Result<Vec<ConsoleDraftRow>> {
        let sql = format!(
            "SELECT {DRAFT_COLS} FROM console_drafts WHERE village = $1 AND month = $2
             ORDER BY grid COLLATE \"C\", created_at, id COLLATE \"C\""
        );
        Ok(self.q(&sql, &[&village, &month]).await?.iter().map(draft).collect())
    }

    pub async fn console_draft_photos(&self, id: &str) -> Result<Vec<DraftPhoto>> {
        let rows = self
            .q(
                "SELECT sha256, jpeg FROM console_draft_photos WHERE draft = $1 ORDER BY seq",
                &[&id],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    pub async fn console_draft_photo_digests(&self, id: &str) -> Result<Vec<String>> {
        let rows = self
            .q(
                "SELECT sha256 FROM console_draft_photos WHERE draft = $1 ORDER BY seq",
                &[&id],
            )
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    pub async fn set_console_draft_status(
        &self,
        id: &str,
        from: &str,
        to: &str,
        problem: Option<&str>,
    ) -> Result<bool> {
        Ok(self
            .exec(
                "UPDATE console_drafts SET status = $3, problem = $4 WHERE id = $1 AND status = $2",
                &[&id, &from, &to, &problem],
            )
            .await?
            == 1)
    }
}

fn draft(r: &Row) -> ConsoleDraftRow {
    ConsoleDraftRow {
        id: r.get(0),
        village: r.get(1),
        grid: r.get(2),
        household: r.get(3),
        rule: r.get(4),
        points: r.get(5),
        note: r.get(6),
        month: r.get(7),
        recorded_by: r.get(8),
        status: r.get(9),
        problem: r.get(10),
        created_at: r.get(11),
        updated_at: r.get(12),
    }
}
