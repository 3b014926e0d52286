//! Rows of vouchers redeemed by a clerk on a household's behalf (代兑换), and their delivery.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use super::{parse_time, time_text, Result, Tx};
use crate::domain::funds::ProxyRecord;

const PROXY_SELECT: &str =
    "SELECT serial, clerk, deliverer, created_at, delivered_at, delivered_by FROM proxy_redemptions";

impl Tx<'_> {
    pub fn insert_proxy_redemption(&self, serial: &str, clerk: &str, deliverer: &str, at: DateTime<Utc>) -> Result<()> {
        self.exec(
            "INSERT INTO proxy_redemptions (serial, clerk, deliverer, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![serial, clerk, deliverer, time_text(at)],
        )?;
        Ok(())
    }

    pub fn proxy_redemption(&self, serial: &str) -> Result<Option<ProxyRecord>> {
        let cols = self
            .row(&format!("{PROXY_SELECT} WHERE serial = ?1"), [serial], proxy_cols)
            .optional()?;
        cols.map(proxy_from_cols).transpose()
    }

    /// Those still to be taken to their households, oldest first.
    pub fn undelivered_proxy_redemptions(&self) -> Result<Vec<ProxyRecord>> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "{PROXY_SELECT} WHERE delivered_at IS NULL ORDER BY created_at, serial"
        ))?;
        let rows = stmt.query_map([], proxy_cols)?.collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(proxy_from_cols).collect()
    }

    pub fn all_proxy_redemption_serials(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .tx
            .prepare_cached("SELECT serial FROM proxy_redemptions ORDER BY created_at DESC, serial DESC")?;
        let rows = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(rows)
    }

    /// False when it was delivered already (the first confirmation stands).
    pub fn mark_proxy_delivered(&self, serial: &str, by: &str, at: DateTime<Utc>) -> Result<bool> {
        Ok(self.exec(
            "UPDATE proxy_redemptions SET delivered_at = ?2, delivered_by = ?3
             WHERE serial = ?1 AND delivered_at IS NULL",
            params![serial, time_text(at), by],
        )? == 1)
    }
}

impl Tx<'_> {
    /// A proxy redemption received by sync, with its delivery when that came with it.
    pub fn insert_synced_proxy(&self, p: &ProxyRecord) -> Result<()> {
        self.exec(
            "INSERT INTO proxy_redemptions (serial, clerk, deliverer, created_at, delivered_at, delivered_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (serial) DO NOTHING",
            params![
                p.serial,
                p.clerk,
                p.deliverer,
                time_text(p.created_at),
                p.delivered_at.map(time_text),
                p.delivered_by
            ],
        )?;
        Ok(())
    }
}

type ProxyCols = (String, String, String, String, Option<String>, Option<String>);

fn proxy_cols(r: &rusqlite::Row) -> rusqlite::Result<ProxyCols> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
}

fn proxy_from_cols(
    (serial, clerk, deliverer, created_at, delivered_at, delivered_by): ProxyCols,
) -> Result<ProxyRecord> {
    Ok(ProxyRecord {
        serial,
        clerk,
        deliverer,
        created_at: parse_time(created_at)?,
        delivered_at: delivered_at.map(parse_time).transpose()?,
        delivered_by,
    })
}
