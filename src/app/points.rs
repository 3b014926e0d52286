//! Awards, deductions and corrections recorded by a clerk.

use serde::Serialize;
use uuid::Uuid;

use super::account::entry_view;
use super::evidence::{attach, evidence_view, prepare_photos, Photo};
use super::{new_entry, App, AppError, EntryView, Result};
use crate::domain::clock::Clock;
use crate::domain::ledger::{EntryKind, LedgerEntry};
use crate::domain::period::Month;
use crate::domain::rules::{RuleItem, RuleKind};
use crate::store::Tx;

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
        self.award_with_photos(household, rule_code, points, note, month, recorded_by, &[])
    }

    /// [`App::award`] with photos of the supervision sheet or the scene (at most three):
    /// each is checked and re-encoded before anything is written, and the entry and its
    /// photos commit together.
    #[allow(clippy::too_many_arguments)]
    pub fn award_with_photos(
        &mut self,
        household: &str,
        rule_code: &str,
        points: Option<i64>,
        note: Option<&str>,
        month: Option<Month>,
        recorded_by: &str,
        photos: &[Photo],
    ) -> Result<AwardReceipt> {
        self.award_ordered(&AwardOrder {
            household: household.to_string(),
            rule: rule_code.to_string(),
            points,
            note: note.map(str::to_string),
            month,
            by: recorded_by.to_string(),
            photos: photos.to_vec(),
            entry_id: None,
        })
    }

    /// [`App::award_with_photos`] as the township's staff or its console give it. An order
    /// that names its entry is written once: asked again, it is refused with
    /// [`AppError::EntryExists`], so a publish cut short can be run again safely.
    pub fn award_ordered(&mut self, order: &AwardOrder) -> Result<AwardReceipt> {
        let photos = prepare_photos(&order.photos)?;
        let (household, rule_code, recorded_by) = (&order.household, &order.rule, &order.by);
        let role = self.role;
        let clock = self.clock.clone();
        let device = self.device_id();
        self.store.write(|tx| {
            let row = tx
                .household_row(household)?
                .ok_or_else(|| AppError::UnknownHousehold(household.to_string()))?;
            let rule = tx
                .rule(rule_code)?
                .ok_or_else(|| AppError::UnknownRule(rule_code.to_string()))?;
            if let Some(id) = order.entry_id {
                if tx.entry(id)?.is_some() {
                    return Err(AppError::EntryExists(id.to_string()));
                }
            }
            let e = award_entry(
                clock.as_ref(),
                &AwardAsked {
                    household: &row.code,
                    rule: &rule,
                    points: order.points,
                    note: order.note.as_deref(),
                    month: order.month,
                    recorded_by,
                    entry_id: order.entry_id,
                },
            )?;
            tx.append_entry(&e, None)?;
            tx.append_event("ledger_entry", &e.id.to_string(), e.created_at)?;
            let evidence = attach(tx, role, e.id, &photos, recorded_by, e.created_at)?;
            let detail = format!("{} {:+}", rule.code, e.delta);
            super::audit::record(tx, recorded_by, "award", &row.code, &detail, &device, e.created_at)?;
            let mut entry = entry_view(&e);
            entry.evidence = evidence.iter().map(|r| evidence_view(r, true)).collect();
            Ok(AwardReceipt {
                entry,
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
        let clock = self.clock.clone();
        let device = self.device_id();
        self.store.write(|tx| {
            let e = append_correction(tx, clock.as_ref(), id, delta, reason, recorded_by)?;
            tx.append_event("ledger_entry", &e.id.to_string(), e.created_at)?;
            let detail = format!("{id} {delta:+}");
            super::audit::record(tx, recorded_by, "correct", &e.household, &detail, &device, e.created_at)?;
            Ok(AwardReceipt {
                entry: entry_view(&e),
                balance_after: tx.household_balance(&e.household)?.unwrap_or(0),
                household_code: e.household,
            })
        })
    }
}

/// Writes a correction of entry `id` by `delta` (not its event: a dispute's answer carries
/// it in its own). Only awards and deductions are corrected, by at most the rule's points.
pub(super) fn append_correction(
    tx: &Tx,
    clock: &dyn Clock,
    id: Uuid,
    delta: i64,
    reason: &str,
    recorded_by: &str,
) -> Result<LedgerEntry> {
    let original = tx.entry(id)?.ok_or_else(|| AppError::UnknownEntry(id.to_string()))?;
    let rule = match &original.rule_code {
        Some(code) => tx.rule(code)?,
        None => None,
    };
    let e = correction_entry(clock, &original, rule.as_ref(), delta, reason, recorded_by)?;
    tx.append_entry(&e, None)?;
    Ok(e)
}

/// An award or deduction asked for by codes, as township staff give it and as the
/// console publishes a grid worker's finding (with the draft's id as the entry's, so it
/// is written once).
#[derive(Debug, Clone, Default)]
pub struct AwardOrder {
    pub household: String,
    pub rule: String,
    pub points: Option<i64>,
    pub note: Option<String>,
    /// The month the points count in; this month when not given.
    pub month: Option<Month>,
    pub by: String,
    pub photos: Vec<Photo>,
    pub entry_id: Option<Uuid>,
}

/// What a clerk or a township officer asks to record.
pub struct AwardAsked<'a> {
    pub household: &'a str,
    pub rule: &'a RuleItem,
    pub points: Option<i64>,
    pub note: Option<&'a str>,
    pub month: Option<Month>,
    pub recorded_by: &'a str,
    pub entry_id: Option<Uuid>,
}

/// The entry an award or deduction makes, checked against its rule: the sign the rule
/// gives, at most its points, not in a future month. Both engines build entries here.
pub fn award_entry(clock: &dyn Clock, a: &AwardAsked) -> Result<LedgerEntry> {
    if let Some(m) = a.month {
        if m > clock.this_month() {
            return Err(AppError::Invalid(format!("{m} is in the future")));
        }
    }
    if a.points == Some(0) {
        return Err(AppError::Invalid("points must not be zero".into()));
    }
    let kind = match a.rule.kind {
        RuleKind::Bonus => EntryKind::Award,
        RuleKind::Deduction => EntryKind::Deduction,
    };
    let delta = a.rule.signed_points(a.points);
    // A clerk awards within the rule's points; the township checks the same.
    super::apply::award_within_rule(a.rule, kind, delta).map_err(AppError::Invalid)?;
    let reason = match a.note.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => format!("{}（{n}）", a.rule.text),
        None => a.rule.text.clone(),
    };
    let mut e = new_entry(clock, a.household, kind, delta, reason);
    if let Some(id) = a.entry_id {
        e.id = id;
    }
    e.rule_code = Some(a.rule.code.clone());
    e.month = a.month.unwrap_or(e.month);
    e.source = "clerk".into();
    e.recorded_by = a.recorded_by.to_string();
    Ok(e)
}

/// The correction of `original` by `delta`: only awards and deductions, by at most the
/// rule's points, in the original's month, naming it (DESIGN.md §5.1).
pub fn correction_entry(
    clock: &dyn Clock,
    original: &LedgerEntry,
    rule: Option<&RuleItem>,
    delta: i64,
    reason: &str,
    recorded_by: &str,
) -> Result<LedgerEntry> {
    if delta == 0 || reason.trim().is_empty() {
        return Err(AppError::Invalid(
            "a correction needs a non-zero delta and a reason".into(),
        ));
    }
    if !original.kind.is_merit() {
        return Err(AppError::Invalid(
            "only awards and deductions are corrected; a redemption is undone by voiding its voucher".into(),
        ));
    }
    let limit = rule.map_or(original.delta.abs(), |r| r.points);
    if delta.abs() > limit {
        return Err(AppError::Invalid(format!(
            "a correction of this entry moves at most {limit} points, not {}",
            delta.abs()
        )));
    }
    let mut e = new_entry(
        clock,
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
    Ok(e)
}
