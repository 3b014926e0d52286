//! 一周一反馈: the week's sheet of one grid, which the cadre takes to the grid (or pins
//! up) — every household of the grid, what was found at it this week and the points it
//! will bring, and the households where nothing was found, so none is forgotten. Built
//! from the grid workers' findings (drafts, and those already published), on either engine.

use chrono::{Datelike, Duration, NaiveDate};
use serde::Serialize;

use super::console::{ConsoleUser, Role};
use super::console_drafts::{draft_view, rule_list, NotYours};
use super::{Result, TownshipStorage};
use crate::domain::clock::china_date;
use crate::domain::period::Month;

/// One grid's week.
#[derive(Debug, Clone, Serialize)]
pub struct FeedbackSheet {
    pub village: String,
    pub grid: String,
    /// Monday and Sunday of the week.
    pub from: String,
    pub to: String,
    pub households: Vec<HouseholdWeek>,
    pub findings: usize,
    /// What the week's findings move the grid's points by, all together.
    pub delta: i64,
    /// Every grid of the village, for the cadre to go from one sheet to the next.
    pub grids: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HouseholdWeek {
    pub household: String,
    /// Masked, as everywhere on the console.
    pub head: Option<String>,
    pub findings: Vec<Finding>,
    pub delta: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub date: String,
    pub rule_text: String,
    pub delta: i64,
    pub note: String,
    pub recorded_by: String,
    pub status_words: &'static str,
}

/// The Monday of the week `date` falls in: weeks run Monday to Sunday, as in China.
pub fn week_of(date: NaiveDate) -> NaiveDate {
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

/// The sheet of `grid` of `village` for the week starting on Monday `from`. A grid worker
/// sees only their own grid; a cadre any grid of their village; the township any.
pub fn weekly_sheet(
    t: &dyn TownshipStorage,
    user: &ConsoleUser,
    village: &str,
    grid: &str,
    from: NaiveDate,
) -> Result<std::result::Result<FeedbackSheet, NotYours>> {
    let may = match &user.role {
        Role::Township => true,
        Role::Cadre { village: v } => v == village,
        Role::Grid { village: v, grid: g } => v == village && g == grid,
        Role::Merchant { .. } => false,
    };
    if !may {
        return Ok(Err(NotYours));
    }
    let from = week_of(from);
    let to = from + Duration::days(6);
    let ranking = t.ranking(village, Month::of(to).quarter())?.rows;
    let mut grids: Vec<String> = ranking.iter().map(|r| r.grid.clone()).collect();
    grids.sort();
    grids.dedup();
    let mut households: Vec<HouseholdWeek> = ranking
        .into_iter()
        .filter(|r| r.grid == grid)
        .map(|r| HouseholdWeek {
            household: r.household_code,
            head: r.head,
            findings: Vec::new(),
            delta: 0,
        })
        .collect();
    households.sort_by(|a, b| a.household.cmp(&b.household));
    let rules = rule_list(t)?;
    let mut months = vec![Month::of(from), Month::of(to)];
    months.dedup();
    let mut findings = 0;
    for month in months {
        for d in t.console().console_drafts(village, &month.to_string())? {
            let day = china_date(d.created_at);
            if d.grid != grid || d.status == "dropped" || day < from || day > to {
                continue;
            }
            let v = draft_view(t, &rules, d)?;
            let Some(h) = households.iter_mut().find(|h| h.household == v.household) else {
                continue;
            };
            h.delta += v.delta;
            h.findings.push(Finding {
                date: day.format("%m-%d").to_string(),
                rule_text: v.rule_text,
                delta: v.delta,
                note: v.note,
                recorded_by: v.recorded_by,
                status_words: v.status_words,
            });
            findings += 1;
        }
    }
    for h in &mut households {
        h.findings.sort_by(|a, b| a.date.cmp(&b.date));
    }
    Ok(Ok(FeedbackSheet {
        village: village.to_string(),
        grid: grid.to_string(),
        from: from.to_string(),
        to: to.to_string(),
        delta: households.iter().map(|h| h.delta).sum(),
        households,
        findings,
        grids,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_week_starts_on_its_monday() {
        let thursday = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        let sunday = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let monday = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert_eq!(
            (week_of(thursday), week_of(sunday), week_of(monday)),
            (monday, monday, monday)
        );
    }
}
