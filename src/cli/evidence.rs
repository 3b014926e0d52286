//! `jifen admin evidence|dispute …` and `jifen township points award|dispute …`,
//! `township report disputes`: photos on scores and households' disputes (issue 17).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::Serialize;

use super::args::{DisputeCommand, EvidenceCommand, TownshipDisputeCommand};
use super::emit;
use crate::app::{dispute_report, App, DisputeListing, DisputeReport, Photo, Resolution};
use crate::township::{TownshipAward, TownshipStorage};

/// Reads the photo files given on the command line; a missing file is named.
pub(super) fn read_photos(paths: &[PathBuf]) -> anyhow::Result<Vec<Photo>> {
    paths
        .iter()
        .map(|p| {
            let bytes =
                std::fs::read(p).with_context(|| format!("cannot read {}; nothing was written", p.display()))?;
            Ok(Photo {
                name: p.display().to_string(),
                bytes,
            })
        })
        .collect()
}

pub(super) fn evidence(app: &mut App, cmd: EvidenceCommand) -> anyhow::Result<()> {
    match cmd {
        EvidenceCommand::Show { id, out } => {
            let photo = app.evidence_photo(&id)?;
            let Some(jpeg) = photo.jpeg else {
                bail!(
                    "photo {} is at the township, not yet on this kiosk; it comes with the next sync",
                    photo.record.id
                );
            };
            write_file(&out, &jpeg)?;
            println!(
                "photo {} of entry {} ({} bytes, recorded by {}) written to {}",
                photo.record.id,
                photo.record.entry,
                jpeg.len(),
                photo.record.recorded_by,
                out.display()
            );
        }
    }
    Ok(())
}

pub(super) fn dispute(app: &mut App, by: &str, cmd: DisputeCommand) -> anyhow::Result<()> {
    match cmd {
        DisputeCommand::Open { entry, note, json } => {
            let opened = app.open_dispute(&entry, by, note.as_deref())?;
            emit(json, &opened, |o| {
                if o.already_open {
                    format!(
                        "dispute {} of entry {} was already open (since {}); nothing new was recorded\n",
                        o.dispute.id, o.dispute.entry_id, o.dispute.opened_at
                    )
                } else {
                    format!(
                        "dispute {} opened for entry {} of household {}; the township answers within 7 days\n",
                        o.dispute.id, o.dispute.entry_id, o.dispute.household_code
                    )
                }
            })?;
        }
        DisputeCommand::List { open, json } => {
            let list = app.dispute_list(open)?;
            let rows: Vec<(String, DisputeListing)> = list.into_iter().map(|d| (String::new(), d)).collect();
            emit(json, &rows.iter().map(|(_, d)| d).collect::<Vec<_>>(), |_| {
                listing_text(&rows)
            })?;
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub(super) fn township_award(
    township: &dyn TownshipStorage,
    village: &str,
    household: String,
    rule: String,
    points: Option<i64>,
    note: Option<String>,
    photos: &[PathBuf],
    by: String,
    json: bool,
) -> anyhow::Result<()> {
    let award = TownshipAward {
        household,
        rule,
        points,
        note,
        by,
        photos: read_photos(photos)?,
        ..TownshipAward::default()
    };
    let receipt = township.award(&village.to_ascii_uppercase(), &award)?;
    emit(json, &receipt, super::text::award)
}

/// A dispute listing with its village.
#[derive(Serialize)]
struct VillageDispute<'a> {
    village: &'a str,
    #[serde(flatten)]
    dispute: &'a DisputeListing,
}

pub(super) fn township_dispute(
    township: &dyn TownshipStorage,
    villages: Vec<String>,
    cmd: TownshipDisputeCommand,
) -> anyhow::Result<()> {
    match cmd {
        TownshipDisputeCommand::List { open, json, .. } => {
            let mut rows = Vec::new();
            for v in villages {
                rows.extend(township.disputes(&v, open)?.into_iter().map(|d| (v.clone(), d)));
            }
            // Across villages too: overdue first, then by age.
            rows.sort_by(|a, b| {
                let key = |d: &DisputeListing| (d.dispute.state != "open", !d.overdue, -d.days_open);
                key(&a.1).cmp(&key(&b.1))
            });
            let out: Vec<VillageDispute> = rows
                .iter()
                .map(|(v, d)| VillageDispute { village: v, dispute: d })
                .collect();
            emit(json, &out, |_| listing_text(&rows))?;
        }
        TownshipDisputeCommand::Resolve {
            id,
            uphold,
            correct,
            note,
            by,
            json,
        } => {
            let resolution = match (uphold, correct) {
                (_, Some(delta)) => Resolution::Correct(delta),
                _ => Resolution::Uphold,
            };
            let answered = township.resolve_dispute(&id, resolution, &note, &by)?;
            emit(json, &answered, |d| {
                let correction = d
                    .correction_id
                    .as_ref()
                    .map(|c| format!(" with correction entry {c}"))
                    .unwrap_or_default();
                format!(
                    "dispute {} {}{correction}; household {} is told at the kiosk: {}\n",
                    d.id,
                    d.state,
                    d.household_code,
                    d.answer.clone().unwrap_or_default()
                )
            })?;
        }
    }
    Ok(())
}

/// The report by village, rule and recorder.
#[derive(Serialize)]
struct DisputeReportOut {
    villages: Vec<(String, DisputeReport)>,
    all: DisputeReport,
}

pub(super) fn township_dispute_report(
    township: &dyn TownshipStorage,
    villages: Vec<String>,
    json: bool,
) -> anyhow::Result<()> {
    let mut per_village = Vec::new();
    let mut every = Vec::new();
    for v in villages {
        let list = township.disputes(&v, false)?;
        per_village.push((v, dispute_report(&list)));
        every.extend(list);
    }
    let out = DisputeReportOut {
        villages: per_village,
        all: dispute_report(&every),
    };
    emit(json, &out, |o| {
        let mut s = String::new();
        let t = o.all.total;
        let _ = writeln!(
            s,
            "disputes: {} open ({} overdue), {} upheld, {} corrected",
            t.open, t.overdue, t.upheld, t.corrected
        );
        for (title, rows) in [("by rule", &o.all.by_rule), ("by recorder", &o.all.by_recorder)] {
            let _ = writeln!(
                s,
                "\n{title}:\n  {:<16} {:>5} {:>7} {:>7} {:>9}",
                "", "open", "overdue", "upheld", "corrected"
            );
            for r in rows {
                let c = r.counts;
                let _ = writeln!(
                    s,
                    "  {:<16} {:>5} {:>7} {:>7} {:>9}",
                    r.key, c.open, c.overdue, c.upheld, c.corrected
                );
            }
        }
        s
    })
}

fn listing_text(rows: &[(String, DisputeListing)]) -> String {
    if rows.is_empty() {
        return "no disputes\n".into();
    }
    let mut s = String::new();
    for (village, d) in rows {
        let flag = if d.overdue { "逾期 " } else { "" };
        let place = if village.is_empty() {
            String::new()
        } else {
            format!("{village} ")
        };
        let _ = writeln!(
            s,
            "{flag}{place}{} {} {} household {} entry {} ({:+} {}, recorded by {}), opened {} by {}, {} days",
            d.dispute.id,
            d.dispute.state,
            d.rule_code.as_deref().unwrap_or("-"),
            d.dispute.household_code,
            d.dispute.entry_id,
            d.entry_delta,
            d.entry_reason,
            d.recorded_by,
            d.dispute.opened_at,
            d.dispute.opened_by,
            d.days_open
        );
        if let Some(answer) = &d.dispute.answer {
            let _ = writeln!(s, "    answer: {answer}");
        }
    }
    s
}

fn write_file(out: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::write(out, bytes).with_context(|| format!("cannot write {}", out.display()))
}
