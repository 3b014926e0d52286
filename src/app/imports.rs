//! CSV imports: households, a month's scoring sheet, rule items.
//!
//! Every import is all-or-nothing: rows are checked first, against each other and against
//! the database, inside the write transaction; if any row is wrong, every wrong row is
//! reported with its line number and nothing is written. Importing the same sheet twice
//! adds nothing the second time.

use std::collections::HashMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{new_entry, App, AppError, LineError, Result};
use crate::domain::clock::Clock;
use crate::domain::household::{Resident, Role};
use crate::domain::id_number::IdNumber;
use crate::domain::ledger::{EntryKind, LedgerEntry};
use crate::domain::period::Month;
use crate::domain::rules::{is_code, RuleItem, RuleKind};
use crate::store::Tx;

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

const HOUSEHOLD_HEADER: [&str; 6] = ["household_code", "grid", "name", "id_number", "role", "qr_token"];
const POINTS_HEADER: [&str; 6] = ["month", "household_code", "rule_code", "points", "note", "recorded_by"];
/// A scoring sheet may name photo files of each row's supervision sheet (`;`-separated,
/// relative to the sheet's folder).
const POINTS_OPTIONAL: [&str; 1] = ["photos"];
const RULES_HEADER: [&str; 5] = ["code", "area", "kind", "points", "text"];

struct HouseholdLine {
    line: u64,
    code: String,
    grid: String,
    name: String,
    id: IdNumber,
    role: Role,
    qr_token: Option<String>,
}

struct PointsLine {
    line: u64,
    month: Month,
    household: String,
    rule: String,
    points: Option<i64>,
    note: String,
    recorded_by: String,
    photos: Vec<String>,
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

/// A households file checked and ready to write.
#[derive(Debug, Default)]
pub struct HouseholdPlan {
    /// Households to create, with their grid.
    pub new_households: Vec<(String, String)>,
    /// (household, resident, keyed hash of the ID number).
    pub residents: Vec<(String, Resident, String)>,
    /// QR tokens for households that have none yet.
    pub tokens: Vec<(String, String)>,
    /// Households that gained a resident, in file order, each once.
    pub touched: Vec<String>,
    /// SHA-256 of the file, recorded with the import.
    pub file_digest: String,
    pub report: ImportReport,
}

/// A scoring sheet checked and ready to write.
#[derive(Debug, Default)]
pub struct PointsPlan {
    /// Each entry with its scoring-sheet key.
    pub entries: Vec<(LedgerEntry, String)>,
    /// Photo files a row names, for the entry it becomes: (entry, line, names).
    pub photos: Vec<(uuid::Uuid, u64, Vec<String>)>,
    pub file_digest: String,
    pub report: ImportReport,
}

/// Checks a households file, every row against the others and against the village.
/// Any wrong row rejects the whole file, each wrong row named by its line.
pub fn plan_households(file: &str, bytes: &[u8], secret: &[u8], db: &mut dyn ImportLookup) -> Result<HouseholdPlan> {
    let (rows, mut errors) = read_csv(bytes, &HOUSEHOLD_HEADER, &[], parse_household_line);
    let rows: Vec<HouseholdLine> = rows.into_iter().map(|(line, r)| HouseholdLine { line, ..r }).collect();
    let mut plan = HouseholdPlan {
        file_digest: digest(bytes),
        report: ImportReport {
            file: file.to_string(),
            rows: rows.len() + errors.len(),
            ..ImportReport::default()
        },
        ..HouseholdPlan::default()
    };
    let mut seen_id: HashMap<String, u64> = HashMap::new();
    let mut grid_of: HashMap<&str, (&str, u64)> = HashMap::new();
    let mut head_of: HashMap<&str, u64> = HashMap::new();
    let mut token_of: HashMap<&str, (&str, u64)> = HashMap::new();
    let mut token_owner: HashMap<&str, (&str, u64)> = HashMap::new();
    let mut accepted: Vec<(&HouseholdLine, String)> = Vec::new();
    for r in &rows {
        let hash = r.id.keyed_hash(secret);
        let mut fail = |message: String| errors.push(LineError { line: r.line, message });
        if let Some(first) = seen_id.insert(hash.clone(), r.line) {
            fail(format!("the same ID number is already on line {first}"));
            continue;
        }
        match grid_of.get(r.code.as_str()) {
            Some((g, l)) if *g != r.grid => {
                fail(format!(
                    "household {} is in grid '{g}' on line {l} but '{}' here",
                    r.code, r.grid
                ));
                continue;
            }
            _ => {
                grid_of.insert(&r.code, (&r.grid, r.line));
            }
        }
        if r.role == Role::Head {
            if let Some(l) = head_of.insert(&r.code, r.line) {
                fail(format!("household {} already has a head on line {l}", r.code));
                continue;
            }
        }
        if let Some(t) = &r.qr_token {
            if let Some((other, l)) = token_of.get(r.code.as_str()).filter(|(o, _)| *o != t) {
                fail(format!(
                    "household {} has QR token '{other}' on line {l}; one card per household",
                    r.code
                ));
                continue;
            }
            if let Some((owner, l)) = token_owner.get(t.as_str()).filter(|(o, _)| *o != r.code) {
                fail(format!(
                    "QR token '{t}' is already given to household {owner} on line {l}"
                ));
                continue;
            }
            token_of.insert(&r.code, (t, r.line));
            token_owner.insert(t, (&r.code, r.line));
        }
        // Checks against what is already registered.
        if let Some((grid, qr_token)) = db.household(&r.code)? {
            if grid != r.grid {
                fail(format!(
                    "household {} is registered in grid '{}', not '{}'",
                    r.code, grid, r.grid
                ));
                continue;
            }
            if let (Some(old), Some(new)) = (&qr_token, &r.qr_token) {
                if old != new {
                    fail(format!("household {} already has a different QR card", r.code));
                    continue;
                }
            }
        }
        if let Some(t) = &r.qr_token {
            if let Some(owner) = db.household_of_qr_token(t)?.filter(|o| *o != r.code) {
                fail(format!("QR token '{t}' belongs to household {owner}"));
                continue;
            }
        }
        match db.household_of_resident(&hash)? {
            Some(h) if h == r.code => {
                plan.report.unchanged += 1;
                continue;
            }
            Some(h) => {
                fail(format!(
                    "this ID number ({}) is already registered in household {h}",
                    r.id.masked()
                ));
                continue;
            }
            None => {}
        }
        if r.role == Role::Head && db.has_head(&r.code)? {
            fail(format!("household {} already has a registered head", r.code));
            continue;
        }
        accepted.push((r, hash));
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        return Err(AppError::rejected(file, errors));
    }
    for (r, hash) in &accepted {
        if db.household(&r.code)?.is_none() && !plan.new_households.iter().any(|(c, _)| *c == r.code) {
            plan.new_households.push((r.code.clone(), r.grid.clone()));
        }
        if !plan.touched.contains(&r.code) {
            plan.touched.push(r.code.clone());
        }
        let resident = Resident {
            name: r.name.clone(),
            role: r.role,
            id_last4: r.id.last4().to_string(),
        };
        plan.residents.push((r.code.clone(), resident, hash.clone()));
    }
    let mut tokens: Vec<(&str, &str, u64)> = token_of.iter().map(|(c, (t, l))| (*c, *t, *l)).collect();
    tokens.sort_by_key(|(_, _, line)| *line);
    for (code, token, _) in tokens {
        if db.household(code)?.is_none_or(|(_, t)| t.is_none()) {
            plan.tokens.push((code.to_string(), token.to_string()));
        }
    }
    plan.report.applied = accepted.len();
    plan.report.households_created = plan.new_households.len();
    Ok(plan)
}

/// Checks a month's scoring sheet against the village's households and rules. A row
/// already imported (same month, household and rule, same points) is left alone; the
/// same key with other points is refused (a correction is the way to change it).
/// `within_rule_points`: at a kiosk a row may give at most its rule's points (a clerk's
/// authority, which the township checks again); the township's cadres may give more.
pub fn plan_points(
    file: &str,
    bytes: &[u8],
    village: &str,
    clock: &dyn Clock,
    db: &mut dyn ImportLookup,
    within_rule_points: bool,
) -> Result<PointsPlan> {
    let (rows, mut errors) = read_csv(bytes, &POINTS_HEADER, &POINTS_OPTIONAL, parse_points_line);
    let rows: Vec<PointsLine> = rows.into_iter().map(|(line, r)| PointsLine { line, ..r }).collect();
    let this_month = clock.this_month();
    let file_digest = digest(bytes);
    let mut plan = PointsPlan {
        report: ImportReport {
            file: file.to_string(),
            rows: rows.len() + errors.len(),
            ..ImportReport::default()
        },
        ..PointsPlan::default()
    };
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut accepted = Vec::new();
    for r in &rows {
        let mut fail = |message: String| errors.push(LineError { line: r.line, message });
        if r.month > this_month {
            fail(format!("month {} is in the future", r.month));
            continue;
        }
        if db.household(&r.household)?.is_none() {
            fail(format!("unknown household {}", r.household));
            continue;
        }
        let Some(rule) = db.rule(&r.rule)? else {
            fail(format!("unknown rule {}", r.rule));
            continue;
        };
        if rule.kind == RuleKind::Bonus && r.points.is_some_and(|p| p < 0) {
            fail(format!(
                "rule {} is a bonus item; its points cannot be negative",
                rule.code
            ));
            continue;
        }
        if within_rule_points && r.points.is_some_and(|p| p.abs() > rule.points) {
            fail(format!(
                "rule {} gives at most {} points at a time at a kiosk, not {}",
                rule.code,
                rule.points,
                r.points.unwrap_or(0).abs()
            ));
            continue;
        }
        let key = sheet_key(r.month, &r.household, &rule.code);
        if let Some(first) = seen.insert(key.clone(), r.line) {
            fail(format!("duplicate of line {first} (same month, household and rule)"));
            continue;
        }
        let delta = rule.signed_points(r.points);
        match db.sheet_delta(&key)? {
            Some(d) if d == delta => {
                plan.report.unchanged += 1;
                continue;
            }
            Some(d) => {
                fail(format!(
                    "{} already has {:+} for {} in {}; this sheet says {:+}. Record a correction instead",
                    r.household, d, rule.code, r.month, delta
                ));
                continue;
            }
            None => {}
        }
        accepted.push((r, rule, delta, key));
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        return Err(AppError::rejected(file, errors));
    }
    for (r, rule, delta, key) in accepted {
        let kind = if delta >= 0 {
            EntryKind::Award
        } else {
            EntryKind::Deduction
        };
        let reason = if r.note.is_empty() {
            rule.text.clone()
        } else {
            format!("{}（{}）", rule.text, r.note)
        };
        let mut e = new_entry(clock, &r.household, kind, delta, reason);
        e.id = sheet_entry_id(village, &key);
        e.rule_code = Some(rule.code.clone());
        e.month = r.month;
        e.source = format!("sheet:{}", &file_digest[..12]);
        e.recorded_by = r.recorded_by.clone();
        plan.report.points_total += delta;
        if !r.photos.is_empty() {
            plan.photos.push((e.id, r.line, r.photos.clone()));
        }
        plan.entries.push((e, key));
    }
    plan.report.applied = plan.entries.len();
    plan.file_digest = file_digest;
    Ok(plan)
}

/// A scoring-sheet row's entry id: the same wherever and however often the row is
/// imported (at the kiosk and at the township, or at the township again after it was
/// restored from a backup), so one row is one entry everywhere.
fn sheet_entry_id(village: &str, key: &str) -> uuid::Uuid {
    let digest = Sha256::digest(format!("jifen-sheet-entry|{village}|{key}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Uuid::new_v8(bytes)
}

/// The entry id of the sheet row for (month, household, rule) in `village`.
pub(super) fn sheet_row_entry_id(village: &str, month: Month, household: &str, rule: &str) -> uuid::Uuid {
    sheet_entry_id(village, &sheet_key(month, household, rule))
}

/// The key that makes a scoring-sheet row count once: month, household and rule.
fn sheet_key(month: Month, household: &str, rule: &str) -> String {
    format!("sheet:{month}:{household}:{rule}")
}

/// The scoring-sheet keys a sheet's readable rows would have, so a store that answers
/// [`ImportLookup`] from memory can load just those.
pub fn sheet_keys(bytes: &[u8]) -> Vec<String> {
    let (rows, _) = read_csv(bytes, &POINTS_HEADER, &POINTS_OPTIONAL, parse_points_line);
    rows.iter()
        .map(|(_, r)| sheet_key(r.month, &r.household, &r.rule))
        .collect()
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

/// Checks a rules file without importing it (the township checks once for all villages).
pub fn check_rules_csv(file: &str, bytes: &[u8]) -> Result<Vec<RuleItem>> {
    parse_rules_csv(bytes).map_err(|e| AppError::rejected(file, e))
}

/// The standard rule set every new village starts from.
pub fn standard_rules() -> Result<Vec<RuleItem>> {
    check_rules_csv(
        "standard-rules.csv",
        crate::domain::rules::STANDARD_RULES_CSV.as_bytes(),
    )
}

/// Parses a rules CSV (the embedded standard set uses this too).
pub(super) fn parse_rules_csv(bytes: &[u8]) -> std::result::Result<Vec<RuleItem>, Vec<LineError>> {
    let (rows, mut errors) = read_csv(bytes, &RULES_HEADER, &[], |rec| {
        let kind: RuleKind = rec[2]
            .parse()
            .map_err(|e: crate::domain::rules::RuleError| e.to_string())?;
        let points: i64 = rec[3]
            .parse()
            .map_err(|_| format!("points '{}' is not a whole number", &rec[3]))?;
        let area = rec[1]
            .parse()
            .map_err(|e: crate::domain::rules::RuleError| e.to_string())?;
        RuleItem::new(&rec[0], area, kind, points, &rec[4]).map_err(|e| e.to_string())
    });
    let mut seen: HashMap<String, u64> = HashMap::new();
    for (line, rule) in &rows {
        if let Some(first) = seen.insert(rule.code.clone(), *line) {
            errors.push(LineError {
                line: *line,
                message: format!("rule {} is already on line {first}", rule.code),
            });
        }
    }
    if errors.is_empty() {
        Ok(rows.into_iter().map(|(_, r)| r).collect())
    } else {
        errors.sort_by_key(|e| e.line);
        Err(errors)
    }
}

fn parse_household_line(rec: &csv::StringRecord) -> std::result::Result<HouseholdLine, String> {
    let code = rec[0].to_string();
    if !is_code(&code) {
        return Err(format!("household code '{code}' must be letters, digits or '-'"));
    }
    let grid = rec[1].to_string();
    if grid.is_empty() {
        return Err("the grid is empty".into());
    }
    let name = rec[2].to_string();
    if name.is_empty() || name.chars().count() > 20 {
        return Err("the name must be 1 to 20 characters".into());
    }
    let id = IdNumber::parse(&rec[3]).map_err(|e| format!("ID number: {e}"))?;
    let role = Role::parse(&rec[4]).ok_or_else(|| format!("role '{}' must be head or member", &rec[4]))?;
    let token = Some(rec[5].to_string()).filter(|t| !t.is_empty());
    if let Some(t) = &token {
        if !crate::domain::household::is_qr_token(t) {
            return Err(format!(
                "QR token '{t}' must be {} to 64 letters, digits or '-' (a short token can be guessed); \
                 leave it empty and issue cards with `admin household card`",
                crate::domain::household::QR_TOKEN_MIN_LEN
            ));
        }
    }
    Ok(HouseholdLine {
        line: 0,
        code,
        grid,
        name,
        id,
        role,
        qr_token: token,
    })
}

fn parse_points_line(rec: &csv::StringRecord) -> std::result::Result<PointsLine, String> {
    let month: Month = rec[0]
        .parse()
        .map_err(|e: crate::domain::period::PeriodError| e.to_string())?;
    let points = match &rec[3] {
        "" => None,
        p => {
            let v: i64 = p.parse().map_err(|_| format!("points '{p}' is not a whole number"))?;
            if v == 0 || v.abs() > 1000 {
                return Err(format!("points {v} must be between 1 and 1000 (or -1 and -1000)"));
            }
            Some(v)
        }
    };
    if rec[5].is_empty() {
        return Err("recorded_by is empty: say who scored it".into());
    }
    Ok(PointsLine {
        line: 0,
        month,
        household: rec[1].to_string(),
        rule: rec[2].to_string(),
        points,
        note: rec[4].to_string(),
        recorded_by: rec[5].to_string(),
        photos: super::sheet_photos::parse_photo_names(rec.get(6).unwrap_or(""))?,
    })
}

/// Reads a CSV with the given header, parsing each row; returns the good rows with
/// their line numbers and the bad rows as errors.
fn read_csv<T>(
    bytes: &[u8],
    header: &[&str],
    optional: &[&str],
    mut parse: impl FnMut(&csv::StringRecord) -> std::result::Result<T, String>,
) -> (Vec<(u64, T)>, Vec<LineError>) {
    let mut good = Vec::new();
    let mut errors = Vec::new();
    let text = match super::sheet_text::sheet_text(bytes) {
        Ok(text) => text,
        Err(message) => {
            errors.push(LineError { line: 1, message });
            return (good, errors);
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    match reader.headers() {
        // The header, or the header followed by its optional columns in order.
        Ok(h)
            if (header.len()..=header.len() + optional.len()).contains(&h.len())
                && h.iter().eq(header.iter().chain(optional).copied().take(h.len())) => {}
        Ok(h) => {
            errors.push(LineError {
                line: 1,
                message: format!(
                    "the header must be '{}', found '{}'",
                    header.join(","),
                    h.iter().collect::<Vec<_>>().join(",")
                ),
            });
            return (good, errors);
        }
        Err(e) => {
            errors.push(LineError {
                line: 1,
                message: format!("unreadable header: {e}"),
            });
            return (good, errors);
        }
    }
    for rec in reader.records() {
        match rec {
            Ok(rec) => {
                let line = rec.position().map_or(0, |p| p.line());
                if rec.iter().all(str::is_empty) {
                    continue;
                }
                match parse(&rec) {
                    Ok(v) => good.push((line, v)),
                    Err(message) => errors.push(LineError { line, message }),
                }
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                let message = match e.kind() {
                    csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                        format!("{len} fields where the header has {expected_len}")
                    }
                    _ => e.to_string(),
                };
                errors.push(LineError { line, message });
            }
        }
    }
    (good, errors)
}

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
