//! A village's sponsors, their gifts, items' costs, redemptions' commitments and proxy
//! redemptions on PostgreSQL, as the kiosk's SQLite keeps them; and the settled vouchers
//! the merchants' report sums.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use tokio_postgres::Row;

use super::{PgTx, Result};
use crate::domain::funds::{FundCost, FundReceiptRecord, ItemCostRecord, ProxyRecord, SponsorRecord};
use crate::domain::money::Fen;
use crate::domain::records::RedemptionRecord;
use crate::store::{FundTotals, SettledVoucherRow, SponsorRow};

const PROXY_COLS: &str = "serial, clerk, deliverer, created_at, delivered_at, delivered_by";

impl PgTx<'_> {
    pub async fn sponsor_names(&self, village: &str) -> Result<HashSet<String>> {
        let rows = self
            .q("SELECT name FROM sponsors WHERE village = $1", &[&village])
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// Every sponsor of the village with its fund's totals on `today` (what is committed
    /// counts only vouchers still outstanding and not past their last day), oldest first.
    pub async fn sponsor_funds(&self, village: &str, today: NaiveDate) -> Result<Vec<(SponsorRow, FundTotals)>> {
        let rows = self
            .q(
                "SELECT s.name, s.note,
                        coalesce((SELECT sum(r.amount_fen) FROM sponsor_receipts r
                                  WHERE r.village = s.village AND r.sponsor = s.name), 0)::bigint,
                        coalesce(sum(c.cost_fen) FILTER (WHERE v.status IN ('pending', 'printed')
                                                          AND v.expires_on >= $2), 0)::bigint,
                        coalesce(sum(c.cost_fen) FILTER (WHERE v.status = 'settled'), 0)::bigint
                 FROM sponsors s
                 LEFT JOIN fund_commitments c ON c.village = s.village AND c.sponsor = s.name
                 LEFT JOIN vouchers v ON v.village = c.village AND v.redemption_id = c.redemption_id
                 WHERE s.village = $1
                 GROUP BY s.village, s.name, s.note, s.created_at
                 ORDER BY s.created_at, s.name",
                &[&village, &today],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    SponsorRow {
                        name: r.get(0),
                        note: r.get(1),
                    },
                    FundTotals {
                        received: r.get(2),
                        committed: r.get(3),
                        spent: r.get(4),
                    },
                )
            })
            .collect())
    }

    pub async fn sponsor_record(&self, village: &str, name: &str) -> Result<Option<SponsorRecord>> {
        let row = self
            .q_opt(
                "SELECT name, note, created_at FROM sponsors WHERE village = $1 AND name = $2",
                &[&village, &name],
            )
            .await?;
        Ok(row.map(|r| SponsorRecord {
            name: r.get(0),
            note: r.get(1),
            created_at: r.get(2),
        }))
    }

    pub async fn fund_receipt(&self, village: &str, id: &str) -> Result<Option<FundReceiptRecord>> {
        let row = self
            .q_opt(
                "SELECT id, sponsor, amount_fen, note, recorded_by, received_on, created_at
                 FROM sponsor_receipts WHERE village = $1 AND id = $2",
                &[&village, &id],
            )
            .await?;
        Ok(row.map(|r| FundReceiptRecord {
            id: r.get(0),
            sponsor: r.get(1),
            amount: Fen(r.get(2)),
            note: r.get(3),
            recorded_by: r.get(4),
            received_on: r.get::<_, NaiveDate>(5),
            created_at: r.get(6),
        }))
    }

    pub async fn known_fund_receipts(&self, village: &str, ids: &[String]) -> Result<HashSet<String>> {
        if ids.is_empty() {
            return Ok(HashSet::new());
        }
        let rows = self
            .q(
                "SELECT id FROM sponsor_receipts WHERE village = $1 AND id = ANY($2)",
                &[&village, &ids],
            )
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// Every item a fund pays for, and what one unit costs it.
    pub async fn item_costs(&self, village: &str) -> Result<HashMap<String, FundCost>> {
        let rows = self
            .q(
                "SELECT item_code, sponsor, unit_cost_fen FROM item_costs WHERE village = $1",
                &[&village],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), fund_cost(r, 1))).collect())
    }

    pub async fn item_cost(&self, village: &str, item: &str) -> Result<Option<FundCost>> {
        let row = self
            .q_opt(
                "SELECT item_code, sponsor, unit_cost_fen FROM item_costs WHERE village = $1 AND item_code = $2",
                &[&village, &item],
            )
            .await?;
        Ok(row.map(|r| fund_cost(&r, 1)))
    }

    pub async fn fund_commitment(&self, village: &str, redemption: &str) -> Result<Option<FundCost>> {
        let row = self
            .q_opt(
                "SELECT sponsor, cost_fen FROM fund_commitments WHERE village = $1 AND redemption_id = $2",
                &[&village, &redemption],
            )
            .await?;
        Ok(row.map(|r| fund_cost(&r, 0)))
    }

    /// Serial → whether its delivery is confirmed, for the serials given.
    pub async fn proxy_states(&self, village: &str, serials: &[String]) -> Result<HashMap<String, bool>> {
        if serials.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = self
            .q(
                "SELECT serial, delivered_at IS NOT NULL FROM proxy_redemptions
                 WHERE village = $1 AND serial = ANY($2)",
                &[&village, &serials],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    pub async fn proxy_redemption(&self, village: &str, serial: &str) -> Result<Option<ProxyRecord>> {
        let sql = format!("SELECT {PROXY_COLS} FROM proxy_redemptions WHERE village = $1 AND serial = $2");
        Ok(self.q_opt(&sql, &[&village, &serial]).await?.map(|r| ProxyRecord {
            serial: r.get(0),
            clerk: r.get(1),
            deliverer: r.get(2),
            created_at: r.get(3),
            delivered_at: r.get(4),
            delivered_by: r.get(5),
        }))
    }

    pub async fn insert_sponsors(&self, village: &str, rows: &[SponsorRecord]) -> Result<()> {
        for s in rows {
            self.exec(
                "INSERT INTO sponsors (village, name, note, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT DO NOTHING",
                &[&village, &s.name, &s.note, &s.created_at],
            )
            .await?;
        }
        Ok(())
    }

    pub async fn insert_fund_receipts(&self, village: &str, rows: &[FundReceiptRecord]) -> Result<()> {
        for r in rows {
            self.exec(
                "INSERT INTO sponsor_receipts (village, id, sponsor, amount_fen, note, recorded_by, received_on,
                                               created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
                &[
                    &village,
                    &r.id,
                    &r.sponsor,
                    &r.amount.0,
                    &r.note,
                    &r.recorded_by,
                    &r.received_on,
                    &r.created_at,
                ],
            )
            .await?;
        }
        Ok(())
    }

    pub async fn set_item_costs(&self, village: &str, rows: &[ItemCostRecord], at: DateTime<Utc>) -> Result<()> {
        for c in rows {
            match &c.cost {
                Some(cost) => {
                    self.exec(
                        "INSERT INTO item_costs (village, item_code, sponsor, unit_cost_fen, updated_at)
                         VALUES ($1, $2, $3, $4, $5)
                         ON CONFLICT (village, item_code) DO UPDATE SET sponsor = excluded.sponsor,
                             unit_cost_fen = excluded.unit_cost_fen, updated_at = excluded.updated_at",
                        &[&village, &c.item_code, &cost.sponsor, &cost.amount.0, &at],
                    )
                    .await?
                }
                None => {
                    self.exec(
                        "DELETE FROM item_costs WHERE village = $1 AND item_code = $2",
                        &[&village, &c.item_code],
                    )
                    .await?
                }
            };
        }
        Ok(())
    }

    /// The commitments of a batch's redemptions, in one statement.
    pub async fn insert_fund_commitments(&self, village: &str, redemptions: &[RedemptionRecord]) -> Result<()> {
        let funded: Vec<(&str, &FundCost)> = redemptions
            .iter()
            .filter_map(|r| r.fund.as_ref().map(|f| (r.id.as_str(), f)))
            .collect();
        if funded.is_empty() {
            return Ok(());
        }
        self.exec(
            "INSERT INTO fund_commitments (village, redemption_id, sponsor, cost_fen)
             SELECT $1, id, sponsor, cost FROM unnest($2::text[], $3::text[], $4::bigint[]) AS t(id, sponsor, cost)
             ON CONFLICT DO NOTHING",
            &[
                &village,
                &funded.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
                &funded.iter().map(|(_, f)| f.sponsor.as_str()).collect::<Vec<_>>(),
                &funded.iter().map(|(_, f)| f.amount.0).collect::<Vec<_>>(),
            ],
        )
        .await?;
        Ok(())
    }

    /// Proxy redemptions new here, and deliveries of those held already (the first stands).
    pub async fn write_proxies(&self, village: &str, new: &[ProxyRecord], delivered: &[ProxyRecord]) -> Result<()> {
        for p in new {
            self.exec(
                "INSERT INTO proxy_redemptions (village, serial, clerk, deliverer, created_at, delivered_at,
                                                delivered_by)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                &[
                    &village,
                    &p.serial,
                    &p.clerk,
                    &p.deliverer,
                    &p.created_at,
                    &p.delivered_at,
                    &p.delivered_by,
                ],
            )
            .await?;
        }
        for p in delivered {
            self.exec(
                "UPDATE proxy_redemptions SET delivered_at = $3, delivered_by = $4
                 WHERE village = $1 AND serial = $2 AND delivered_at IS NULL",
                &[&village, &p.serial, &p.delivered_at, &p.delivered_by],
            )
            .await?;
        }
        Ok(())
    }

    /// The village's vouchers settled in `[from, to)`, each with its item and what its
    /// fund owes for it.
    pub async fn settled_vouchers(
        &self,
        village: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<SettledVoucherRow>> {
        let rows = self
            .q(
                "SELECT v.serial, v.settled_merchant, v.settled_at, coalesce(i.name, r.item), r.qty, r.points,
                        c.sponsor, c.cost_fen
                 FROM vouchers v
                 JOIN redemptions r ON r.village = v.village AND r.id = v.redemption_id
                 LEFT JOIN items i ON i.village = r.village AND i.code = r.item
                 LEFT JOIN fund_commitments c ON c.village = v.village AND c.redemption_id = r.id
                 WHERE v.village = $1 AND v.status = 'settled' AND v.settled_at >= $2 AND v.settled_at < $3
                 ORDER BY v.settled_at, v.serial",
                &[&village, &from, &to],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| SettledVoucherRow {
                serial: r.get(0),
                merchant: r.get::<_, Option<String>>(1).unwrap_or_default(),
                settled_at: r.get(2),
                item_name: r.get(3),
                qty: r.get(4),
                points: r.get(5),
                fund: r.get::<_, Option<String>>(6).map(|sponsor| FundCost {
                    sponsor,
                    amount: Fen(r.get(7)),
                }),
            })
            .collect())
    }
}

fn fund_cost(r: &Row, at: usize) -> FundCost {
    FundCost {
        sponsor: r.get(at),
        amount: Fen(r.get(at + 1)),
    }
}
