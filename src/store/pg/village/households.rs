//! A village's households and residents on PostgreSQL.

use chrono::{DateTime, Utc};

use super::super::{PgTx, Result};

use crate::domain::household::{Resident, Role};
use crate::domain::records::ResidentRecord;

use super::parse;

impl PgTx<'_> {
    // ---- households and residents ----

    /// Grid and QR token of a household.
    pub async fn household_row(&self, village: &str, code: &str) -> Result<Option<(String, Option<String>, i64)>> {
        let row = self
            .q_opt(
                "SELECT grid, qr_token, balance FROM households WHERE village = $1 AND code = $2",
                &[&village, &code],
            )
            .await?;
        Ok(row.map(|r| (r.get(0), r.get(1), r.get(2))))
    }

    pub async fn household_by_qr_token(&self, village: &str, token: &str) -> Result<Option<String>> {
        let row = self
            .q_opt(
                "SELECT code FROM households WHERE village = $1 AND qr_token = $2",
                &[&village, &token],
            )
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    pub async fn household_of_resident(&self, village: &str, id_hash: &str) -> Result<Option<String>> {
        let row = self
            .q_opt(
                "SELECT household FROM residents WHERE village = $1 AND id_hash = $2",
                &[&village, &id_hash],
            )
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    /// Every household: (code, grid, QR token, has a head), for planning an import.
    pub async fn household_index(&self, village: &str) -> Result<Vec<(String, String, Option<String>, bool)>> {
        let rows = self
            .q(
                "SELECT h.code, h.grid, h.qr_token,
                        EXISTS (SELECT 1 FROM residents r WHERE r.village = h.village AND r.household = h.code
                                AND r.role = 'head')
                 FROM households h WHERE h.village = $1",
                &[&village],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3))).collect())
    }

    /// Every resident's hash with their household, for planning an import.
    pub async fn resident_index(&self, village: &str) -> Result<Vec<(String, String)>> {
        let rows = self
            .q(
                "SELECT id_hash, household FROM residents WHERE village = $1",
                &[&village],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    pub async fn insert_household(&self, village: &str, code: &str, grid: &str, at: DateTime<Utc>) -> Result<()> {
        self.exec(
            "INSERT INTO households (village, code, grid, created_at) VALUES ($1, $2, $3, $4)",
            &[&village, &code, &grid, &at],
        )
        .await?;
        Ok(())
    }

    /// Registers a file's worth of households, residents and QR cards in three statements.
    pub async fn register_households(
        &self,
        village: &str,
        households: &[(String, String)],
        residents: &[(String, Resident, String)],
        tokens: &[(String, String)],
        at: DateTime<Utc>,
    ) -> Result<()> {
        let codes: Vec<&str> = households.iter().map(|(c, _)| c.as_str()).collect();
        let grids: Vec<&str> = households.iter().map(|(_, g)| g.as_str()).collect();
        let token_codes: Vec<&str> = tokens.iter().map(|(c, _)| c.as_str()).collect();
        let token_values: Vec<&str> = tokens.iter().map(|(_, t)| t.as_str()).collect();
        // A new household's token goes in with it: updating it afterwards left a dead row
        // and a second index entry per household (a county's register took twice as long).
        self.exec(
            "INSERT INTO households (village, code, grid, qr_token, created_at)
             SELECT $1, h.code, h.grid, t.token, $2
             FROM unnest($3::text[], $4::text[]) AS h(code, grid)
             LEFT JOIN unnest($5::text[], $6::text[]) AS t(code, token) ON t.code = h.code",
            &[&village, &at, &codes, &grids, &token_codes, &token_values],
        )
        .await?;
        let col = |f: fn(&(String, Resident, String)) -> &str| residents.iter().map(f).collect::<Vec<&str>>();
        self.exec(
            "INSERT INTO residents (village, household, name, role, id_last4, id_hash)
             SELECT $1, household, name, role, id_last4, id_hash FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
                 WITH ORDINALITY AS t(household, name, role, id_last4, id_hash, ord)
             ORDER BY ord",
            &[
                &village,
                &col(|(h, _, _)| h),
                &col(|(_, r, _)| &r.name),
                &col(|(_, r, _)| r.role.key()),
                &col(|(_, r, _)| &r.id_last4),
                &col(|(_, _, hash)| hash),
            ],
        )
        .await?;
        self.exec(
            "UPDATE households h SET qr_token = t.token
             FROM unnest($2::text[], $3::text[]) AS t(code, token)
             WHERE h.village = $1 AND h.code = t.code AND h.qr_token IS DISTINCT FROM t.token",
            &[&village, &token_codes, &token_values],
        )
        .await?;
        Ok(())
    }

    pub async fn set_qr_token(&self, village: &str, code: &str, token: &str) -> Result<()> {
        self.exec(
            "UPDATE households SET qr_token = $3 WHERE village = $1 AND code = $2",
            &[&village, &code, &token],
        )
        .await?;
        Ok(())
    }

    pub async fn insert_resident(&self, village: &str, household: &str, r: &Resident, id_hash: &str) -> Result<()> {
        self.exec(
            "INSERT INTO residents (village, id_hash, household, name, role, id_last4)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            &[&village, &id_hash, &household, &r.name, &r.role.key(), &r.id_last4],
        )
        .await?;
        Ok(())
    }

    /// Residents with their hashes, the head first, then in registration order.
    pub async fn residents_with_hashes(&self, village: &str, household: &str) -> Result<Vec<ResidentRecord>> {
        let rows = self
            .q(
                "SELECT id_hash, name, role, id_last4 FROM residents WHERE village = $1 AND household = $2
                 ORDER BY role = 'head' DESC, pos",
                &[&village, &household],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ResidentRecord {
                    id_hash: r.get(0),
                    resident: Resident {
                        name: r.get(1),
                        role: parse(r.get::<_, String>(2), "resident role", Role::parse)?,
                        id_last4: r.get(3),
                    },
                })
            })
            .collect()
    }

    /// Head of household's name per household (for the ranking).
    pub async fn heads(&self, village: &str) -> Result<Vec<(String, String)>> {
        let rows = self
            .q(
                "SELECT household, name FROM residents WHERE village = $1 AND role = 'head'",
                &[&village],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }
}
