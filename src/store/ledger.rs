use rusqlite::{params, OptionalExtension};
use uuid::Uuid;

use super::facts::EntryFacts;
use super::{parse_col, parse_time, time_text, Result, Tx};
use crate::domain::ledger::{EntryKind, LedgerEntry};
use crate::domain::period::Month;

/// Keys bound per `IN (…)` query when a batch is looked up.
const IN_CHUNK: usize = 500;

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(",")
}

/// Points earned by one household over a range of months (merit entries only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeritRow {
    pub household: String,
    pub grid: String,
    pub earned: i64,
}

const INSERT_ENTRY: &str = "INSERT INTO ledger (id, household_code, delta, kind, rule_code, reason, month, source,
                                 recorded_by, created_at, corrects, dedupe_key)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";

const ENTRY_COLS: &str =
    "id, household_code, delta, kind, rule_code, reason, month, source, recorded_by, created_at, corrects";

impl Tx<'_> {
    /// Appends an entry and moves the household's cached balance by its delta, in the
    /// caller's transaction. This is the only way points move.
    pub fn append_entry(&self, e: &LedgerEntry, dedupe_key: Option<&str>) -> Result<()> {
        self.insert_entry(e, dedupe_key, INSERT_ENTRY)?;
        self.move_balance(e)
    }

    /// Appends an entry received by sync unless one with its id or import key is already
    /// here; true if it was new. The unique indexes decide, so a page of thousands of
    /// entries costs one statement each rather than a lookup and an insert.
    pub fn append_entry_if_new(&self, e: &LedgerEntry, dedupe_key: Option<&str>) -> Result<bool> {
        let sql = format!("{INSERT_ENTRY} ON CONFLICT DO NOTHING");
        let inserted = self.insert_entry(e, dedupe_key, &sql)? == 1;
        if inserted {
            self.move_balance(e)?;
        }
        Ok(inserted)
    }

    fn insert_entry(&self, e: &LedgerEntry, dedupe_key: Option<&str>, sql: &str) -> Result<usize> {
        Ok(self.exec(
            sql,
            params![
                e.id.to_string(),
                e.household,
                e.delta,
                e.kind.key(),
                e.rule_code,
                e.reason,
                e.month.to_string(),
                e.source,
                e.recorded_by,
                time_text(e.created_at),
                e.corrects.map(|u| u.to_string()),
                dedupe_key,
            ],
        )?)
    }

    fn move_balance(&self, e: &LedgerEntry) -> Result<()> {
        self.exec(
            "UPDATE households SET balance = balance + ?2 WHERE code = ?1",
            params![e.household, e.delta],
        )?;
        Ok(())
    }

    /// Appends entries received by sync (new ones: the caller checked) and moves each
    /// household's balance once for all of its entries.
    pub fn append_entries(&self, entries: &[(&LedgerEntry, Option<&str>)]) -> Result<()> {
        let mut totals: std::collections::BTreeMap<&str, i64> = std::collections::BTreeMap::new();
        for (e, key) in entries {
            self.insert_entry(e, *key, INSERT_ENTRY)?;
            *totals.entry(e.household.as_str()).or_default() += e.delta;
        }
        for (household, delta) in totals {
            self.exec(
                "UPDATE households SET balance = balance + ?2 WHERE code = ?1",
                params![household, delta],
            )?;
        }
        Ok(())
    }

    /// What applying needs to know of those of these entries that exist, a query per
    /// 500 ids.
    pub fn entry_facts(&self, ids: &[Uuid]) -> Result<Vec<EntryFacts>> {
        let mut found = Vec::new();
        for chunk in ids.chunks(IN_CHUNK) {
            let sql = format!(
                "SELECT id, household_code, delta, kind, rule_code, corrects FROM ledger WHERE id IN ({})",
                placeholders(chunk.len())
            );
            let mut stmt = self.tx.prepare_cached(&sql)?;
            let texts: Vec<String> = chunk.iter().map(Uuid::to_string).collect();
            let rows = stmt
                .query_map(rusqlite::params_from_iter(texts.iter()), |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, Option<String>>(4)?,
                        r.get::<_, Option<String>>(5)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            for (id, household, delta, kind, rule, corrects) in rows {
                found.push(EntryFacts {
                    id: parse_col(id, "entry id", |s| Uuid::parse_str(s).ok())?,
                    household,
                    delta,
                    kind: parse_col(kind, "entry kind", EntryKind::parse)?,
                    rule_code: rule,
                    corrects: corrects
                        .map(|c| parse_col(c, "corrected entry", |s| Uuid::parse_str(s).ok()))
                        .transpose()?,
                });
            }
        }
        Ok(found)
    }

    /// Those of these scoring-sheet keys already in the ledger, a query per 500 keys.
    pub fn known_dedupe_keys(&self, keys: &[String]) -> Result<Vec<String>> {
        let mut found = Vec::new();
        for chunk in keys.chunks(IN_CHUNK) {
            let sql = format!(
                "SELECT dedupe_key FROM ledger WHERE dedupe_key IN ({})",
                placeholders(chunk.len())
            );
            let mut stmt = self.tx.prepare_cached(&sql)?;
            let rows = stmt
                .query_map(rusqlite::params_from_iter(chunk.iter()), |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            found.extend(rows);
        }
        Ok(found)
    }

    /// The delta of the entry recorded under an import key, if any.
    pub fn entry_delta_by_dedupe_key(&self, key: &str) -> Result<Option<i64>> {
        Ok(self
            .row("SELECT delta FROM ledger WHERE dedupe_key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    pub fn entry(&self, id: Uuid) -> Result<Option<LedgerEntry>> {
        let sql = format!("SELECT {ENTRY_COLS} FROM ledger WHERE id = ?1");
        let row = self.row(&sql, [id.to_string()], entry_cols).optional()?;
        row.map(entry_from_cols).transpose()
    }

    /// The household's entries, newest first.
    pub fn entries_of(&self, household: &str, limit: usize) -> Result<Vec<LedgerEntry>> {
        let sql = format!("SELECT {ENTRY_COLS} FROM ledger WHERE household_code = ?1 ORDER BY seq DESC LIMIT ?2");
        let mut stmt = self.tx.prepare_cached(&sql)?;
        let rows = stmt
            .query_map(params![household, limit as i64], entry_cols)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(entry_from_cols).collect()
    }

    /// Every entry in insertion order, for export.
    pub fn all_entries(&self) -> Result<Vec<LedgerEntry>> {
        let sql = format!("SELECT {ENTRY_COLS} FROM ledger ORDER BY seq");
        let mut stmt = self.tx.prepare(&sql)?;
        let rows = stmt.query_map([], entry_cols)?.collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(entry_from_cols).collect()
    }

    /// Points earned between two months inclusive, for every household (zero included),
    /// optionally within one grid.
    pub fn merit_by_household(&self, from: Month, to: Month, grid: Option<&str>) -> Result<Vec<MeritRow>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT h.code, h.grid, coalesce(m.earned, 0)
             FROM households h
             LEFT JOIN (SELECT household_code, sum(earned) AS earned FROM merit_monthly
                        WHERE month BETWEEN ?1 AND ?2
                        GROUP BY household_code) m ON m.household_code = h.code
             WHERE ?3 IS NULL OR h.grid = ?3",
        )?;
        let rows = stmt
            .query_map(params![from.to_string(), to.to_string(), grid], |r| {
                Ok(MeritRow {
                    household: r.get(0)?,
                    grid: r.get(1)?,
                    earned: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Households with a deduction under a rule of `area` between two months that still
    /// stands: not corrected back to nothing (a dispute's correction names the entry).
    pub fn households_deducted_in_area(&self, area: &str, from: Month, to: Month) -> Result<Vec<String>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT DISTINCT l.household_code FROM ledger l
             JOIN rules r ON r.code = l.rule_code
             WHERE l.kind = 'deduction' AND r.area = ?1 AND l.month BETWEEN ?2 AND ?3
               AND l.delta + coalesce((SELECT sum(c.delta) FROM ledger c WHERE c.corrects = l.id), 0) < 0
             ORDER BY 1",
        )?;
        let rows = stmt
            .query_map(params![area, from.to_string(), to.to_string()], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(rows)
    }

    /// Points one household earned between two months inclusive.
    pub fn merit_of(&self, household: &str, from: Month, to: Month) -> Result<i64> {
        Ok(self.row(
            "SELECT coalesce(sum(earned), 0) FROM merit_monthly
             WHERE household_code = ?1 AND month BETWEEN ?2 AND ?3",
            params![household, from.to_string(), to.to_string()],
            |r| r.get(0),
        )?)
    }

    /// Merit by month and area (entries without a rule count as 其他), newest month
    /// first: the body of a household's points statement.
    pub fn merit_by_month_and_area(
        &self,
        household: &str,
        from: Month,
        to: Month,
    ) -> Result<Vec<(String, String, i64)>> {
        let mut stmt = self.tx.prepare(
            "SELECT l.month, coalesce(r.area, '其他'), sum(l.delta) FROM ledger l
             LEFT JOIN rules r ON r.code = l.rule_code
             WHERE l.household_code = ?1 AND l.kind IN ('award', 'deduction', 'correction')
               AND l.month BETWEEN ?2 AND ?3
             GROUP BY 1, 2 ORDER BY 1 DESC, 2",
        )?;
        let rows = stmt
            .query_map(params![household, from.to_string(), to.to_string()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Changes whenever any process appends to the ledger or registers a household:
    /// the key for caching derived figures such as the quarter's merit table.
    pub fn merit_version(&self) -> Result<(i64, i64)> {
        Ok(self.row(
            "SELECT (SELECT coalesce(max(seq), 0) FROM ledger), (SELECT count(*) FROM households)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }

    pub fn household_balance(&self, household: &str) -> Result<Option<i64>> {
        Ok(self
            .row("SELECT balance FROM households WHERE code = ?1", [household], |r| {
                r.get(0)
            })
            .optional()?)
    }
}

type EntryCols = (
    String,
    String,
    i64,
    String,
    Option<String>,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
);

fn entry_cols(r: &rusqlite::Row) -> rusqlite::Result<EntryCols> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
        r.get(10)?,
    ))
}

fn entry_from_cols(c: EntryCols) -> Result<LedgerEntry> {
    let (id, household, delta, kind, rule_code, reason, month, source, recorded_by, created_at, corrects) = c;
    Ok(LedgerEntry {
        id: parse_col(id, "ledger id", |s| Uuid::parse_str(s).ok())?,
        household,
        delta,
        kind: parse_col(kind, "entry kind", EntryKind::parse)?,
        rule_code,
        reason,
        month: parse_col(month, "month", |s| s.parse().ok())?,
        source,
        recorded_by,
        created_at: parse_time(created_at)?,
        corrects: corrects
            .map(|c| parse_col(c, "corrected id", |s| Uuid::parse_str(s).ok()))
            .transpose()?,
    })
}

impl Tx<'_> {
    /// An entry with its import key, in one lookup (sync expands thousands of these).
    pub fn entry_with_key(&self, id: Uuid) -> Result<Option<(LedgerEntry, Option<String>)>> {
        let sql = format!("SELECT {ENTRY_COLS}, dedupe_key FROM ledger WHERE id = ?1");
        let row = self
            .row(&sql, [id.to_string()], |r| {
                Ok((entry_cols(r)?, r.get::<_, Option<String>>(11)?))
            })
            .optional()?;
        row.map(|(cols, key)| Ok((entry_from_cols(cols)?, key))).transpose()
    }

    /// Merit by area over a range of months, every area that has entries: (area, points,
    /// entries). A village scoring only the easy areas shows here.
    pub fn merit_by_area(&self, from: Month, to: Month) -> Result<Vec<(String, i64, i64)>> {
        let mut stmt = self.tx.prepare(
            "SELECT coalesce(r.area, '其他'), sum(l.delta), count(*) FROM ledger l
             LEFT JOIN rules r ON r.code = l.rule_code
             WHERE l.kind IN ('award', 'deduction', 'correction') AND l.month BETWEEN ?1 AND ?2
             GROUP BY 1 ORDER BY 2 DESC, 1",
        )?;
        let rows = stmt
            .query_map(params![from.to_string(), to.to_string()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}
