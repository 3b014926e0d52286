use rusqlite::{params, OptionalExtension};

use super::{parse_col, time_text, Result, Tx};
use crate::domain::rules::{RuleItem, RuleKind};

impl Tx<'_> {
    /// Adds or updates a rule by code. Returns true when the rule is new.
    pub fn upsert_rule(&self, rule: &RuleItem, at: chrono::DateTime<chrono::Utc>) -> Result<bool> {
        let existed = self.rule(&rule.code)?.is_some();
        self.exec(
            "INSERT INTO rules (code, area, kind, points, text, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (code) DO UPDATE SET area = excluded.area, kind = excluded.kind,
                 points = excluded.points, text = excluded.text, updated_at = excluded.updated_at",
            params![
                rule.code,
                rule.area.label(),
                rule.kind.key(),
                rule.points,
                rule.text,
                time_text(at)
            ],
        )?;
        Ok(!existed)
    }

    pub fn rule(&self, code: &str) -> Result<Option<RuleItem>> {
        let row = self
            .row(
                "SELECT code, area, kind, points, text FROM rules WHERE code = ?1",
                [code],
                rule_cols,
            )
            .optional()?;
        row.map(rule_from_cols).transpose()
    }

    pub fn rules(&self) -> Result<Vec<RuleItem>> {
        let mut stmt = self
            .tx
            .prepare_cached("SELECT code, area, kind, points, text FROM rules ORDER BY code")?;
        let rows = stmt.query_map([], rule_cols)?.collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(rule_from_cols).collect()
    }
}

type RuleCols = (String, String, String, i64, String);

fn rule_cols(r: &rusqlite::Row) -> rusqlite::Result<RuleCols> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

fn rule_from_cols((code, area, kind, points, text): RuleCols) -> Result<RuleItem> {
    Ok(RuleItem {
        code,
        area: parse_col(area, "rule area", |s| s.parse().ok())?,
        kind: parse_col(kind, "rule kind", |s| s.parse::<RuleKind>().ok())?,
        points,
        text,
    })
}
