//! Rows for sponsors (乡贤) and their funds: gifts received, what each item costs its
//! fund, and each redemption's commitment. Totals are sums over these rows and the
//! vouchers' status, in one query each.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, OptionalExtension};

use super::{parse_col, parse_time, time_text, Result, Tx};
use crate::domain::funds::{FundCost, FundReceiptRecord, SponsorRecord};
use crate::domain::money::Fen;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SponsorRow {
    pub name: String,
    pub note: Option<String>,
}

/// A fund's figures in fen. `remaining = received - committed - spent`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FundTotals {
    pub received: i64,
    /// Vouchers outstanding (pending or printed, not past their last day).
    pub committed: i64,
    /// Vouchers settled: owed or paid to the merchants.
    pub spent: i64,
}

/// What a fund bought: an item, how many units on settled or outstanding vouchers, at what cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundPurchaseRow {
    pub item_code: String,
    pub item_name: String,
    pub qty: i64,
    pub cost_fen: i64,
}

/// The vouchers whose commitment still counts: settled, or outstanding and not expired
/// (`?3` is today). A void or an expiry releases the money.
const COUNTED: &str = "(v.status = 'settled' OR (v.status IN ('pending', 'printed') AND v.expires_on >= ?3))";

impl Tx<'_> {
    /// False when a sponsor of that name exists already.
    pub fn insert_sponsor(&self, name: &str, note: Option<&str>, at: DateTime<Utc>) -> Result<bool> {
        Ok(self.exec(
            "INSERT INTO sponsors (name, note, created_at) VALUES (?1, ?2, ?3) ON CONFLICT (name) DO NOTHING",
            params![name, note, time_text(at)],
        )? == 1)
    }

    pub fn sponsor(&self, name: &str) -> Result<Option<SponsorRow>> {
        Ok(self
            .row("SELECT name, note FROM sponsors WHERE name = ?1", [name], |r| {
                Ok(SponsorRow {
                    name: r.get(0)?,
                    note: r.get(1)?,
                })
            })
            .optional()?)
    }

    pub fn sponsors(&self) -> Result<Vec<SponsorRow>> {
        let mut stmt = self
            .tx
            .prepare_cached("SELECT name, note FROM sponsors ORDER BY created_at, name")?;
        let rows = stmt
            .query_map([], |r| {
                Ok(SponsorRow {
                    name: r.get(0)?,
                    note: r.get(1)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    #[allow(clippy::too_many_arguments)]
    pub fn insert_sponsor_receipt(
        &self,
        id: &str,
        sponsor: &str,
        amount_fen: i64,
        note: Option<&str>,
        recorded_by: &str,
        received_on: NaiveDate,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO sponsor_receipts (id, sponsor, amount_fen, note, recorded_by, received_on, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                id,
                sponsor,
                amount_fen,
                note,
                recorded_by,
                received_on.to_string(),
                time_text(at)
            ],
        )?;
        Ok(())
    }

    /// Sets (or, with `None`, removes) what one unit of an item costs a sponsor's fund.
    pub fn set_item_cost(&self, item: &str, cost: Option<(&str, i64)>, at: DateTime<Utc>) -> Result<()> {
        match cost {
            Some((sponsor, fen)) => self.exec(
                "INSERT INTO item_costs (item_code, sponsor, unit_cost_fen, updated_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (item_code) DO UPDATE SET sponsor = excluded.sponsor,
                     unit_cost_fen = excluded.unit_cost_fen, updated_at = excluded.updated_at",
                params![item, sponsor, fen, time_text(at)],
            )?,
            None => self.exec("DELETE FROM item_costs WHERE item_code = ?1", [item])?,
        };
        Ok(())
    }

    /// The sponsor whose fund pays for an item, and the cost of one unit in fen.
    pub fn item_cost(&self, item: &str) -> Result<Option<(String, i64)>> {
        Ok(self
            .row(
                "SELECT sponsor, unit_cost_fen FROM item_costs WHERE item_code = ?1",
                [item],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    pub fn insert_fund_commitment(&self, redemption_id: &str, sponsor: &str, cost_fen: i64) -> Result<()> {
        self.exec(
            "INSERT INTO fund_commitments (redemption_id, sponsor, cost_fen) VALUES (?1, ?2, ?3)",
            params![redemption_id, sponsor, cost_fen],
        )?;
        Ok(())
    }

    /// The fund a redemption's cost was committed against, and the cost in fen.
    pub fn fund_commitment(&self, redemption_id: &str) -> Result<Option<(String, i64)>> {
        Ok(self
            .row(
                "SELECT sponsor, cost_fen FROM fund_commitments WHERE redemption_id = ?1",
                [redemption_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// A fund's figures on `today`; with `year`, only gifts received and redemptions made in it.
    pub fn fund_totals(&self, sponsor: &str, year: Option<i32>, today: NaiveDate) -> Result<FundTotals> {
        let year = year.map(|y| y.to_string());
        let received: i64 = self.row(
            "SELECT coalesce(sum(amount_fen), 0) FROM sponsor_receipts
             WHERE sponsor = ?1 AND (?2 IS NULL OR substr(received_on, 1, 4) = ?2)",
            params![sponsor, year],
            |r| r.get(0),
        )?;
        let (committed, spent): (i64, i64) = self.row(
            "SELECT coalesce(sum(CASE WHEN v.status IN ('pending', 'printed') AND v.expires_on >= ?3
                                      THEN c.cost_fen END), 0),
                    coalesce(sum(CASE WHEN v.status = 'settled' THEN c.cost_fen END), 0)
             FROM fund_commitments c
             JOIN vouchers v ON v.redemption_id = c.redemption_id
             JOIN redemptions r ON r.id = c.redemption_id
             JOIN ledger l ON l.id = r.ledger_id
             WHERE c.sponsor = ?1 AND (?2 IS NULL OR substr(l.month, 1, 4) = ?2)",
            params![sponsor, year, today.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(FundTotals {
            received,
            committed,
            spent,
        })
    }

    /// What a fund paid for (settled or outstanding vouchers), by item, and how many
    /// households it served.
    pub fn fund_purchases(
        &self,
        sponsor: &str,
        year: Option<i32>,
        today: NaiveDate,
    ) -> Result<(Vec<FundPurchaseRow>, i64)> {
        let year = year.map(|y| y.to_string());
        let from = format!(
            "FROM fund_commitments c
             JOIN vouchers v ON v.redemption_id = c.redemption_id
             JOIN redemptions r ON r.id = c.redemption_id
             JOIN ledger l ON l.id = r.ledger_id
             LEFT JOIN catalogue i ON i.code = r.item_code
             WHERE c.sponsor = ?1 AND {COUNTED} AND (?2 IS NULL OR substr(l.month, 1, 4) = ?2)"
        );
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT r.item_code, coalesce(i.name, r.item_code), sum(r.qty), sum(c.cost_fen)
             {from} GROUP BY r.item_code ORDER BY 4 DESC, 1"
        ))?;
        let rows = stmt
            .query_map(params![sponsor, year, today.to_string()], |r| {
                Ok(FundPurchaseRow {
                    item_code: r.get(0)?,
                    item_name: r.get(1)?,
                    qty: r.get(2)?,
                    cost_fen: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let households: i64 = self.row(
            &format!("SELECT count(DISTINCT r.household_code) {from}"),
            params![sponsor, year, today.to_string()],
            |r| r.get(0),
        )?;
        Ok((rows, households))
    }

    /// A sponsor as it travels.
    pub fn sponsor_record(&self, name: &str) -> Result<Option<SponsorRecord>> {
        let row = self
            .row(
                "SELECT name, note, created_at FROM sponsors WHERE name = ?1",
                [name],
                |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get::<_, String>(2)?)),
            )
            .optional()?;
        row.map(|(name, note, at)| {
            Ok(SponsorRecord {
                name,
                note,
                created_at: parse_time(at)?,
            })
        })
        .transpose()
    }

    /// A gift as it travels.
    pub fn fund_receipt(&self, id: &str) -> Result<Option<FundReceiptRecord>> {
        let row = self
            .row(
                "SELECT sponsor, amount_fen, note, recorded_by, received_on, created_at
                 FROM sponsor_receipts WHERE id = ?1",
                [id],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                    ))
                },
            )
            .optional()?;
        row.map(|(sponsor, amount, note, recorded_by, on, at)| {
            Ok(FundReceiptRecord {
                id: id.to_string(),
                sponsor,
                amount: Fen(amount),
                note,
                recorded_by,
                received_on: parse_col(on, "date a gift was received", |s| s.parse().ok())?,
                created_at: parse_time(at)?,
            })
        })
        .transpose()
    }

    /// Which of these gifts are recorded here.
    pub fn known_fund_receipts(&self, ids: &[String]) -> Result<HashSet<String>> {
        let mut stmt = self.tx.prepare_cached("SELECT 1 FROM sponsor_receipts WHERE id = ?1")?;
        let mut known = HashSet::new();
        for id in ids {
            if stmt.exists([id])? {
                known.insert(id.clone());
            }
        }
        Ok(known)
    }

    /// Every item a fund pays for, and what one unit costs it.
    pub fn item_costs(&self) -> Result<HashMap<String, FundCost>> {
        let mut stmt = self
            .tx
            .prepare_cached("SELECT item_code, sponsor, unit_cost_fen FROM item_costs")?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    FundCost {
                        sponsor: r.get(1)?,
                        amount: Fen(r.get(2)?),
                    },
                ))
            })?
            .collect::<rusqlite::Result<HashMap<_, _>>>()?;
        Ok(rows)
    }
}
