//! A households file: one row per resident, checked against the other rows and against
//! the village (an ID number in one household only, one head, a grid per household, QR
//! tokens that no other household holds).

use std::collections::HashMap;

use super::rows::read_csv;
use super::{digest, ImportLookup, ImportReport};
use crate::app::{AppError, LineError, Result};
use crate::domain::household::{Resident, Role};
use crate::domain::id_number::IdNumber;
use crate::domain::rules::is_code;

const HOUSEHOLD_HEADER: [&str; 6] = ["household_code", "grid", "name", "id_number", "role", "qr_token"];
struct HouseholdLine {
    line: u64,
    code: String,
    grid: String,
    name: String,
    id: IdNumber,
    role: Role,
    qr_token: Option<String>,
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
