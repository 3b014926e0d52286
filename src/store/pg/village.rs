//! One village's data on PostgreSQL: households, residents, rules, the ledger, the
//! catalogue, redemptions and vouchers, the change feed, and the reads staff need.
//! Every query names the village, so villages share tables but never rows.

use chrono::{DateTime, NaiveDate, Utc};
use tokio_postgres::Row;
use uuid::Uuid;

use super::{PgError, PgTx, Result};
use crate::domain::catalogue::{CatalogueItem, Stock};
use crate::domain::household::{Resident, Role};
use crate::domain::ledger::{EntryKind, LedgerEntry};
use crate::domain::period::Month;
use crate::domain::records::{RedemptionRecord, ResidentRecord, VoucherRecord};
use crate::domain::rules::RuleItem;
use crate::domain::voucher::VoucherStatus;
use crate::store::{MeritRow, OverdraftRow, ReceivedRow, VillageSummary};

/// One position of a village's change feed.
#[derive(Debug, Clone)]
pub struct FeedRow {
    pub pos: i64,
    pub id: Uuid,
    pub kind: String,
    pub subject: String,
    pub created_at: DateTime<Utc>,
}

const ENTRY_COLS: &str =
    "id, household, delta, kind, rule_code, reason, month, source, recorded_by, created_at, corrects, dedupe_key";
pub(super) const ITEM_COLS: &str = "code, name, points_cost, stock, merchant, sponsor, valid_days, active, picture";
const VOUCHER_COLS: &str = "serial, status, qr_payload, issued_at, expires_on, settled_at, settled_merchant, \
                            settled_by, void_reason, refund_ledger_id, settled_device";

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

    // ---- households and residents ----

    /// Grid and QR token of a household.
    pub async fn household_row(&self, village: &str, code: &str) -> Result<Option<(String, Option<String>, i64)>> {
        let row = self
            .q_opt(
                "SELECT grid, qr_token, balance FROM households WHERE village = $1 AND code = $2",
                &[&village, &code],
            )
            .await?;
        Ok(row.map(|r| (r.get(0), r.get(1), r.get(2))))
    }

    pub async fn household_by_qr_token(&self, village: &str, token: &str) -> Result<Option<String>> {
        let row = self
            .q_opt(
                "SELECT code FROM households WHERE village = $1 AND qr_token = $2",
                &[&village, &token],
            )
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    pub async fn household_of_resident(&self, village: &str, id_hash: &str) -> Result<Option<String>> {
        let row = self
            .q_opt(
                "SELECT household FROM residents WHERE village = $1 AND id_hash = $2",
                &[&village, &id_hash],
            )
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    /// Every household: (code, grid, QR token, has a head), for planning an import.
    pub async fn household_index(&self, village: &str) -> Result<Vec<(String, String, Option<String>, bool)>> {
        let rows = self
            .q(
                "SELECT h.code, h.grid, h.qr_token,
                        EXISTS (SELECT 1 FROM residents r WHERE r.village = h.village AND r.household = h.code
                                AND r.role = 'head')
                 FROM households h WHERE h.village = $1",
                &[&village],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3))).collect())
    }

    /// Every resident's hash with their household, for planning an import.
    pub async fn resident_index(&self, village: &str) -> Result<Vec<(String, String)>> {
        let rows = self
            .q(
                "SELECT id_hash, household FROM residents WHERE village = $1",
                &[&village],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    pub async fn insert_household(&self, village: &str, code: &str, grid: &str, at: DateTime<Utc>) -> Result<()> {
        self.exec(
            "INSERT INTO households (village, code, grid, created_at) VALUES ($1, $2, $3, $4)",
            &[&village, &code, &grid, &at],
        )
        .await?;
        Ok(())
    }

    /// Registers a file's worth of households, residents and QR cards in three statements.
    pub async fn register_households(
        &self,
        village: &str,
        households: &[(String, String)],
        residents: &[(String, Resident, String)],
        tokens: &[(String, String)],
        at: DateTime<Utc>,
    ) -> Result<()> {
        let codes: Vec<&str> = households.iter().map(|(c, _)| c.as_str()).collect();
        let grids: Vec<&str> = households.iter().map(|(_, g)| g.as_str()).collect();
        let token_codes: Vec<&str> = tokens.iter().map(|(c, _)| c.as_str()).collect();
        let token_values: Vec<&str> = tokens.iter().map(|(_, t)| t.as_str()).collect();
        // A new household's token goes in with it: updating it afterwards left a dead row
        // and a second index entry per household (a county's register took twice as long).
        self.exec(
            "INSERT INTO households (village, code, grid, qr_token, created_at)
             SELECT $1, h.code, h.grid, t.token, $2
             FROM unnest($3::text[], $4::text[]) AS h(code, grid)
             LEFT JOIN unnest($5::text[], $6::text[]) AS t(code, token) ON t.code = h.code",
            &[&village, &at, &codes, &grids, &token_codes, &token_values],
        )
        .await?;
        let col = |f: fn(&(String, Resident, String)) -> &str| residents.iter().map(f).collect::<Vec<&str>>();
        self.exec(
            "INSERT INTO residents (village, household, name, role, id_last4, id_hash)
             SELECT $1, household, name, role, id_last4, id_hash FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
                 WITH ORDINALITY AS t(household, name, role, id_last4, id_hash, ord)
             ORDER BY ord",
            &[
                &village,
                &col(|(h, _, _)| h),
                &col(|(_, r, _)| &r.name),
                &col(|(_, r, _)| r.role.key()),
                &col(|(_, r, _)| &r.id_last4),
                &col(|(_, _, hash)| hash),
            ],
        )
        .await?;
        self.exec(
            "UPDATE households h SET qr_token = t.token
             FROM unnest($2::text[], $3::text[]) AS t(code, token)
             WHERE h.village = $1 AND h.code = t.code AND h.qr_token IS DISTINCT FROM t.token",
            &[&village, &token_codes, &token_values],
        )
        .await?;
        Ok(())
    }

    pub async fn set_qr_token(&self, village: &str, code: &str, token: &str) -> Result<()> {
        self.exec(
            "UPDATE households SET qr_token = $3 WHERE village = $1 AND code = $2",
            &[&village, &code, &token],
        )
        .await?;
        Ok(())
    }

    pub async fn insert_resident(&self, village: &str, household: &str, r: &Resident, id_hash: &str) -> Result<()> {
        self.exec(
            "INSERT INTO residents (village, id_hash, household, name, role, id_last4)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            &[&village, &id_hash, &household, &r.name, &r.role.key(), &r.id_last4],
        )
        .await?;
        Ok(())
    }

    /// Residents with their hashes, the head first, then in registration order.
    pub async fn residents_with_hashes(&self, village: &str, household: &str) -> Result<Vec<ResidentRecord>> {
        let rows = self
            .q(
                "SELECT id_hash, name, role, id_last4 FROM residents WHERE village = $1 AND household = $2
                 ORDER BY role = 'head' DESC, pos",
                &[&village, &household],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ResidentRecord {
                    id_hash: r.get(0),
                    resident: Resident {
                        name: r.get(1),
                        role: parse(r.get::<_, String>(2), "resident role", Role::parse)?,
                        id_last4: r.get(3),
                    },
                })
            })
            .collect()
    }

    /// Head of household's name per household (for the ranking).
    pub async fn heads(&self, village: &str) -> Result<Vec<(String, String)>> {
        let rows = self
            .q(
                "SELECT household, name FROM residents WHERE village = $1 AND role = 'head'",
                &[&village],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    // ---- rules ----

    pub async fn rule(&self, village: &str, code: &str) -> Result<Option<RuleItem>> {
        let row = self
            .q_opt(
                "SELECT code, area, kind, points, text FROM rules WHERE village = $1 AND code = $2",
                &[&village, &code],
            )
            .await?;
        row.as_ref().map(rule_item).transpose()
    }

    pub async fn rules(&self, village: &str) -> Result<Vec<RuleItem>> {
        let rows = self
            .q(
                "SELECT code, area, kind, points, text FROM rules WHERE village = $1 ORDER BY code",
                &[&village],
            )
            .await?;
        rows.iter().map(rule_item).collect()
    }

    pub async fn upsert_rule(&self, village: &str, rule: &RuleItem, at: DateTime<Utc>) -> Result<()> {
        self.exec(
            "INSERT INTO rules (village, code, area, kind, points, text, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (village, code) DO UPDATE SET area = excluded.area, kind = excluded.kind,
                     points = excluded.points, text = excluded.text, updated_at = excluded.updated_at",
            &[
                &village,
                &rule.code,
                &rule.area.key(),
                &rule.kind.key(),
                &rule.points,
                &rule.text,
                &at,
            ],
        )
        .await?;
        Ok(())
    }

    // ---- the ledger ----

    /// Appends entries, skipping any whose id or scoring-sheet key is already there, and
    /// moves balances and monthly merit by the ones added, in one statement. Returns the
    /// ids added.
    pub async fn insert_entries(&self, village: &str, entries: &[(&LedgerEntry, Option<&str>)]) -> Result<Vec<Uuid>> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let col = |f: fn(&LedgerEntry) -> String| entries.iter().map(|(e, _)| f(e)).collect::<Vec<String>>();
        let ids: Vec<Uuid> = entries.iter().map(|(e, _)| e.id).collect();
        let deltas: Vec<i64> = entries.iter().map(|(e, _)| e.delta).collect();
        let rules: Vec<Option<&str>> = entries.iter().map(|(e, _)| e.rule_code.as_deref()).collect();
        let times: Vec<DateTime<Utc>> = entries.iter().map(|(e, _)| e.created_at).collect();
        let corrects: Vec<Option<Uuid>> = entries.iter().map(|(e, _)| e.corrects).collect();
        let keys: Vec<Option<&str>> = entries.iter().map(|(_, k)| *k).collect();
        let rows = self.q(
                "WITH input AS (
                     SELECT * FROM unnest($2::uuid[], $3::text[], $4::int8[], $5::text[], $6::text[], $7::text[],
                                          $8::text[], $9::text[], $10::text[], $11::timestamptz[], $12::uuid[],
                                          $13::text[])
                     WITH ORDINALITY AS t(id, household, delta, kind, rule_code, reason, month, source,
                                          recorded_by, created_at, corrects, dedupe_key, ord)
                 ), ins AS (
                     INSERT INTO ledger (id, village, household, delta, kind, rule_code, reason, month, source,
                                         recorded_by, created_at, corrects, dedupe_key)
                     SELECT id, $1, household, delta, kind, rule_code, reason, month, source, recorded_by,
                            created_at, corrects, dedupe_key
                     FROM input ORDER BY ord
                     ON CONFLICT DO NOTHING
                     RETURNING id, household, delta, kind, month
                 ), balance AS (
                     UPDATE households h SET balance = h.balance + s.total
                     FROM (SELECT household, sum(delta) AS total FROM ins GROUP BY household) s
                     WHERE h.village = $1 AND h.code = s.household
                 ), merit AS (
                     INSERT INTO merit_monthly (village, household, month, earned)
                     SELECT $1, household, month, sum(delta) FROM ins
                     WHERE kind IN ('award', 'deduction', 'correction') GROUP BY household, month
                     ON CONFLICT (village, household, month) DO UPDATE SET earned = merit_monthly.earned + excluded.earned
                 )
                 SELECT id FROM ins",
                &[
                    &village,
                    &ids,
                    &col(|e| e.household.clone()),
                    &deltas,
                    &col(|e| e.kind.key().to_string()),
                    &rules,
                    &col(|e| e.reason.clone()),
                    &col(|e| e.month.to_string()),
                    &col(|e| e.source.clone()),
                    &col(|e| e.recorded_by.clone()),
                    &times,
                    &corrects,
                    &keys,
                ],
            )
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// Entries by id, each with its scoring-sheet key, in the order asked.
    pub async fn entries_by_ids(&self, ids: &[Uuid]) -> Result<Vec<(LedgerEntry, Option<String>)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!("SELECT {ENTRY_COLS} FROM ledger WHERE id = ANY($1)");
        let rows = self.q(&sql, &[&ids]).await?;
        let mut found = std::collections::HashMap::with_capacity(rows.len());
        for r in &rows {
            let e = ledger_entry(r)?;
            found.insert(e.id, (e, r.get::<_, Option<String>>(11)));
        }
        ids.iter()
            .map(|id| {
                found
                    .remove(id)
                    .ok_or_else(|| PgError::Corrupt(format!("the feed names ledger entry {id} that does not exist")))
            })
            .collect()
    }

    /// A household's newest entries first.
    pub async fn entries_of(&self, village: &str, household: &str, limit: usize) -> Result<Vec<LedgerEntry>> {
        let sql =
            format!("SELECT {ENTRY_COLS} FROM ledger WHERE village = $1 AND household = $2 ORDER BY seq DESC LIMIT $3");
        let rows = self.q(&sql, &[&village, &household, &(limit as i64)]).await?;
        rows.iter().map(ledger_entry).collect()
    }

    /// The points already recorded under each of these scoring-sheet keys.
    pub async fn sheet_deltas(&self, village: &str, keys: &[String]) -> Result<Vec<(String, i64)>> {
        let rows = self
            .q(
                "SELECT dedupe_key, delta FROM ledger WHERE village = $1 AND dedupe_key = ANY($2)",
                &[&village, &keys],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    pub async fn household_balance(&self, village: &str, household: &str) -> Result<Option<i64>> {
        Ok(self.household_row(village, household).await?.map(|(_, _, b)| b))
    }

    pub async fn flag_overdraft(
        &self,
        village: &str,
        entry: Uuid,
        household: &str,
        balance_after: i64,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO overdrafts (entry_id, village, household, balance_after, flagged_at)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            &[&entry, &village, &household, &balance_after, &at],
        )
        .await?;
        Ok(())
    }

    pub async fn record_import(
        &self,
        village: &str,
        digest: &str,
        kind: &str,
        file: &str,
        rows: usize,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO imports (village, digest, kind, file_name, rows, imported_at)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            &[&village, &digest, &kind, &file, &(rows as i64), &at],
        )
        .await?;
        Ok(())
    }

    // ---- the catalogue ----

    pub async fn item(&self, village: &str, code: &str) -> Result<Option<CatalogueItem>> {
        let sql = format!("SELECT {ITEM_COLS} FROM items WHERE village = $1 AND code = $2");
        let row = self.q_opt(&sql, &[&village, &code]).await?;
        row.as_ref().map(catalogue_item).transpose()
    }

    /// Adds an item; a limited one starts with nothing on any shelf (stock comes as moves).
    pub async fn insert_item(&self, village: &str, item: &CatalogueItem, at: DateTime<Utc>) -> Result<()> {
        let stock = match item.stock {
            Stock::Limited(_) => Some(0i64),
            Stock::Unlimited => None,
        };
        self.exec(
            "INSERT INTO items (village, code, name, points_cost, stock, merchant, sponsor, valid_days, active,
                                    updated_at, picture)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            &[
                &village,
                &item.code,
                &item.name,
                &item.points_cost,
                &stock,
                &item.merchant,
                &item.sponsor,
                &(item.valid_days as i32),
                &item.active,
                &at,
                &item.picture,
            ],
        )
        .await?;
        Ok(())
    }

    /// Everything but the stock, which only moves through [`PgTx::move_stock_batch`].
    pub async fn update_item_details(&self, village: &str, item: &CatalogueItem, at: DateTime<Utc>) -> Result<()> {
        self.exec(
            "UPDATE items SET name = $3, points_cost = $4, merchant = $5, sponsor = $6, valid_days = $7,
                                  active = $8, updated_at = $9, picture = $10
                 WHERE village = $1 AND code = $2",
            &[
                &village,
                &item.code,
                &item.name,
                &item.points_cost,
                &item.merchant,
                &item.sponsor,
                &(item.valid_days as i32),
                &item.active,
                &at,
                &item.picture,
            ],
        )
        .await?;
        Ok(())
    }

    // ---- redemptions and vouchers ----

    /// A redemption as it travels, with its voucher.
    pub async fn redemption_record(&self, village: &str, id: &str) -> Result<Option<RedemptionRecord>> {
        let row = self
            .q_opt(
                "SELECT r.id, r.household, r.item, r.qty, r.points, r.ledger_id, r.recorded_by, r.created_at, v.serial
                 FROM redemptions r JOIN vouchers v ON v.village = r.village AND v.redemption_id = r.id
                 WHERE r.village = $1 AND r.id = $2",
                &[&village, &id],
            )
            .await?;
        let Some(r) = row else { return Ok(None) };
        let serial: String = r.get(8);
        let (voucher, _, _) = self
            .voucher_record(village, &serial)
            .await?
            .ok_or_else(|| PgError::Corrupt(format!("redemption {id} has no voucher")))?;
        Ok(Some(RedemptionRecord {
            id: r.get(0),
            household: r.get(1),
            item_code: r.get(2),
            qty: r.get(3),
            points: r.get(4),
            ledger_id: r.get::<_, Uuid>(5).to_string(),
            recorded_by: r.get(6),
            created_at: r.get(7),
            voucher,
        }))
    }

    /// A voucher as it travels, with the code of its item and its redemption's id.
    pub async fn voucher_record(&self, village: &str, serial: &str) -> Result<Option<(VoucherRecord, String, String)>> {
        let sql = format!(
            "SELECT {VOUCHER_COLS}, r.item, r.id FROM vouchers v
             JOIN redemptions r ON r.village = v.village AND r.id = v.redemption_id
             WHERE v.village = $1 AND v.serial = $2"
        );
        let row = self.q_opt(&sql, &[&village, &serial]).await?;
        let Some(r) = row else { return Ok(None) };
        let record = VoucherRecord {
            serial: r.get(0),
            status: parse(r.get::<_, String>(1), "voucher status", VoucherStatus::parse)?,
            qr_payload: r.get(2),
            issued_at: r.get(3),
            expires_on: r.get::<_, NaiveDate>(4),
            settled_at: r.get(5),
            settled_merchant: r.get(6),
            settled_by: r.get(7),
            void_reason: r.get(8),
            refund_ledger_id: r.get::<_, Option<Uuid>>(9).map(|u| u.to_string()),
            settled_device: r.get(10),
        };
        Ok(Some((record, r.get(11), r.get(12))))
    }

    pub async fn mark_voucher_void(&self, village: &str, serial: &str, reason: &str, refund: &str) -> Result<()> {
        let refund = uuid_col(refund, "refund")?;
        self.exec(
            "UPDATE vouchers SET status = 'void', void_reason = $3, refund_ledger_id = $4
                 WHERE village = $1 AND serial = $2",
            &[&village, &serial, &reason, &refund],
        )
        .await?;
        Ok(())
    }

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
