//! Imports: households, a month's scoring sheet, rule items.
//!
//! Every import is all-or-nothing: rows are checked first, against each other and against
//! the database, inside the write transaction; if any row is wrong, every wrong row is
//! reported with its line number and nothing is written. Importing the same sheet twice
//! adds nothing the second time.

mod households;
mod points;
mod rows;
mod rules;
mod text;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{App, AppError, Result};
use crate::domain::household::Role;
use crate::domain::rules::RuleItem;
use crate::store::Tx;

pub use households::{plan_households, HouseholdPlan};
pub(super) use points::sheet_row_entry_id;
pub use points::{plan_points, sheet_keys, PointsPlan};
pub(super) use rules::parse_rules_csv;
pub use rules::{check_rules_csv, standard_rules};

/// What an import did (or, with `--dry-run`, would do).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub file: String,
    pub dry_run: bool,
    /// Data rows read (header excluded).
    pub rows: usize,
    /// Rows that add or change something.
    pub applied: usize,
    /// Rows already in the database, e.g. from importing the same file before.
    pub unchanged: usize,
    pub households_created: usize,
    /// Net points of the applied rows of a scoring sheet.
    pub points_total: i64,
    /// Photos of supervision sheets a scoring sheet's rows named, kept with their entries.
    pub photos: usize,
}

/// What an import checks against the village's data. The kiosk answers from its SQLite
/// transaction; the township's PostgreSQL engine from tables it loads once per import, so
/// both engines accept and refuse exactly the same rows.
pub trait ImportLookup {
    /// The household's grid and QR token, if it is registered.
    fn household(&mut self, code: &str) -> Result<Option<(String, Option<String>)>>;
    fn household_of_qr_token(&mut self, token: &str) -> Result<Option<String>>;
    fn household_of_resident(&mut self, id_hash: &str) -> Result<Option<String>>;
    fn has_head(&mut self, code: &str) -> Result<bool>;
    fn rule(&mut self, code: &str) -> Result<Option<RuleItem>>;
    /// The points already recorded under a scoring-sheet key.
    fn sheet_delta(&mut self, key: &str) -> Result<Option<i64>>;
}

impl App {
    pub fn import_households(&mut self, file: &str, bytes: &[u8], dry_run: bool) -> Result<ImportReport> {
        let secret = self.id_number_secret()?;
        let now = self.clock.now();
        let report = self.store.write(|tx| {
            let plan = plan_households(file, bytes, &secret, &mut TxLookup(tx))?;
            let mut report = plan.report;
            report.dry_run = dry_run;
            for (code, grid) in &plan.new_households {
                tx.insert_household(code, grid, None, now)?;
            }
            for (code, resident, hash) in &plan.residents {
                tx.insert_resident(code, resident, hash)?;
            }
            for (code, token) in &plan.tokens {
                tx.set_household_qr_token(code, token)?;
            }
            if dry_run {
                // Checked against the database as it is; the caller's rollback discards the rows.
                return Err(AppError::DryRun(Box::new(report)));
            }
            for code in &plan.touched {
                tx.append_event("household_changed", code, now)?;
            }
            tx.record_import(&plan.file_digest, "households", file, report.rows, now)?;
            Ok(report)
        });
        unwrap_dry_run(report)
    }

    pub fn import_points(&mut self, file: &str, bytes: &[u8], dry_run: bool) -> Result<ImportReport> {
        let clock = self.clock.clone();
        let now = clock.now();
        let within = self.role == super::Role::Kiosk;
        let village = self.village.code.clone();
        let role = self.role;
        let report = self.store.write(|tx| {
            let plan = plan_points(file, bytes, &village, clock.as_ref(), &mut TxLookup(tx), within)?;
            // Every photo read and checked before anything is written: all or nothing.
            let photos = super::sheet_photos::load(file, &plan)?;
            let mut report = plan.report;
            report.dry_run = dry_run;
            for (e, key) in &plan.entries {
                tx.append_entry(e, Some(key))?;
                tx.append_event("ledger_entry", &e.id.to_string(), now)?;
            }
            for (entry, recorded_by, kept) in &photos {
                super::evidence::attach(tx, role, *entry, kept, recorded_by, now)?;
                report.photos += kept.len();
            }
            if dry_run {
                return Err(AppError::DryRun(Box::new(report)));
            }
            tx.record_import(&plan.file_digest, "points", file, report.rows, now)?;
            Ok(report)
        });
        unwrap_dry_run(report)
    }

    /// Adds or updates rule items by code.
    pub fn import_rules(&mut self, file: &str, bytes: &[u8]) -> Result<ImportReport> {
        let rules = parse_rules_csv(bytes).map_err(|e| AppError::rejected(file, e))?;
        let now = self.clock.now();
        self.store.write(|tx| {
            let mut report = ImportReport {
                file: file.to_string(),
                rows: rules.len(),
                ..ImportReport::default()
            };
            for rule in &rules {
                if tx.rule(&rule.code)?.as_ref() == Some(rule) {
                    report.unchanged += 1;
                } else {
                    tx.upsert_rule(rule, now)?;
                    tx.append_event("rule_changed", &rule.code, now)?;
                    report.applied += 1;
                }
            }
            Ok(report)
        })
    }
}

/// SHA-256 of an imported file, recorded with the import.
fn digest(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn unwrap_dry_run(r: Result<ImportReport>) -> Result<ImportReport> {
    match r {
        Err(AppError::DryRun(report)) => Ok(*report),
        other => other,
    }
}

/// The kiosk's own database answering an import's checks.
struct TxLookup<'a, 'b>(&'a Tx<'b>);

impl ImportLookup for TxLookup<'_, '_> {
    fn household(&mut self, code: &str) -> Result<Option<(String, Option<String>)>> {
        Ok(self.0.household_row(code)?.map(|h| (h.grid, h.qr_token)))
    }
    fn household_of_qr_token(&mut self, token: &str) -> Result<Option<String>> {
        Ok(self.0.household_by_qr_token(token)?)
    }
    fn household_of_resident(&mut self, id_hash: &str) -> Result<Option<String>> {
        Ok(self.0.household_of_resident(id_hash)?)
    }
    fn has_head(&mut self, code: &str) -> Result<bool> {
        Ok(self
            .0
            .household(code)?
            .is_some_and(|h| h.members.iter().any(|m| m.role == Role::Head)))
    }
    fn rule(&mut self, code: &str) -> Result<Option<RuleItem>> {
        Ok(self.0.rule(code)?)
    }
    fn sheet_delta(&mut self, key: &str) -> Result<Option<i64>> {
        Ok(self.0.entry_delta_by_dedupe_key(key)?)
    }
}
