//! The quarterly ranking (一季一排名), the year's ranking (一年一评比) and the honour roll.

use serde::Serialize;

use super::{App, AppError, Result};
use crate::domain::id_number::mask_name;
use crate::domain::period::{Month, Quarter};
use crate::domain::ranking::rank;
use crate::store::MeritRow;

#[derive(Debug, Clone, Serialize)]
pub struct RankingView {
    /// The quarter (`2026Q4`) or, for the year's ranking, the year (`2026`).
    pub period: String,
    pub grid: Option<String>,
    pub rows: Vec<RankingRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RankingRow {
    pub rank: u32,
    pub household_code: String,
    pub grid: String,
    /// Masked, since the ranking is shown on the public honour roll.
    pub head: Option<String>,
    pub earned: i64,
}

/// Ranks households by merit; ties share a rank. `head_of` gives a household's head's
/// name (masked here, as the ranking is public).
pub fn ranking_rows(merit: &[MeritRow], head_of: impl Fn(&str) -> Option<String>) -> Vec<RankingRow> {
    let grid_of: std::collections::HashMap<&str, &str> =
        merit.iter().map(|m| (m.household.as_str(), m.grid.as_str())).collect();
    rank(merit.iter().map(|m| (m.household.clone(), m.earned)))
        .into_iter()
        .map(|r| RankingRow {
            rank: r.rank,
            grid: grid_of.get(r.key.as_str()).map(|g| g.to_string()).unwrap_or_default(),
            head: head_of(&r.key).as_deref().map(mask_name),
            household_code: r.key,
            earned: r.earned,
        })
        .collect()
}

impl App {
    /// Ranks households by points earned in the quarter (awards and deductions only;
    /// redemptions never lower a rank), in the village or within one grid.
    pub fn ranking(&mut self, quarter: Quarter, grid: Option<&str>) -> Result<RankingView> {
        let [from, _, to] = quarter.months();
        self.ranking_between(from, to, quarter.to_string(), grid)
    }

    /// The same over a calendar year, for the year's evaluation.
    pub fn year_ranking(&mut self, year: i32, grid: Option<&str>) -> Result<RankingView> {
        let (from, to) = year_months(year)?;
        self.ranking_between(from, to, year.to_string(), grid)
    }

    fn ranking_between(&mut self, from: Month, to: Month, period: String, grid: Option<&str>) -> Result<RankingView> {
        let (merit, households) = self.store.read(|tx| {
            if let Some(g) = grid {
                if !tx.households()?.iter().any(|h| h.grid == g) {
                    return Err(AppError::Invalid(format!("no household is in grid '{g}'")));
                }
            }
            Ok((tx.merit_by_household(from, to, grid)?, tx.households()?))
        })?;
        let heads: std::collections::HashMap<&str, Option<&str>> = households
            .iter()
            .map(|h| (h.code.as_str(), h.head_name.as_deref()))
            .collect();
        let rows = ranking_rows(&merit, |code| heads.get(code).copied().flatten().map(str::to_string));
        Ok(RankingView {
            period,
            grid: grid.map(str::to_string),
            rows,
        })
    }
}

/// January and December of `year`, or a clear error for a year no ledger can hold.
pub(crate) fn year_months(year: i32) -> Result<(Month, Month)> {
    match (Month::new(year, 1), Month::new(year, 12)) {
        (Some(from), Some(to)) if (2000..=2100).contains(&year) => Ok((from, to)),
        _ => Err(AppError::Invalid(format!(
            "{year} is not a year of the scheme (2000 to 2100)"
        ))),
    }
}

impl App {
    /// Points by area over the quarter: (area, points, entries), largest first.
    pub fn merit_by_area(&mut self, quarter: Quarter) -> Result<Vec<(String, i64, i64)>> {
        let [from, _, to] = quarter.months();
        self.store.read(|tx| Ok(tx.merit_by_area(from, to)?))
    }
}
