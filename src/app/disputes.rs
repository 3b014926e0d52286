//! Disputes (DESIGN.md §11): a household asks about an entry at the kiosk (one tap and a
//! confirm) or through a clerk; the township answers by upholding the entry or by a
//! correction entry that names it (§5.1), and the kiosk shows and says the answer the next
//! time the household comes.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::points::append_correction;
use super::{App, AppError, Result, Role};
use crate::domain::clock::china_offset;
use crate::domain::evidence::{dispute_id, DisputeOutcome, DisputeRecord, Verdict};

/// Staff answer within this many days; older open disputes are listed first.
pub const ANSWER_WITHIN_DAYS: i64 = 7;

/// The township's answer, as staff give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    Uphold,
    /// Move the points by this much with a correction entry.
    Correct(i64),
}

/// A dispute as lists and the screen show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DisputeView {
    pub id: String,
    pub entry_id: String,
    pub household_code: String,
    /// `open`, `upheld` or `corrected`.
    pub state: &'static str,
    pub opened_by: String,
    pub opened_at: String,
    pub note: String,
    pub answer: Option<String>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<String>,
    pub correction_id: Option<String>,
}

/// What opening a dispute did.
#[derive(Debug, Clone, Serialize)]
pub struct DisputeOpened {
    pub dispute: DisputeView,
    /// The household had already asked about this entry; nothing new was recorded.
    pub already_open: bool,
}

/// A dispute for staff, with its entry and how long it has waited.
#[derive(Debug, Clone, Serialize)]
pub struct DisputeListing {
    #[serde(flatten)]
    pub dispute: DisputeView,
    pub entry_reason: String,
    pub entry_delta: i64,
    pub rule_code: Option<String>,
    pub recorded_by: String,
    pub days_open: i64,
    /// Open longer than [`ANSWER_WITHIN_DAYS`].
    pub overdue: bool,
}

pub fn dispute_view(d: &DisputeRecord) -> DisputeView {
    let o = d.outcome.as_ref();
    DisputeView {
        id: d.id.to_string(),
        entry_id: d.entry.to_string(),
        household_code: d.household.clone(),
        state: o.map_or("open", |o| o.verdict.key()),
        opened_by: d.opened_by.clone(),
        opened_at: local_minute(d.opened_at),
        note: d.note.clone(),
        answer: o.map(|o| o.note.clone()),
        resolved_by: o.map(|o| o.by.clone()),
        resolved_at: o.map(|o| local_minute(o.at)),
        correction_id: o.and_then(|o| o.correction).map(|c| c.to_string()),
    }
}

/// Orders disputes for staff: overdue open ones first (oldest first), then other open
/// ones, then answered ones newest first.
pub fn order_for_staff(list: &mut [DisputeListing]) {
    list.sort_by(|a, b| {
        let rank = |d: &DisputeListing| match (d.dispute.state, d.overdue) {
            ("open", true) => 0,
            ("open", false) => 1,
            _ => 2,
        };
        rank(a)
            .cmp(&rank(b))
            .then_with(|| match rank(a) {
                2 => b.dispute.resolved_at.cmp(&a.dispute.resolved_at),
                _ => b.days_open.cmp(&a.days_open),
            })
            .then_with(|| a.dispute.id.cmp(&b.dispute.id))
    });
}

/// A listing of `d` about `entry` as of `now`.
pub fn listing(d: &DisputeRecord, entry: &crate::domain::ledger::LedgerEntry, now: DateTime<Utc>) -> DisputeListing {
    let days_open = (d.outcome.as_ref().map_or(now, |o| o.at) - d.opened_at).num_days();
    DisputeListing {
        dispute: dispute_view(d),
        entry_reason: entry.reason.clone(),
        entry_delta: entry.delta,
        rule_code: entry.rule_code.clone(),
        recorded_by: entry.recorded_by.clone(),
        days_open,
        overdue: d.is_open() && now - d.opened_at > Duration::days(ANSWER_WITHIN_DAYS),
    }
}

fn local_minute(t: DateTime<Utc>) -> String {
    t.with_timezone(&china_offset()).format("%Y-%m-%d %H:%M").to_string()
}

impl App {
    /// Opens a dispute of `entry` for its household: `opened_by` is
    /// [`OPENED_BY_HOUSEHOLD`](crate::domain::evidence::OPENED_BY_HOUSEHOLD) from the screen
    /// or a clerk's name. Asking again while one is open changes nothing.
    pub fn open_dispute(&mut self, entry: &str, opened_by: &str, note: Option<&str>) -> Result<DisputeOpened> {
        let id = Uuid::parse_str(entry.trim()).map_err(|_| AppError::UnknownEntry(entry.trim().to_string()))?;
        let now = self.clock.now();
        let device = self.device_id();
        self.store.write(|tx| {
            let e = tx.entry(id)?.ok_or_else(|| AppError::UnknownEntry(id.to_string()))?;
            if !e.kind.is_merit() {
                return Err(AppError::Invalid(
                    "only an award, a deduction or a correction can be disputed".into(),
                ));
            }
            let earlier = tx.disputes_of_entry(id)?;
            if let Some(open) = earlier.iter().find(|d| d.is_open()) {
                return Ok(DisputeOpened {
                    dispute: dispute_view(open),
                    already_open: true,
                });
            }
            let d = DisputeRecord {
                id: dispute_id(id, earlier.len()),
                entry: id,
                household: e.household.clone(),
                opened_by: opened_by.trim().to_string(),
                opened_at: now,
                device: device.clone(),
                note: note.map(str::trim).unwrap_or_default().to_string(),
                outcome: None,
            };
            tx.upsert_dispute(&d)?;
            tx.append_event("dispute_opened", &d.id.to_string(), now)?;
            Ok(DisputeOpened {
                dispute: dispute_view(&d),
                already_open: false,
            })
        })
    }

    /// [`App::open_dispute`] for the household at the screen: only an entry of its own.
    pub fn open_dispute_of(
        &mut self,
        household: &str,
        entry: &str,
        opened_by: &str,
        note: Option<&str>,
    ) -> Result<DisputeOpened> {
        let id = Uuid::parse_str(entry.trim()).map_err(|_| AppError::UnknownEntry(entry.trim().to_string()))?;
        let owner = self
            .store
            .read(|tx| Ok::<_, AppError>(tx.entry(id)?.map(|e| e.household)))?;
        if owner.as_deref() != Some(household) {
            return Err(AppError::UnknownEntry(id.to_string()));
        }
        self.open_dispute(entry, opened_by, note)
    }

    /// The village's disputes for staff, overdue ones first.
    pub fn dispute_list(&mut self, open_only: bool) -> Result<Vec<DisputeListing>> {
        let now = self.clock.now();
        let mut list = self.store.read(|tx| {
            let mut out = Vec::new();
            for d in tx.disputes(open_only)? {
                let e = tx
                    .entry(d.entry)?
                    .ok_or_else(|| AppError::UnknownEntry(d.entry.to_string()))?;
                out.push(listing(&d, &e, now));
            }
            Ok::<_, AppError>(out)
        })?;
        order_for_staff(&mut list);
        Ok(list)
    }

    /// Answers a dispute. Only the township answers (a kiosk asks): checked here, where
    /// the answer is written, and again when a kiosk's push is applied.
    pub fn resolve_dispute(&mut self, id: &str, resolution: Resolution, note: &str, by: &str) -> Result<DisputeView> {
        if self.role != Role::TownshipVillage {
            return Err(AppError::Invalid(
                "disputes are answered at the township (jifen township dispute resolve), not at a kiosk".into(),
            ));
        }
        let uuid = Uuid::parse_str(id.trim()).map_err(|_| AppError::UnknownDispute(id.trim().to_string()))?;
        if note.trim().is_empty() || by.trim().is_empty() {
            return Err(AppError::Invalid(
                "an answer needs a note for the household and who gives it".into(),
            ));
        }
        let clock = self.clock.clone();
        self.store.write(|tx| {
            let mut d = tx
                .dispute(uuid)?
                .ok_or_else(|| AppError::UnknownDispute(uuid.to_string()))?;
            if let Some(o) = &d.outcome {
                return Err(AppError::Invalid(format!(
                    "dispute {uuid} was already answered ({}) by {}",
                    o.verdict.key(),
                    o.by
                )));
            }
            let now = clock.now();
            let (verdict, correction) = match resolution {
                Resolution::Uphold => (Verdict::Upheld, None),
                Resolution::Correct(delta) => {
                    let e = append_correction(tx, clock.as_ref(), d.entry, delta, note, by)?;
                    (Verdict::Corrected, Some(e.id))
                }
            };
            d.outcome = Some(DisputeOutcome {
                verdict,
                correction,
                note: note.trim().to_string(),
                by: by.trim().to_string(),
                at: now,
            });
            tx.upsert_dispute(&d)?;
            tx.append_event("dispute_resolved", &d.id.to_string(), now)?;
            Ok(dispute_view(&d))
        })
    }

    /// Whether dispute `id` is recorded here.
    pub fn holds_dispute(&mut self, id: &str) -> Result<bool> {
        let Ok(uuid) = Uuid::parse_str(id.trim()) else {
            return Ok(false);
        };
        self.store.read(|tx| Ok(tx.dispute(uuid)?.is_some()))
    }

    /// Answers the household has not been told at this kiosk yet; they count as told.
    pub fn announce_outcomes(&mut self, household: &str) -> Result<Vec<DisputeView>> {
        let now = self.clock.now();
        self.store.write(|tx| {
            let list = tx.unannounced_outcomes(household)?;
            for d in &list {
                tx.mark_announced(d.id, now)?;
            }
            Ok(list.iter().map(dispute_view).collect())
        })
    }
}

/// Disputes counted by state, per rule and per recorder (`township report disputes`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DisputeReport {
    pub total: DisputeCounts,
    /// Highest corrections first.
    pub by_rule: Vec<DisputeCountsOf>,
    pub by_recorder: Vec<DisputeCountsOf>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DisputeCounts {
    pub open: usize,
    /// Open for longer than [`ANSWER_WITHIN_DAYS`].
    pub overdue: usize,
    pub upheld: usize,
    pub corrected: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DisputeCountsOf {
    /// A rule code or a recorder's name.
    pub key: String,
    #[serde(flatten)]
    pub counts: DisputeCounts,
}

impl DisputeCounts {
    fn add(&mut self, d: &DisputeListing) {
        match d.dispute.state {
            "open" => {
                self.open += 1;
                self.overdue += d.overdue as usize;
            }
            "upheld" => self.upheld += 1,
            _ => self.corrected += 1,
        }
    }
}

/// Counts `listings` (of any number of villages).
pub fn dispute_report<'a>(listings: impl IntoIterator<Item = &'a DisputeListing>) -> DisputeReport {
    use std::collections::BTreeMap;
    let mut total = DisputeCounts::default();
    let mut rules: BTreeMap<String, DisputeCounts> = BTreeMap::new();
    let mut recorders: BTreeMap<String, DisputeCounts> = BTreeMap::new();
    for d in listings {
        total.add(d);
        let rule = d.rule_code.clone().unwrap_or_else(|| "-".into());
        rules.entry(rule).or_default().add(d);
        recorders.entry(d.recorded_by.clone()).or_default().add(d);
    }
    let sorted = |m: BTreeMap<String, DisputeCounts>| {
        let mut v: Vec<DisputeCountsOf> = m
            .into_iter()
            .map(|(key, counts)| DisputeCountsOf { key, counts })
            .collect();
        v.sort_by(|a, b| {
            (b.counts.corrected, b.counts.open + b.counts.upheld)
                .cmp(&(a.counts.corrected, a.counts.open + a.counts.upheld))
                .then_with(|| a.key.cmp(&b.key))
        });
        v
    };
    DisputeReport {
        total,
        by_rule: sorted(rules),
        by_recorder: sorted(recorders),
    }
}
