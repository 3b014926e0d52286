//! The year's evaluation (一年一评比): which households are the year's star households
//! (星级文明户), by a rule the village sets. Earned points only: redeeming never lowers a
//! household's standing (DESIGN.md §5.2).

use serde::{Deserialize, Serialize};

use super::ranking::rank;
use super::rules::Area;

/// The village's rule for star households (`[honours]` in the config).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct HonoursRule {
    /// How many households may be stars, as a share of the village's households, rounded
    /// up (10 of 95 households for 10 %). Households tied at the last place all count.
    pub top_percent: u32,
    /// The fewest points earned in the year a star household must have.
    pub min_points: i64,
    /// An area in which one standing deduction in the year rules a household out
    /// (遵纪守法 by default: no star for a household fined for breaking the law); empty
    /// for none. A deduction corrected back to nothing after a dispute does not stand.
    pub clean_area: String,
}

impl Default for HonoursRule {
    fn default() -> Self {
        HonoursRule {
            top_percent: 10,
            min_points: 1,
            clean_area: "遵纪守法".into(),
        }
    }
}

/// Why a rule cannot be used, in words for the clerk who wrote the config.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HonoursRuleError {
    #[error("[honours] top_percent must be between 1 and 100, not {0}")]
    TopPercent(u32),
    #[error("[honours] min_points must not be negative, not {0}")]
    MinPoints(i64),
    #[error("[honours] clean_area '{0}' is not an area of the rules (遵纪守法, 平安创建, 环境整治, 垃圾分类, 家风家训), nor empty")]
    CleanArea(String),
}

/// One household's year, as the evaluation sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearRecord<K> {
    pub key: K,
    /// Points earned in the year: awards, deductions and corrections, never redemptions.
    pub earned: i64,
    /// A deduction in the rule's clean area stands against it this year.
    pub deducted_in_clean_area: bool,
}

/// A star household and its place among the stars (ties share a place).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Star<K> {
    pub key: K,
    pub earned: i64,
    pub place: u32,
}

impl HonoursRule {
    /// The rule made ready for use: its clean area named as the rules name it (the
    /// config may say `law_abiding` or 遵纪守法), or an error in words.
    pub fn checked(&self) -> Result<HonoursRule, HonoursRuleError> {
        if !(1..=100).contains(&self.top_percent) {
            return Err(HonoursRuleError::TopPercent(self.top_percent));
        }
        if self.min_points < 0 {
            return Err(HonoursRuleError::MinPoints(self.min_points));
        }
        let clean_area = match self.clean_area.trim() {
            "" => String::new(),
            area => area
                .parse::<Area>()
                .map_err(|_| HonoursRuleError::CleanArea(area.to_string()))?
                .label()
                .to_string(),
        };
        Ok(HonoursRule {
            clean_area,
            ..self.clone()
        })
    }

    /// How many stars a village of `households` may have: the share rounded up, at least one.
    pub fn places(&self, households: usize) -> usize {
        (households * self.top_percent as usize).div_ceil(100).max(1)
    }

    /// The year's stars. The households that qualify (enough points, no standing deduction
    /// in the clean area) are ranked among themselves; those whose place is within
    /// [`places`](Self::places) of all the village's households are stars, so a household
    /// tied with the last star is one too. Listed by place, then key.
    pub fn stars<K: Ord + Clone>(&self, year: &[YearRecord<K>]) -> Vec<Star<K>> {
        let places = self.places(year.len()) as u32;
        let qualified = year
            .iter()
            .filter(|r| r.earned >= self.min_points && r.earned > 0)
            .filter(|r| !r.deducted_in_clean_area || self.clean_area.is_empty())
            .map(|r| (r.key.clone(), r.earned));
        rank(qualified)
            .into_iter()
            .take_while(|r| r.rank <= places)
            .map(|r| Star {
                key: r.key,
                earned: r.earned,
                place: r.rank,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn year(rows: &[(&'static str, i64, bool)]) -> Vec<YearRecord<&'static str>> {
        rows.iter()
            .map(|&(key, earned, deducted)| YearRecord {
                key,
                earned,
                deducted_in_clean_area: deducted,
            })
            .collect()
    }

    fn keys(stars: &[Star<&'static str>]) -> Vec<(&'static str, u32)> {
        stars.iter().map(|s| (s.key, s.place)).collect()
    }

    #[test]
    fn the_top_share_are_stars_and_a_tie_at_the_last_place_is_one_too() {
        let rule = HonoursRule {
            top_percent: 20,
            min_points: 10,
            clean_area: "遵纪守法".into(),
        };
        // Ten households: two places. c and d tie for the second.
        let y = year(&[
            ("a", 90, false),
            ("b", 95, true), // the most points, but fined under 遵纪守法
            ("c", 60, false),
            ("d", 60, false),
            ("e", 50, false),
            ("f", 8, false),
            ("g", 0, false),
            ("h", -5, false),
            ("i", 1, false),
            ("j", 2, false),
        ]);
        assert_eq!(rule.places(10), 2);
        assert_eq!(keys(&rule.stars(&y)), vec![("a", 1), ("c", 2), ("d", 2)]);
        // Without the clean area, b is first.
        let lenient = HonoursRule {
            clean_area: String::new(),
            ..rule.clone()
        };
        assert_eq!(keys(&lenient.stars(&y)), vec![("b", 1), ("a", 2)]);
        // Too few points makes no star, however small the village.
        let strict = HonoursRule {
            min_points: 100,
            ..rule
        };
        assert!(strict.stars(&y).is_empty());
    }

    #[test]
    fn the_share_is_rounded_up_and_bad_rules_are_refused_in_words() {
        let rule = HonoursRule::default();
        assert_eq!((rule.places(95), rule.places(100), rule.places(3)), (10, 10, 1));
        let bad = HonoursRule {
            top_percent: 0,
            ..HonoursRule::default()
        };
        assert_eq!(
            bad.checked().unwrap_err().to_string(),
            "[honours] top_percent must be between 1 and 100, not 0"
        );
        let by_key = HonoursRule {
            clean_area: "law_abiding".into(),
            ..HonoursRule::default()
        };
        assert_eq!(by_key.checked().unwrap().clean_area, "遵纪守法");
        let unknown = HonoursRule {
            clean_area: "卫生".into(),
            ..HonoursRule::default()
        };
        assert!(unknown
            .checked()
            .unwrap_err()
            .to_string()
            .contains("'卫生' is not an area"));
    }
}
