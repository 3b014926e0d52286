//! Grid workers' findings on the console (一日一巡查) and the month's publication
//! (一月一赋分), for both engines. A finding is a draft, checked as the award it will be
//! (the rule's sign and points, the evidence rules for photos), until a cadre publishes
//! the month: then each draft becomes a ledger entry whose id is the draft's, so
//! publishing twice, or after a cut, writes each one once. The entries reach the kiosks
//! through the township's feed, as any township award does.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::console::{audit, ConsoleUser, Role};
use super::{Result, TownshipAward, TownshipError, TownshipStorage};
use crate::app::{award_entry, prepare_photos, AppError, AwardAsked, Photo};
use crate::domain::clock::{china_time_text, Clock};
use crate::domain::period::Month;
use crate::domain::rules::RuleItem;
use crate::store::ConsoleDraftRow;

/// A finding as the grid worker's form gives it (or a cadre's, changing one).
#[derive(Debug, Clone, Default)]
pub struct DraftAsked {
    /// The draft changed; a new one when `None`.
    pub id: Option<String>,
    pub household: String,
    pub rule: String,
    /// Within the rule's points; the rule's standard points when `None`.
    pub points: Option<i64>,
    pub note: String,
    /// New photos; when empty, a changed draft keeps the ones it has.
    pub photos: Vec<Photo>,
}

/// A draft as the console's pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct DraftView {
    pub id: String,
    pub village: String,
    pub grid: String,
    pub household: String,
    pub rule: String,
    pub rule_text: String,
    /// Signed: what the household's balance will move by.
    pub delta: i64,
    pub points: Option<i64>,
    pub note: String,
    pub month: String,
    pub recorded_by: String,
    pub status: String,
    pub status_words: &'static str,
    pub problem: Option<String>,
    pub photos: Vec<String>,
    pub updated_at: String,
}

/// What publishing a month did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PublishReport {
    pub published: usize,
    /// Drafts left as drafts, each with why (a rule withdrawn, a household gone).
    pub held: Vec<(String, String)>,
}

/// Why a draft page or action is not this user's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotYours;

/// Keeps a finding as a draft of this month, after checking it as the award it will be.
pub fn save_draft(
    t: &dyn TownshipStorage,
    user: &ConsoleUser,
    asked: &DraftAsked,
    clock: &dyn Clock,
) -> Result<std::result::Result<DraftView, NotYours>> {
    let now = clock.now();
    let existing = match &asked.id {
        Some(id) => match t.console().console_draft(id)? {
            Some(d) if may_change(&user.role, &user.name, &d) => Some(d),
            _ => return Ok(Err(NotYours)),
        },
        None => None,
    };
    let village = match (&existing, &user.role) {
        (Some(d), _) => d.village.clone(),
        (None, Role::Grid { village, .. }) => village.clone(),
        // Only a grid worker records a new finding; a cadre changes or drops them.
        (None, _) => return Ok(Err(NotYours)),
    };
    let household = asked.household.trim().to_ascii_uppercase();
    let account = t.household(&village, &household).map_err(|e| match e {
        TownshipError::App(AppError::UnknownHousehold(_)) => {
            TownshipError::Invalid(format!("本村没有户号 {household}"))
        }
        other => other,
    })?;
    if let Role::Grid { grid, .. } = &user.role {
        if &account.grid != grid {
            return Err(TownshipError::Invalid(format!(
                "{household} 不在第 {grid} 网格，请找该户所在网格的网格员"
            )));
        }
    }
    let rule = rule_named(t, &asked.rule)?;
    let month = existing
        .as_ref()
        .and_then(|d| d.month.parse::<Month>().ok())
        .unwrap_or_else(|| clock.this_month());
    // The same check the ledger makes when the month is published.
    award_entry(
        clock,
        &AwardAsked {
            household: &household,
            rule: &rule,
            points: asked.points,
            note: Some(&asked.note),
            month: Some(month),
            recorded_by: &user.name,
            entry_id: None,
        },
    )?;
    let photos = if asked.photos.is_empty() {
        None
    } else {
        Some(
            prepare_photos(&asked.photos)?
                .into_iter()
                .map(|k| (k.sha256, k.jpeg))
                .collect::<Vec<_>>(),
        )
    };
    let row = ConsoleDraftRow {
        id: existing
            .as_ref()
            .map_or_else(|| Uuid::now_v7().to_string(), |d| d.id.clone()),
        village: village.clone(),
        grid: account.grid.clone(),
        household: household.clone(),
        rule: rule.code.clone(),
        points: asked.points,
        note: asked.note.trim().to_string(),
        month: month.to_string(),
        recorded_by: existing
            .as_ref()
            .map_or_else(|| user.name.clone(), |d| d.recorded_by.clone()),
        status: "draft".into(),
        problem: None,
        created_at: existing.as_ref().map_or(now, |d| d.created_at),
        updated_at: now,
    };
    if !t.console().save_console_draft(&row, photos.as_deref())? {
        return Err(TownshipError::Invalid("这条记录已经发布或删除，不能再改".into()));
    }
    let action = if existing.is_some() {
        "draft_change"
    } else {
        "draft_add"
    };
    let detail = format!(
        "{village} {household} {} {:+}",
        rule.code,
        rule.signed_points(asked.points)
    );
    audit(t, &user.name, action, &detail, now)?;
    let view = draft_view(t, &rule_list(t)?, row)?;
    Ok(Ok(view))
}

/// Drops a draft (it stays on record as dropped, and in the audit log).
pub fn drop_draft(
    t: &dyn TownshipStorage,
    user: &ConsoleUser,
    id: &str,
    now: DateTime<Utc>,
) -> Result<std::result::Result<(), NotYours>> {
    let Some(d) = t
        .console()
        .console_draft(id)?
        .filter(|d| may_change(&user.role, &user.name, d))
    else {
        return Ok(Err(NotYours));
    };
    if !t.console().set_console_draft_status(&d.id, "draft", "dropped", None)? {
        return Err(TownshipError::Invalid("这条记录已经发布或删除".into()));
    }
    let detail = format!("{} {} {}", d.village, d.household, d.rule);
    audit(t, &user.name, "draft_drop", &detail, now)?;
    Ok(Ok(()))
}

/// One draft, for whoever may see it.
pub fn draft(t: &dyn TownshipStorage, user: &ConsoleUser, id: &str) -> Result<Option<DraftView>> {
    let Some(d) = t
        .console()
        .console_draft(id)?
        .filter(|d| may_see(&user.role, &user.name, d))
    else {
        return Ok(None);
    };
    Ok(Some(draft_view(t, &rule_list(t)?, d)?))
}

/// A draft's photo (our own JPEG), for whoever may see the draft.
pub fn draft_photo(t: &dyn TownshipStorage, user: &ConsoleUser, id: &str, sha256: &str) -> Result<Option<Vec<u8>>> {
    if t.console()
        .console_draft(id)?
        .filter(|d| may_see(&user.role, &user.name, d))
        .is_none()
    {
        return Ok(None);
    }
    Ok(t.console()
        .console_draft_photos(id)?
        .into_iter()
        .find(|(sha, _)| sha == sha256)
        .map(|(_, jpeg)| jpeg))
}

/// A village's drafts of a month as this user may see them: a grid worker their own, a
/// cadre and the township all of the village's. Dropped drafts are left out.
pub fn drafts(t: &dyn TownshipStorage, user: &ConsoleUser, village: &str, month: Month) -> Result<Vec<DraftView>> {
    let rules = rule_list(t)?;
    t.console()
        .console_drafts(village, &month.to_string())?
        .into_iter()
        .filter(|d| d.status != "dropped" && may_see(&user.role, &user.name, d))
        .map(|d| draft_view(t, &rules, d))
        .collect()
}

/// Publishes a village's month (一月一赋分): every draft becomes its ledger entry, once.
/// A draft the ledger refuses (its rule withdrawn, its household gone) stays a draft,
/// with the reason, for the cadre to change or drop.
pub fn publish_month(
    t: &dyn TownshipStorage,
    user: &ConsoleUser,
    village: &str,
    month: Month,
    now: DateTime<Utc>,
) -> Result<std::result::Result<PublishReport, NotYours>> {
    let may = match &user.role {
        Role::Township => true,
        Role::Cadre { village: v } => v == village,
        _ => false,
    };
    if !may {
        return Ok(Err(NotYours));
    }
    let mut report = PublishReport::default();
    for d in t.console().console_drafts(village, &month.to_string())? {
        if d.status != "draft" {
            continue;
        }
        let Ok(id) = Uuid::parse_str(&d.id) else {
            continue;
        };
        let photos = t
            .console()
            .console_draft_photos(&d.id)?
            .into_iter()
            .map(|(sha256, jpeg)| Photo {
                name: format!("{sha256}.jpg"),
                bytes: jpeg,
            })
            .collect();
        let order = TownshipAward {
            household: d.household.clone(),
            rule: d.rule.clone(),
            points: d.points,
            note: Some(d.note.clone()).filter(|n| !n.is_empty()),
            month: Some(month),
            by: d.recorded_by.clone(),
            photos,
            entry_id: Some(id),
        };
        match t.award(village, &order) {
            // Written before a cut, or by a publish running beside this one: once either way.
            Ok(_) | Err(TownshipError::App(AppError::EntryExists(_))) => {
                if t.console()
                    .set_console_draft_status(&d.id, "draft", "published", None)?
                {
                    report.published += 1;
                }
            }
            Err(TownshipError::App(refused)) => {
                let why = refused.to_string();
                t.console()
                    .set_console_draft_status(&d.id, "draft", "draft", Some(&why))?;
                report.held.push((d.household.clone(), why));
            }
            Err(other) => return Err(other),
        }
    }
    let detail = format!(
        "{village} {month}：发布 {} 条，留下 {} 条",
        report.published,
        report.held.len()
    );
    audit(t, &user.name, "month_publish", &detail, now)?;
    Ok(Ok(report))
}

/// The rules a finding may be recorded under, for the form's list.
pub fn rule_list(t: &dyn TownshipStorage) -> Result<Vec<RuleItem>> {
    t.rules()
}

fn rule_named(t: &dyn TownshipStorage, code: &str) -> Result<RuleItem> {
    let code = code.trim().to_ascii_uppercase();
    rule_list(t)?
        .into_iter()
        .find(|r| r.code == code)
        .ok_or_else(|| TownshipError::Invalid(format!("没有编号为 {code} 的积分项目")))
}

/// A grid worker sees their own drafts; a cadre their village's; the township all.
fn may_see(role: &Role, name: &str, d: &ConsoleDraftRow) -> bool {
    match role {
        Role::Township => true,
        Role::Cadre { village } => village == &d.village,
        Role::Grid { village, .. } => village == &d.village && d.recorded_by == name,
        Role::Merchant { .. } => false,
    }
}

/// Who may change or drop a draft: whoever may see it, the township's staff excepted
/// (a village's scoring is its own cadres' to edit).
fn may_change(role: &Role, name: &str, d: &ConsoleDraftRow) -> bool {
    !matches!(role, Role::Township) && may_see(role, name, d)
}

pub(super) fn draft_view(t: &dyn TownshipStorage, rules: &[RuleItem], d: ConsoleDraftRow) -> Result<DraftView> {
    let rule = rules.iter().find(|r| r.code == d.rule);
    let photos = t.console().console_draft_photo_digests(&d.id)?;
    Ok(DraftView {
        rule_text: rule.map_or_else(|| "（该项目已撤下）".to_string(), |r| r.text.clone()),
        delta: rule.map_or(0, |r| r.signed_points(d.points)),
        status_words: match d.status.as_str() {
            "published" => "已发布",
            "dropped" => "已删除",
            _ => "草稿",
        },
        id: d.id,
        village: d.village,
        grid: d.grid,
        household: d.household,
        rule: d.rule,
        points: d.points,
        note: d.note,
        month: d.month,
        recorded_by: d.recorded_by,
        status: d.status,
        problem: d.problem,
        photos,
        updated_at: china_time_text(d.updated_at),
    })
}
