//! The reads township staff need on PostgreSQL: merit for rankings and areas, overdrafts,
//! the integrity checks, a village's summary.

use uuid::Uuid;

use super::super::{PgTx, Result};
use crate::domain::household::Resident;
use crate::domain::period::Month;
use crate::store::{MeritRow, OverdraftRow, VillageSummary};

/// Integrity checks over one village ($1), each returning one text per offending row.
const CHECKS: &[(&str, &str)] = &[
    // The next three stand where foreign keys stood before schema 3 (schema_3_ingest.sql):
    // the apply planner and the imports refuse such rows before writing, this proves it.
    (
        "entry_has_household",
        "SELECT 'entry ' || l.id || ' names household ' || l.household || ', which is not registered'
         FROM ledger l LEFT JOIN households h ON h.village = l.village AND h.code = l.household
         WHERE l.village = $1 AND h.code IS NULL",
    ),
    (
        "entry_has_rule",
        "SELECT 'entry ' || l.id || ' names rule ' || l.rule_code || ', which is not in the rulebook'
         FROM ledger l LEFT JOIN rules r ON r.village = l.village AND r.code = l.rule_code
         WHERE l.village = $1 AND l.rule_code IS NOT NULL AND r.code IS NULL",
    ),
    (
        "correction_has_entry",
        "SELECT 'correction ' || l.id || ' corrects entry ' || l.corrects || ', which is not in the ledger'
         FROM ledger l LEFT JOIN ledger c ON c.id = l.corrects
         WHERE l.village = $1 AND l.corrects IS NOT NULL AND c.id IS NULL",
    ),
    (
        "balance_equals_ledger",
        "SELECT 'household ' || h.code || ' shows balance ' || h.balance || ' but its ledger sums to ' || coalesce(l.total, 0)
         FROM households h LEFT JOIN (SELECT household, sum(delta) AS total FROM ledger WHERE village = $1 GROUP BY household) l
           ON l.household = h.code
         WHERE h.village = $1 AND h.balance != coalesce(l.total, 0)",
    ),
    (
        "merit_equals_ledger",
        "SELECT 'household ' || coalesce(l.household, m.household) || ' month ' || coalesce(l.month, m.month)
                || ' shows merit ' || coalesce(m.earned, 0) || ' but its ledger sums to ' || coalesce(l.total, 0)
         FROM (SELECT household, month, sum(delta) AS total FROM ledger
               WHERE village = $1 AND kind IN ('award', 'deduction', 'correction') GROUP BY household, month) l
         FULL OUTER JOIN (SELECT * FROM merit_monthly WHERE village = $1) m
           ON m.household = l.household AND m.month = l.month
         WHERE coalesce(m.earned, 0) != coalesce(l.total, 0)",
    ),
    (
        "stock_conserved",
        "SELECT 'item ' || c.code || ' shows stock ' || c.stock || ' but its stock moves sum to ' || coalesce(m.total, 0)
         FROM items c LEFT JOIN (SELECT item, sum(delta) AS total FROM stock_moves
                                 WHERE village = $1 AND uid IS NOT NULL GROUP BY item) m
           ON m.item = c.code
         WHERE c.village = $1 AND c.stock IS NOT NULL AND c.stock != coalesce(m.total, 0)",
    ),
    (
        "shelf_equals_moves",
        "SELECT 'the shelf of ' || s.holder || ' holds ' || s.stock || ' of ' || s.item
                || ' but its moves sum to ' || coalesce(m.total, 0)
         FROM shelves s LEFT JOIN (SELECT item, holder, sum(delta) AS total FROM stock_moves
                                   WHERE village = $1 AND uid IS NOT NULL GROUP BY item, holder) m
           ON m.item = s.item AND m.holder = s.holder
         WHERE s.village = $1 AND s.stock != coalesce(m.total, 0)",
    ),
    (
        "redemption_has_one_voucher",
        "SELECT 'redemption ' || r.id || ' has ' || count(v.serial) || ' vouchers'
         FROM redemptions r LEFT JOIN vouchers v ON v.village = r.village AND v.redemption_id = r.id
         WHERE r.village = $1 GROUP BY r.id HAVING count(v.serial) != 1",
    ),
    (
        "redemption_has_one_debit",
        "SELECT 'redemption ' || r.id || ' of ' || r.points || ' points is not matched by a debit of the same household'
         FROM redemptions r LEFT JOIN ledger l ON l.id = r.ledger_id
         WHERE r.village = $1 AND (l.id IS NULL OR l.kind != 'redemption' OR l.delta != -r.points
                                   OR l.household != r.household OR l.village != r.village)",
    ),
    (
        "debit_has_redemption",
        "SELECT 'ledger entry ' || l.id || ' debits ' || (-l.delta) || ' points for a redemption that does not exist'
         FROM ledger l LEFT JOIN redemptions r ON r.village = l.village AND r.ledger_id = l.id
         WHERE l.village = $1 AND l.kind = 'redemption' AND r.id IS NULL",
    ),
    (
        "void_has_refund",
        "SELECT 'void voucher ' || v.serial || ' has no matching refund entry'
         FROM vouchers v JOIN redemptions r ON r.village = v.village AND r.id = v.redemption_id
         LEFT JOIN ledger l ON l.id = v.refund_ledger_id
         WHERE v.village = $1 AND v.status = 'void'
           AND (l.id IS NULL OR l.kind != 'refund' OR l.delta != r.points OR l.corrects IS DISTINCT FROM r.ledger_id)",
    ),
    (
        "refund_has_void_voucher",
        "SELECT 'refund entry ' || l.id || ' is not the refund of a void voucher'
         FROM ledger l LEFT JOIN vouchers v ON v.village = l.village AND v.refund_ledger_id = l.id
         WHERE l.village = $1 AND l.kind = 'refund' AND (v.serial IS NULL OR v.status != 'void')",
    ),
    (
        "settled_is_complete",
        "SELECT 'settled voucher ' || serial || ' has no settlement time or merchant'
         FROM vouchers WHERE village = $1 AND status = 'settled' AND (settled_at IS NULL OR settled_merchant IS NULL)",
    ),
    (
        "feed_gapless",
        "SELECT 'the change feed has ' || count(f.pos) || ' positions but its last is ' || v.feed_last
         FROM villages v LEFT JOIN feed f ON f.village = v.code
         WHERE v.code = $1 GROUP BY v.feed_last
         HAVING count(f.pos) != v.feed_last OR coalesce(max(f.pos), 0) != v.feed_last",
    ),
];

impl PgTx<'_> {
    // ---- reads for staff ----

    pub async fn members(&self, village: &str, household: &str) -> Result<Vec<Resident>> {
        Ok(self
            .residents_with_hashes(village, household)
            .await?
            .into_iter()
            .map(|r| r.resident)
            .collect())
    }

    /// Points earned between two months inclusive, for every household (zero included).
    /// Households with a deduction in `area` between two months that still stands (not
    /// corrected back to nothing), as the kiosk's `households_deducted_in_area`.
    pub async fn households_deducted_in_area(
        &self,
        village: &str,
        area: crate::domain::rules::Area,
        from: Month,
        to: Month,
    ) -> Result<Vec<String>> {
        let rows = self
            .q(
                "SELECT DISTINCT l.household FROM ledger l
                 JOIN rules r ON r.village = l.village AND r.code = l.rule_code
                 WHERE l.village = $1 AND l.kind = 'deduction' AND r.area = $2 AND l.month BETWEEN $3 AND $4
                   AND l.delta + coalesce((SELECT sum(c.delta) FROM ledger c WHERE c.corrects = l.id), 0) < 0",
                &[&village, &area.key(), &from.to_string(), &to.to_string()],
            )
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    pub async fn merit_by_household(&self, village: &str, from: Month, to: Month) -> Result<Vec<MeritRow>> {
        let rows = self
            .q(
                "SELECT h.code, h.grid, coalesce(m.earned, 0)::int8
                 FROM households h
                 LEFT JOIN (SELECT household, sum(earned) AS earned FROM merit_monthly
                            WHERE village = $1 AND month BETWEEN $2 AND $3 GROUP BY household) m
                   ON m.household = h.code
                 WHERE h.village = $1
                 ORDER BY h.code COLLATE \"C\"",
                &[&village, &from.to_string(), &to.to_string()],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| MeritRow {
                household: r.get(0),
                grid: r.get(1),
                earned: r.get(2),
            })
            .collect())
    }

    pub async fn merit_of(&self, village: &str, household: &str, from: Month, to: Month) -> Result<i64> {
        Ok(self
            .q_one(
                "SELECT coalesce(sum(earned), 0)::int8 FROM merit_monthly
                 WHERE village = $1 AND household = $2 AND month BETWEEN $3 AND $4",
                &[&village, &household, &from.to_string(), &to.to_string()],
            )
            .await?
            .get(0))
    }

    /// (area, points, entries) over the months, largest first; entries without a rule
    /// count as 其他.
    pub async fn merit_by_area(&self, village: &str, from: Month, to: Month) -> Result<Vec<(String, i64, i64)>> {
        let rows = self
            .q(
                "SELECT coalesce(r.area, '其他') AS area, sum(l.delta)::int8, count(*)
                 FROM ledger l LEFT JOIN rules r ON r.village = l.village AND r.code = l.rule_code
                 WHERE l.village = $1 AND l.kind IN ('award', 'deduction', 'correction') AND l.month BETWEEN $2 AND $3
                 GROUP BY 1 ORDER BY 2 DESC, coalesce(r.area, '其他') COLLATE \"C\"",
                &[&village, &from.to_string(), &to.to_string()],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect())
    }

    pub async fn overdrafts(&self, village: &str) -> Result<Vec<OverdraftRow>> {
        let rows = self
            .q(
                "SELECT o.household, o.entry_id, l.reason, o.balance_after, h.balance, o.flagged_at
                 FROM overdrafts o JOIN ledger l ON l.id = o.entry_id
                 JOIN households h ON h.village = o.village AND h.code = o.household
                 WHERE o.village = $1
                 ORDER BY o.flagged_at DESC, o.entry_id",
                &[&village],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| OverdraftRow {
                household: r.get(0),
                entry_id: r.get::<_, Uuid>(1).to_string(),
                reason: r.get(2),
                balance_after: r.get(3),
                balance_now: r.get(4),
                flagged_at: r.get(5),
            })
            .collect())
    }

    /// Every integrity check over the village; empty when sound.
    pub async fn problems(&self, village: &str) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        for (check, sql) in CHECKS {
            for r in self.q(sql, &[&village]).await? {
                problems.push(format!("{check}: {}", r.get::<_, String>(0)));
            }
        }
        Ok(problems)
    }

    pub async fn summary(&self, village: &str) -> Result<VillageSummary> {
        let ids = self
            .q("SELECT id FROM ledger WHERE village = $1 ORDER BY seq", &[&village])
            .await?;
        let balances = self
            .q(
                "SELECT code, balance FROM households WHERE village = $1 ORDER BY code COLLATE \"C\"",
                &[&village],
            )
            .await?;
        let vouchers = self
            .q(
                "SELECT serial, CASE WHEN status IN ('pending', 'printed') THEN 'outstanding' ELSE status END
                 FROM vouchers WHERE village = $1 ORDER BY serial COLLATE \"C\"",
                &[&village],
            )
            .await?;
        let mut entry_ids: Vec<Uuid> = ids.iter().map(|r| r.get(0)).collect();
        entry_ids.sort();
        Ok(VillageSummary {
            entry_ids,
            balances: balances.iter().map(|r| (r.get(0), r.get(1))).collect(),
            vouchers: vouchers.len() as i64,
            voucher_states: vouchers.iter().map(|r| (r.get(0), r.get(1))).collect(),
            shelves: self.shelves(village).await?,
            feed_last: self.feed_last(village).await?,
        })
    }
}
