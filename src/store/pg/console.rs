//! The web console's accounts, sessions and audit log on PostgreSQL, as the SQLite
//! registry keeps them.

use chrono::{DateTime, Utc};
use tokio_postgres::Row;

use super::{PgTx, Result};
use crate::store::{AuditRow, ConsoleSessionRow, ConsoleUserRow};

const USER_COLS: &str =
    "name, role, village, grid, merchant, password_hash, active, failed_logins, locked_until, created_at";

impl PgTx<'_> {
    pub async fn insert_console_user(&self, u: &ConsoleUserRow) -> Result<bool> {
        Ok(self
            .exec(
                "INSERT INTO console_users (name, role, village, grid, merchant, password_hash, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (name) DO NOTHING",
                &[
                    &u.name,
                    &u.role,
                    &u.village,
                    &u.grid,
                    &u.merchant,
                    &u.password_hash,
                    &u.created_at,
                ],
            )
            .await?
            == 1)
    }

    pub async fn console_user(&self, name: &str) -> Result<Option<ConsoleUserRow>> {
        let sql = format!("SELECT {USER_COLS} FROM console_users WHERE name = $1");
        Ok(self.q_opt(&sql, &[&name]).await?.as_ref().map(user))
    }

    pub async fn console_users(&self) -> Result<Vec<ConsoleUserRow>> {
        let sql = format!("SELECT {USER_COLS} FROM console_users ORDER BY name COLLATE \"C\"");
        Ok(self.q(&sql, &[]).await?.iter().map(user).collect())
    }

    pub async fn deactivate_console_user(&self, name: &str) -> Result<bool> {
        let changed = self
            .exec("UPDATE console_users SET active = false WHERE name = $1", &[&name])
            .await?;
        self.exec("DELETE FROM console_sessions WHERE \"user\" = $1", &[&name])
            .await?;
        Ok(changed == 1)
    }

    pub async fn set_console_login_state(
        &self,
        name: &str,
        failed: i64,
        locked_until: Option<DateTime<Utc>>,
    ) -> Result<()> {
        self.exec(
            "UPDATE console_users SET failed_logins = $2, locked_until = $3 WHERE name = $1",
            &[&name, &failed, &locked_until],
        )
        .await?;
        Ok(())
    }

    pub async fn insert_console_session(
        &self,
        token_sha256: &str,
        s: &ConsoleSessionRow,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO console_sessions (token_sha256, \"user\", csrf, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
            &[&token_sha256, &s.user, &s.csrf, &at, &s.expires_at],
        )
        .await?;
        Ok(())
    }

    pub async fn console_session(&self, token_sha256: &str) -> Result<Option<ConsoleSessionRow>> {
        let row = self
            .q_opt(
                "SELECT \"user\", csrf, expires_at FROM console_sessions WHERE token_sha256 = $1",
                &[&token_sha256],
            )
            .await?;
        Ok(row.map(|r| ConsoleSessionRow {
            user: r.get(0),
            csrf: r.get(1),
            expires_at: r.get(2),
        }))
    }

    pub async fn delete_console_session(&self, token_sha256: &str) -> Result<()> {
        self.exec("DELETE FROM console_sessions WHERE token_sha256 = $1", &[&token_sha256])
            .await?;
        Ok(())
    }

    pub async fn insert_audit(&self, row: &AuditRow) -> Result<()> {
        self.exec(
            "INSERT INTO console_audit (at, \"user\", action, detail) VALUES ($1, $2, $3, $4)",
            &[&row.at, &row.user, &row.action, &row.detail],
        )
        .await?;
        Ok(())
    }

    pub async fn audit_rows(&self, limit: usize) -> Result<Vec<AuditRow>> {
        let rows = self
            .q(
                "SELECT at, \"user\", action, detail FROM console_audit ORDER BY seq DESC LIMIT $1",
                &[&(limit as i64)],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| AuditRow {
                at: r.get(0),
                user: r.get(1),
                action: r.get(2),
                detail: r.get(3),
            })
            .collect())
    }
}

fn user(r: &Row) -> ConsoleUserRow {
    ConsoleUserRow {
        name: r.get(0),
        role: r.get(1),
        village: r.get(2),
        grid: r.get(3),
        merchant: r.get(4),
        password_hash: r.get(5),
        active: r.get(6),
        failed_logins: r.get(7),
        locked_until: r.get(8),
        created_at: r.get(9),
    }
}
