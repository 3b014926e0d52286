//! One village's data on PostgreSQL: households, residents, rules, the ledger, the
//! catalogue, redemptions and vouchers, the change feed, and the reads staff need.
//! Every query names the village, so villages share tables but never rows.

mod catalogue;
mod households;
mod ledger;
mod received;
mod reports;

use chrono::{DateTime, Utc};
use tokio_postgres::Row;
use uuid::Uuid;

use super::{PgError, PgTx, Result};
use crate::domain::catalogue::{CatalogueItem, Stock};
use crate::domain::ledger::{EntryKind, LedgerEntry};
use crate::domain::rules::RuleItem;

/// One position of a village's change feed.
#[derive(Debug, Clone)]
pub struct FeedRow {
    pub pos: i64,
    pub id: Uuid,
    pub kind: String,
    pub subject: String,
    pub created_at: DateTime<Utc>,
}

pub(super) const ENTRY_COLS: &str =
    "id, household, delta, kind, rule_code, reason, month, source, recorded_by, created_at, corrects, dedupe_key";
pub(super) const ITEM_COLS: &str = "code, name, points_cost, stock, merchant, sponsor, valid_days, active, picture";
pub(super) const VOUCHER_COLS: &str =
    "serial, status, qr_payload, issued_at, expires_on, settled_at, settled_merchant, \
                            settled_by, void_reason, refund_ledger_id, settled_device";

impl PgTx<'_> {
    // ---- the change feed ----

    /// Appends changes to the village's feed at the next positions. The caller holds the
    /// village's row lock (every `PgStore::write` with a village takes it first).
    pub async fn append_feed(
        &self,
        village: &str,
        changes: &[(&str, String)],
        origin: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        let n = changes.len() as i64;
        let ids: Vec<Uuid> = changes.iter().map(|_| Uuid::now_v7()).collect();
        let kinds: Vec<&str> = changes.iter().map(|(k, _)| *k).collect();
        let subjects: Vec<&str> = changes.iter().map(|(_, s)| s.as_str()).collect();
        self.exec(
            "WITH v AS (UPDATE villages SET feed_last = feed_last + $2 WHERE code = $1 RETURNING feed_last)
             INSERT INTO feed (village, pos, id, kind, subject, origin, created_at)
             SELECT $1, v.feed_last - $2 + t.ord, t.id, t.kind, t.subject, $3, $4
             FROM v, unnest($5::uuid[], $6::text[], $7::text[]) WITH ORDINALITY AS t(id, kind, subject, ord)",
            &[&village, &n, &origin, &at, &ids, &kinds, &subjects],
        )
        .await?;
        Ok(())
    }

    /// Feed positions after `after`, leaving out the changes `device` caused.
    pub async fn feed_after(&self, village: &str, after: i64, limit: usize, device: &str) -> Result<Vec<FeedRow>> {
        let rows = self
            .q(
                "SELECT pos, id, kind, subject, created_at FROM feed
                 WHERE village = $1 AND pos > $2 AND origin IS DISTINCT FROM $3
                 ORDER BY pos LIMIT $4",
                &[&village, &after, &device, &(limit as i64)],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| FeedRow {
                pos: r.get(0),
                id: r.get(1),
                kind: r.get(2),
                subject: r.get(3),
                created_at: r.get(4),
            })
            .collect())
    }

    pub async fn feed_last(&self, village: &str) -> Result<i64> {
        let row = self
            .q_opt("SELECT feed_last FROM villages WHERE code = $1", &[&village])
            .await?;
        Ok(row.map_or(0, |r| r.get(0)))
    }
}

fn parse<T>(value: String, what: &str, f: impl Fn(&str) -> Option<T>) -> Result<T> {
    f(&value).ok_or_else(|| PgError::Corrupt(format!("{what} '{value}'")))
}

fn uuid_col(id: &str, what: &str) -> Result<Uuid> {
    Uuid::parse_str(id).map_err(|_| PgError::Corrupt(format!("{what} id '{id}' is not a UUID")))
}

fn ledger_entry(r: &Row) -> Result<LedgerEntry> {
    Ok(LedgerEntry {
        id: r.get(0),
        household: r.get(1),
        delta: r.get(2),
        kind: parse(r.get(3), "entry kind", EntryKind::parse)?,
        rule_code: r.get(4),
        reason: r.get(5),
        month: parse(r.get(6), "month", |s| s.parse().ok())?,
        source: r.get(7),
        recorded_by: r.get(8),
        created_at: r.get(9),
        corrects: r.get(10),
    })
}

fn rule_item(r: &Row) -> Result<RuleItem> {
    Ok(RuleItem {
        code: r.get(0),
        area: parse(r.get(1), "rule area", |s| s.parse().ok())?,
        kind: parse(r.get(2), "rule kind", |s| s.parse().ok())?,
        points: r.get(3),
        text: r.get(4),
    })
}

pub(super) fn catalogue_item(r: &Row) -> Result<CatalogueItem> {
    let valid_days: i32 = r.get(6);
    Ok(CatalogueItem {
        code: r.get(0),
        name: r.get(1),
        points_cost: r.get(2),
        stock: r.get::<_, Option<i64>>(3).map_or(Stock::Unlimited, Stock::Limited),
        merchant: r.get(4),
        sponsor: r.get(5),
        valid_days: u32::try_from(valid_days).map_err(|_| PgError::Corrupt(format!("valid days {valid_days}")))?,
        active: r.get(7),
        picture: r.get(8),
    })
}
