//! A month's scoring sheet: a row per (month, household, rule), which becomes one ledger
//! entry with an id derived from that key, so the same row is one entry wherever and
//! however often it is imported.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use super::rows::read_csv;
use super::{digest, ImportLookup, ImportReport};
use crate::app::{new_entry, AppError, LineError, Result};
use crate::domain::clock::Clock;
use crate::domain::ledger::{EntryKind, LedgerEntry};
use crate::domain::period::Month;
use crate::domain::rules::RuleKind;

const POINTS_HEADER: [&str; 6] = ["month", "household_code", "rule_code", "points", "note", "recorded_by"];
/// A scoring sheet may name photo files of each row's supervision sheet (`;`-separated,
/// relative to the sheet's folder).
const POINTS_OPTIONAL: [&str; 1] = ["photos"];
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
pub(in crate::app) fn sheet_row_entry_id(village: &str, month: Month, household: &str, rule: &str) -> uuid::Uuid {
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
        photos: crate::app::sheet_photos::parse_photo_names(rec.get(6).unwrap_or(""))?,
    })
}
