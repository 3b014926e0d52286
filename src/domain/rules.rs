//! Rule items: the village's published list of what earns and what loses points.

use std::fmt;
use std::str::FromStr;

/// The five areas of Tongxiang's scheme, plus `Other` for village-specific items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Area {
    LawAbiding,
    Safety,
    Environment,
    GarbageSorting,
    FamilyVirtue,
    Other,
}

/// Whether an item adds or takes away points. Stored apart from the sign of `points`
/// so that a sheet that writes a deduction as `5` or `-5` means the same thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    Bonus,
    Deduction,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleItem {
    pub code: String,
    pub area: Area,
    pub kind: RuleKind,
    /// Standard points, always positive; the sign comes from `kind`.
    pub points: i64,
    /// The wording villagers read on the rules screen and beside their ledger entries.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("unknown area '{0}'; use 遵纪守法, 平安创建, 环境整治, 垃圾分类, 家风家训 or 其他")]
    UnknownArea(String),
    #[error("unknown kind '{0}'; use bonus/加分 or deduction/扣分")]
    UnknownKind(String),
    #[error("points must be between 1 and 1000, found {0}")]
    PointsOutOfRange(i64),
    #[error("a rule code is 1 to 32 letters, digits or '-', found '{0}'")]
    BadCode(String),
    #[error("the rule text is empty")]
    EmptyText,
}

impl RuleItem {
    pub fn new(code: &str, area: Area, kind: RuleKind, points: i64, text: &str) -> Result<RuleItem, RuleError> {
        let code = code.trim();
        if !is_code(code) {
            return Err(RuleError::BadCode(code.to_string()));
        }
        let points = points.abs();
        if !(1..=1000).contains(&points) {
            return Err(RuleError::PointsOutOfRange(points));
        }
        if text.trim().is_empty() {
            return Err(RuleError::EmptyText);
        }
        Ok(RuleItem {
            code: code.to_string(),
            area,
            kind,
            points,
            text: text.trim().to_string(),
        })
    }

    /// The signed change to a balance when this item is applied with `points` (or the
    /// standard points when none are given).
    pub fn signed_points(&self, points: Option<i64>) -> i64 {
        let p = points.map(i64::abs).unwrap_or(self.points);
        match self.kind {
            RuleKind::Bonus => p,
            RuleKind::Deduction => -p,
        }
    }
}

/// Codes for households, rules, catalogue items: short, printable, typeable by a clerk.
pub fn is_code(s: &str) -> bool {
    !s.is_empty() && s.len() <= 32 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl Area {
    pub const ALL: [Area; 6] = [
        Area::LawAbiding,
        Area::Safety,
        Area::Environment,
        Area::GarbageSorting,
        Area::FamilyVirtue,
        Area::Other,
    ];

    /// The Chinese name used on screens, sheets and in the database.
    pub fn label(self) -> &'static str {
        match self {
            Area::LawAbiding => "遵纪守法",
            Area::Safety => "平安创建",
            Area::Environment => "环境整治",
            Area::GarbageSorting => "垃圾分类",
            Area::FamilyVirtue => "家风家训",
            Area::Other => "其他",
        }
    }

    /// A stable English key for JSON output.
    pub fn key(self) -> &'static str {
        match self {
            Area::LawAbiding => "law_abiding",
            Area::Safety => "safety",
            Area::Environment => "environment",
            Area::GarbageSorting => "garbage_sorting",
            Area::FamilyVirtue => "family_virtue",
            Area::Other => "other",
        }
    }
}

impl FromStr for Area {
    type Err = RuleError;
    fn from_str(s: &str) -> Result<Area, RuleError> {
        let t = s.trim();
        Area::ALL
            .into_iter()
            .find(|a| a.label() == t || a.key() == t)
            .ok_or_else(|| RuleError::UnknownArea(t.to_string()))
    }
}

impl fmt::Display for Area {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl RuleKind {
    pub fn key(self) -> &'static str {
        match self {
            RuleKind::Bonus => "bonus",
            RuleKind::Deduction => "deduction",
        }
    }
}

impl FromStr for RuleKind {
    type Err = RuleError;
    fn from_str(s: &str) -> Result<RuleKind, RuleError> {
        match s.trim() {
            "bonus" | "加分" | "+" => Ok(RuleKind::Bonus),
            "deduction" | "扣分" | "-" => Ok(RuleKind::Deduction),
            other => Err(RuleError::UnknownKind(other.to_string())),
        }
    }
}

/// The standard rule set every new village starts from (26 bonus, 25 deduction items),
/// kept as a CSV file so it reads like the village's own notice board.
pub const STANDARD_RULES_CSV: &str = include_str!("../../data/standard-rules.csv");
