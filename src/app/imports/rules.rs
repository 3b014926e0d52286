//! Rule items: the township's set, a village's own, and the embedded standard set.

use std::collections::HashMap;

use super::rows::read_csv;
use crate::app::{AppError, LineError, Result};
use crate::domain::rules::{RuleItem, RuleKind};

const RULES_HEADER: [&str; 5] = ["code", "area", "kind", "points", "text"];

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
pub(in crate::app) fn parse_rules_csv(bytes: &[u8]) -> std::result::Result<Vec<RuleItem>, Vec<LineError>> {
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
