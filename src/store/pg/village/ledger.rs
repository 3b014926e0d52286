//! A village's rules and ledger on PostgreSQL: entries written in one statement per
//! batch, sheet keys, balances and overdraft flags, imports recorded.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::super::{PgError, PgTx, Result};
use super::{ledger_entry, rule_item, ENTRY_COLS};

use crate::domain::ledger::LedgerEntry;
use crate::domain::rules::RuleItem;

impl PgTx<'_> {
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
}
