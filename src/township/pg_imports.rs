//! Imports on the PostgreSQL engine: a households file, a scoring sheet (with its photos)
//! and a rules file, each checked by the kiosk's own planners in `app` against the
//! village's data loaded in a few queries, then written in a few set-based statements.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::postgres::{PgTownship, INSERT_CHUNK};
use super::{Result, TownshipStorage};
use crate::app::{plan_households, plan_points, sheet_keys, ImportLookup, ImportReport};
use crate::domain::rules::RuleItem;
use crate::store::pg::{PgError, PgTx};

impl PgTownship {
    pub(super) fn households_file(&self, village: &str, file: &str, bytes: &[u8]) -> Result<ImportReport> {
        let secret = self.id_number_key(village)?;
        let now = self.clock().now();
        self.store().write(Some(village), async |tx| {
            tx.plan_each_statement().await?;
            let mut lookup = Lookup::load(tx, village, None).await?;
            let plan = plan_households(file, bytes, &secret, &mut lookup)?;
            tx.register_households(village, &plan.new_households, &plan.residents, &plan.tokens, now)
                .await?;
            let changes: Vec<(&str, String)> = plan.touched.iter().map(|c| ("household_changed", c.clone())).collect();
            tx.append_feed(village, &changes, None, now).await?;
            tx.record_import(village, &plan.file_digest, "households", file, plan.report.rows, now)
                .await?;
            Ok(plan.report)
        })
    }

    pub(super) fn scoring_sheet(&self, village: &str, file: &str, bytes: &[u8]) -> Result<ImportReport> {
        let clock = self.clock();
        let now = clock.now();
        let keys = sheet_keys(bytes);
        self.store().write(Some(village), async |tx| {
            tx.plan_each_statement().await?;
            let mut lookup = Lookup::load(tx, village, Some(&keys)).await?;
            let plan = plan_points(file, bytes, village, clock.as_ref(), &mut lookup, false)?;
            // Every photo read and checked before anything is written: all or nothing.
            let photos = crate::app::load_sheet_photos(file, &plan)?;
            for chunk in plan.entries.chunks(INSERT_CHUNK) {
                let rows: Vec<_> = chunk.iter().map(|(e, k)| (e, Some(k.as_str()))).collect();
                let added = tx.insert_entries(village, &rows).await?;
                if added.len() != rows.len() {
                    return Err(PgError::Corrupt("a planned sheet row was already in the ledger".into()).into());
                }
                let changes: Vec<(&str, String)> = added.iter().map(|id| ("ledger_entry", id.to_string())).collect();
                tx.append_feed(village, &changes, None, now).await?;
            }
            let mut report = plan.report;
            for (entry, recorded_by, kept) in &photos {
                let records = crate::app::evidence_records(*entry, kept, recorded_by, now);
                tx.insert_evidence(village, &records).await?;
                for p in kept {
                    tx.put_photo(village, &p.sha256, &p.jpeg).await?;
                }
                tx.append_feed(village, &[("evidence_added", entry.to_string())], None, now)
                    .await?;
                report.photos += kept.len();
            }
            tx.record_import(village, &plan.file_digest, "points", file, report.rows, now)
                .await?;
            Ok(report)
        })
    }

    pub(super) fn rules_file(&self, file: &str, bytes: &[u8]) -> Result<ImportReport> {
        // Checked once on its own first, so a bad file changes no village.
        let rules = crate::app::check_rules_csv(file, bytes)?;
        let now = self.clock().now();
        let mut total = ImportReport {
            file: file.to_string(),
            rows: rules.len(),
            ..ImportReport::default()
        };
        for v in self.villages()? {
            let applied = self
                .store()
                .write(Some(&v.code), async |tx| apply_rules(tx, &v.code, &rules, now).await)?;
            total.applied += applied;
            total.unchanged += rules.len() - applied;
        }
        self.store()
            .write(None, async |tx| tx.add_rule_import(file, bytes, now).await)?;
        Ok(total)
    }
}

/// Upserts the rules that differ, each with a `rule_changed` in the feed; how many.
pub(super) async fn apply_rules(
    tx: &PgTx<'_>,
    village: &str,
    rules: &[RuleItem],
    now: DateTime<Utc>,
) -> Result<usize, PgError> {
    let mut changed = Vec::new();
    for rule in rules {
        if tx.rule(village, &rule.code).await?.as_ref() != Some(rule) {
            tx.upsert_rule(village, rule, now).await?;
            changed.push(("rule_changed", rule.code.clone()));
        }
    }
    tx.append_feed(village, &changed, None, now).await?;
    Ok(changed.len())
}

/// The village's data an import is checked against, loaded in a few queries.
#[derive(Default)]
struct Lookup {
    households: HashMap<String, (String, Option<String>)>,
    tokens: HashMap<String, String>,
    heads: HashSet<String>,
    residents: HashMap<String, String>,
    rules: HashMap<String, RuleItem>,
    sheet: HashMap<String, i64>,
}

impl Lookup {
    async fn load(tx: &PgTx<'_>, village: &str, sheet_keys: Option<&[String]>) -> Result<Lookup, PgError> {
        let mut l = Lookup::default();
        for (code, grid, token, has_head) in tx.household_index(village).await? {
            if let Some(t) = &token {
                l.tokens.insert(t.clone(), code.clone());
            }
            if has_head {
                l.heads.insert(code.clone());
            }
            l.households.insert(code, (grid, token));
        }
        match sheet_keys {
            // A scoring sheet needs rules and keys; a households file needs residents.
            Some(keys) => {
                l.rules = tx
                    .rules(village)
                    .await?
                    .into_iter()
                    .map(|r| (r.code.clone(), r))
                    .collect();
                l.sheet = tx.sheet_deltas(village, keys).await?.into_iter().collect();
            }
            None => l.residents = tx.resident_index(village).await?.into_iter().collect(),
        }
        Ok(l)
    }
}

impl ImportLookup for Lookup {
    fn household(&mut self, code: &str) -> crate::app::Result<Option<(String, Option<String>)>> {
        Ok(self.households.get(code).cloned())
    }
    fn household_of_qr_token(&mut self, token: &str) -> crate::app::Result<Option<String>> {
        Ok(self.tokens.get(token).cloned())
    }
    fn household_of_resident(&mut self, id_hash: &str) -> crate::app::Result<Option<String>> {
        Ok(self.residents.get(id_hash).cloned())
    }
    fn has_head(&mut self, code: &str) -> crate::app::Result<bool> {
        Ok(self.heads.contains(code))
    }
    fn rule(&mut self, code: &str) -> crate::app::Result<Option<RuleItem>> {
        Ok(self.rules.get(code).cloned())
    }
    fn sheet_delta(&mut self, key: &str) -> crate::app::Result<Option<i64>> {
        Ok(self.sheet.get(key).copied())
    }
}
