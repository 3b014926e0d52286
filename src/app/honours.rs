//! The year's evaluation (一年一评比): the village's star households (星级文明户), by the
//! rule in `[honours]`, for the printed certificate, the home screen and `admin honours`.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use super::printing::{Document, Printout};
use super::ranking::year_months;
use super::{App, AppError, Result};
use crate::domain::honours::{HonoursRule, YearRecord};
use crate::domain::id_number::mask_name;
use crate::store::MeritRow;

/// The year's star households, with the rule that chose them.
#[derive(Debug, Clone, Serialize)]
pub struct HonoursView {
    pub village_name: String,
    pub year: i32,
    pub rule: HonoursRule,
    /// Households in the village, and how many places the rule gives them.
    pub households: usize,
    pub places: usize,
    pub stars: Vec<StarHousehold>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StarHousehold {
    /// Ties share a place.
    pub place: u32,
    pub household_code: String,
    pub grid: String,
    /// Masked: the list is shown on the public home screen.
    pub head: Option<String>,
    /// Points earned in the year (redeeming never lowers them).
    pub earned: i64,
}

impl App {
    /// The village's rule for star households, from the config (`[honours]`); checked
    /// when it is used, so a wrong config is said in words by the command that needs it.
    pub fn set_honours_rule(&mut self, rule: HonoursRule) {
        self.honours_rule = rule;
    }

    pub fn honours_rule(&self) -> &HonoursRule {
        &self.honours_rule
    }

    /// The star households of `year` by the village's rule. Earned points only, so a
    /// household that spent its points at the shop loses nothing here.
    pub fn honours(&mut self, year: i32) -> Result<HonoursView> {
        let rule = self.honours_rule.clone();
        let (from, to) = year_months(year)?;
        let checked = rule.checked().map_err(|e| AppError::Invalid(e.to_string()))?;
        let (merit, households, deducted) = self.store.read(|tx| {
            let deducted = if checked.clean_area.is_empty() {
                Vec::new()
            } else {
                tx.households_deducted_in_area(&checked.clean_area, from, to)?
            };
            Ok::<_, AppError>((tx.merit_by_household(from, to, None)?, tx.households()?, deducted))
        })?;
        let heads: HashMap<String, String> = households
            .into_iter()
            .filter_map(|h| Some((h.code, h.head_name?)))
            .collect();
        honours_of(&rule, &self.village().name, year, &merit, &heads, &deducted)
    }
}

/// The star households of a village's year from its merit and its standing deductions in
/// the rule's clean area: the one decision behind the kiosk's list and the township's
/// report, on either engine.
pub fn honours_of(
    rule: &HonoursRule,
    village_name: &str,
    year: i32,
    merit: &[MeritRow],
    heads: &HashMap<String, String>,
    deducted: &[String],
) -> Result<HonoursView> {
    let rule = rule.checked().map_err(|e| AppError::Invalid(e.to_string()))?;
    let deducted: HashSet<&str> = deducted.iter().map(String::as_str).collect();
    let records: Vec<YearRecord<String>> = merit
        .iter()
        .map(|m| YearRecord {
            key: m.household.clone(),
            earned: m.earned,
            deducted_in_clean_area: deducted.contains(m.household.as_str()),
        })
        .collect();
    let grids: HashMap<&str, &str> = merit.iter().map(|m| (m.household.as_str(), m.grid.as_str())).collect();
    let stars = rule
        .stars(&records)
        .into_iter()
        .map(|s| StarHousehold {
            place: s.place,
            grid: grids.get(s.key.as_str()).map(|g| g.to_string()).unwrap_or_default(),
            head: heads.get(&s.key).map(|h| mask_name(h)),
            household_code: s.key,
            earned: s.earned,
        })
        .collect();
    Ok(HonoursView {
        village_name: village_name.to_string(),
        year,
        places: rule.places(records.len()),
        households: records.len(),
        rule,
        stars,
    })
}

impl App {
    /// The certificate of a star household; a household the rule does not name gets none,
    /// with the reason.
    pub fn honour_printout(&mut self, household: &str, year: i32) -> Result<Printout> {
        let view = self.honours(year)?;
        let Some(star) = view.stars.iter().find(|s| s.household_code == household) else {
            let known = self.store.read(|tx| Ok::<_, AppError>(tx.household_row(household)?))?;
            return Err(match known {
                None => AppError::UnknownHousehold(household.to_string()),
                Some(_) => AppError::Invalid(format!(
                    "{household} is not among {year}'s star households ({} of {} households, by the [honours] rule)",
                    view.stars.len(),
                    view.households
                )),
            });
        };
        let today = self.clock.today();
        Ok(Printout {
            document: Document::HonourCertificate,
            name: format!("honour-{household}-{year}"),
            fields: BTreeMap::from([
                ("village", view.village_name.clone()),
                ("household", star.household_code.clone()),
                ("head", star.head.clone().unwrap_or_default()),
                ("year", year.to_string()),
                ("place", star.place.to_string()),
                ("stars", view.stars.len().to_string()),
                ("earned", star.earned.to_string()),
                ("issued", today.to_string()),
            ]),
            rows: Vec::new(),
        })
    }
}
