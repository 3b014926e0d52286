use rusqlite::{params, OptionalExtension};

use super::{parse_col, time_text, Result, Tx};
use crate::domain::household::{Household, Resident, Role};

/// A household with its cached balance, as listed for exports and rankings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdRow {
    pub code: String,
    pub grid: String,
    pub balance: i64,
    pub qr_token: Option<String>,
    pub head_name: Option<String>,
}

/// What applying a sync batch needs of a household, without the names.
pub struct HouseholdBalanceRow {
    pub code: String,
    pub grid: String,
    pub qr_token: Option<String>,
    pub balance: i64,
}

impl Tx<'_> {
    pub fn ensure_grid(&self, name: &str) -> Result<()> {
        self.exec("INSERT OR IGNORE INTO grids (name) VALUES (?1)", [name])?;
        Ok(())
    }

    pub fn insert_household(
        &self,
        code: &str,
        grid: &str,
        qr_token: Option<&str>,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        self.ensure_grid(grid)?;
        self.exec(
            "INSERT INTO households (code, grid, qr_token, balance, created_at) VALUES (?1, ?2, ?3, 0, ?4)",
            params![code, grid, qr_token, time_text(at)],
        )?;
        Ok(())
    }

    pub fn set_household_qr_token(&self, code: &str, token: &str) -> Result<()> {
        self.exec(
            "UPDATE households SET qr_token = ?2 WHERE code = ?1",
            params![code, token],
        )?;
        Ok(())
    }

    pub fn insert_resident(&self, household: &str, resident: &Resident, id_hash: &str) -> Result<()> {
        self.exec(
            "INSERT INTO residents (id_hash, household_code, name, role, id_last4) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                id_hash,
                household,
                resident.name,
                resident.role.key(),
                resident.id_last4
            ],
        )?;
        Ok(())
    }

    /// The household a resident belongs to, found by the keyed hash of their ID number.
    pub fn household_of_resident(&self, id_hash: &str) -> Result<Option<String>> {
        Ok(self
            .row(
                "SELECT household_code FROM residents WHERE id_hash = ?1",
                [id_hash],
                |r| r.get(0),
            )
            .optional()?)
    }

    pub fn household_by_qr_token(&self, token: &str) -> Result<Option<String>> {
        Ok(self
            .row("SELECT code FROM households WHERE qr_token = ?1", [token], |r| r.get(0))
            .optional()?)
    }

    /// Those of these households that exist, a query per 500 codes.
    pub fn household_states(&self, codes: &[String]) -> Result<Vec<HouseholdBalanceRow>> {
        let mut found = Vec::new();
        for chunk in codes.chunks(500) {
            let sql = format!(
                "SELECT code, grid, qr_token, balance FROM households WHERE code IN ({})",
                vec!["?"; chunk.len()].join(",")
            );
            let mut stmt = self.tx.prepare_cached(&sql)?;
            let rows = stmt
                .query_map(rusqlite::params_from_iter(chunk.iter()), |r| {
                    Ok(HouseholdBalanceRow {
                        code: r.get(0)?,
                        grid: r.get(1)?,
                        qr_token: r.get(2)?,
                        balance: r.get(3)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            found.extend(rows);
        }
        Ok(found)
    }

    pub fn household_row(&self, code: &str) -> Result<Option<HouseholdRow>> {
        Ok(self
            .row(
                "SELECT h.code, h.grid, h.balance, h.qr_token,
                        (SELECT name FROM residents r WHERE r.household_code = h.code
                          ORDER BY r.role = 'head' DESC, r.rowid LIMIT 1)
                 FROM households h WHERE h.code = ?1",
                [code],
                household_row,
            )
            .optional()?)
    }

    pub fn household(&self, code: &str) -> Result<Option<Household>> {
        let Some(row) = self.household_row(code)? else {
            return Ok(None);
        };
        Ok(Some(Household {
            members: self.members(code)?,
            code: row.code,
            grid: row.grid,
        }))
    }

    /// A household's members, the head first.
    pub fn members(&self, code: &str) -> Result<Vec<Resident>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT name, role, id_last4 FROM residents WHERE household_code = ?1 ORDER BY role = 'head' DESC, rowid",
        )?;
        let rows = stmt
            .query_map([code], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(name, role, id_last4)| {
                let role = parse_col(role, "resident role", Role::parse)?;
                Ok(Resident { name, role, id_last4 })
            })
            .collect()
    }

    pub fn households(&self) -> Result<Vec<HouseholdRow>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT h.code, h.grid, h.balance, h.qr_token,
                    (SELECT name FROM residents r WHERE r.household_code = h.code
                      ORDER BY r.role = 'head' DESC, r.rowid LIMIT 1)
             FROM households h ORDER BY h.code",
        )?;
        let rows = stmt
            .query_map([], household_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    pub fn household_count(&self) -> Result<i64> {
        Ok(self.row("SELECT count(*) FROM households", [], |r| r.get(0))?)
    }
}

fn household_row(r: &rusqlite::Row) -> rusqlite::Result<HouseholdRow> {
    Ok(HouseholdRow {
        code: r.get(0)?,
        grid: r.get(1)?,
        balance: r.get(2)?,
        qr_token: r.get(3)?,
        head_name: r.get(4)?,
    })
}
