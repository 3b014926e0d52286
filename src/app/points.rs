//! Awards, deductions and corrections recorded by a clerk.

use serde::Serialize;
use uuid::Uuid;

use super::account::entry_view;
use super::{new_entry, App, AppError, EntryView, Result};
use crate::domain::ledger::EntryKind;
use crate::domain::period::Month;
use crate::domain::rules::RuleKind;

#[derive(Debug, Clone, Serialize)]
pub struct AwardReceipt {
    pub entry: EntryView,
    pub household_code: String,
    pub balance_after: i64,
}

impl App {
    /// Applies a rule item to a household: an award for a bonus item, a deduction for a
    /// deduction item. `points` overrides the rule's standard points (sign from the rule).
    pub fn award(
        &mut self,
        household: &str,
        rule_code: &str,
        points: Option<i64>,
        note: Option<&str>,
        month: Option<Month>,
        recorded_by: &str,
    ) -> Result<AwardReceipt> {
        let clock = self.clock.clone();
        if let Some(m) = month {
            if m > clock.this_month() {
                return Err(AppError::Invalid(format!("{m} is in the future")));
            }
        }
        if points == Some(0) {
            return Err(AppError::Invalid("points must not be zero".into()));
        }
        let device = self.device_id();
        self.store.write(|tx| {
            let row = tx
                .household_row(household)?
                .ok_or_else(|| AppError::UnknownHousehold(household.to_string()))?;
            let rule = tx
                .rule(rule_code)?
                .ok_or_else(|| AppError::UnknownRule(rule_code.to_string()))?;
            let kind = match rule.kind {
                RuleKind::Bonus => EntryKind::Award,
                RuleKind::Deduction => EntryKind::Deduction,
            };
            // A clerk awards within the rule's points; the township checks the same.
            super::apply::award_within_rule(&rule, kind, rule.signed_points(points)).map_err(AppError::Invalid)?;
            let reason = match note.map(str::trim).filter(|n| !n.is_empty()) {
                Some(n) => format!("{}（{n}）", rule.text),
                None => rule.text.clone(),
            };
            let mut e = new_entry(clock.as_ref(), &row.code, kind, rule.signed_points(points), reason);
            e.rule_code = Some(rule.code.clone());
            e.month = month.unwrap_or(e.month);
            e.source = "clerk".into();
            e.recorded_by = recorded_by.to_string();
            tx.append_entry(&e, None)?;
            tx.append_event("ledger_entry", &e.id.to_string(), e.created_at)?;
            let detail = format!("{} {:+}", rule.code, e.delta);
            super::audit::record(tx, recorded_by, "award", &row.code, &detail, &device, e.created_at)?;
            Ok(AwardReceipt {
                entry: entry_view(&e),
                household_code: row.code,
                balance_after: row.balance + e.delta,
            })
        })
    }

    /// Corrects an award or deduction with a new entry of `delta` that names it. The
    /// original stays in the ledger; the correction counts in the same month's merit.
    pub fn correct(&mut self, entry_id: &str, delta: i64, reason: &str, recorded_by: &str) -> Result<AwardReceipt> {
        let id = Uuid::parse_str(entry_id.trim())
            .map_err(|_| AppError::Invalid(format!("'{entry_id}' is not a ledger entry id")))?;
        if delta == 0 || reason.trim().is_empty() {
            return Err(AppError::Invalid(
                "a correction needs a non-zero delta and a reason".into(),
            ));
        }
        let clock = self.clock.clone();
        let device = self.device_id();
        self.store.write(|tx| {
            let original = tx
                .entry(id)?
                .ok_or_else(|| AppError::Invalid(format!("no ledger entry {id}")))?;
            if !original.kind.is_merit() {
                return Err(AppError::Invalid(
                    "only awards and deductions are corrected; a redemption is undone by voiding its voucher".into(),
                ));
            }
            let limit = match &original.rule_code {
                Some(code) => tx.rule(code)?.map_or(original.delta.abs(), |r| r.points),
                None => original.delta.abs(),
            };
            if delta.abs() > limit {
                return Err(AppError::Invalid(format!(
                    "a correction of this entry moves at most {limit} points, not {}",
                    delta.abs()
                )));
            }
            let balance = tx.household_balance(&original.household)?.unwrap_or(0);
            let mut e = new_entry(
                clock.as_ref(),
                &original.household,
                EntryKind::Correction,
                delta,
                format!("更正：{}（原 {}）", reason.trim(), original.reason),
            );
            e.month = original.month;
            e.rule_code = original.rule_code.clone();
            e.corrects = Some(original.id);
            e.source = "clerk".into();
            e.recorded_by = recorded_by.to_string();
            tx.append_entry(&e, None)?;
            tx.append_event("ledger_entry", &e.id.to_string(), e.created_at)?;
            let detail = format!("{} {delta:+}", original.id);
            super::audit::record(
                tx,
                recorded_by,
                "correct",
                &original.household,
                &detail,
                &device,
                e.created_at,
            )?;
            Ok(AwardReceipt {
                entry: entry_view(&e),
                household_code: original.household,
                balance_after: balance + delta,
            })
        })
    }
}
