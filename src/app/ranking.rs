//! The quarterly ranking (一季一排名) and honour roll.

use serde::Serialize;

use super::{App, AppError, Result};
use crate::domain::id_number::mask_name;
use crate::domain::period::Quarter;
use crate::domain::ranking::rank;

#[derive(Debug, Clone, Serialize)]
pub struct RankingView {
    pub quarter: String,
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

impl App {
    /// Ranks households by points earned in the quarter (awards and deductions only;
    /// redemptions never lower a rank), in the village or within one grid.
    pub fn ranking(&mut self, quarter: Quarter, grid: Option<&str>) -> Result<RankingView> {
        let [from, _, to] = quarter.months();
        let (merit, households) = self.store.read(|tx| {
            if let Some(g) = grid {
                if !tx.households()?.iter().any(|h| h.grid == g) {
                    return Err(AppError::Invalid(format!("no household is in grid '{g}'")));
                }
            }
            Ok((tx.merit_by_household(from, to, grid)?, tx.households()?))
        })?;
        let ranked = rank(merit.iter().map(|m| (m.household.clone(), m.earned)));
        let rows = ranked
            .into_iter()
            .map(|r| {
                let h = households.iter().find(|h| h.code == r.key);
                RankingRow {
                    rank: r.rank,
                    grid: h.map(|h| h.grid.clone()).unwrap_or_default(),
                    head: h.and_then(|h| h.head_name.as_deref()).map(mask_name),
                    household_code: r.key,
                    earned: r.earned,
                }
            })
            .collect();
        Ok(RankingView {
            quarter: quarter.to_string(),
            grid: grid.map(str::to_string),
            rows,
        })
    }
}

impl App {
    /// Points by area over the quarter: (area, points, entries), largest first.
    pub fn merit_by_area(&mut self, quarter: Quarter) -> Result<Vec<(String, i64, i64)>> {
        let [from, _, to] = quarter.months();
        self.store.read(|tx| Ok(tx.merit_by_area(from, to)?))
    }
}
