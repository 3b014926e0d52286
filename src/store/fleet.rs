//! Rows for a village's fleet: its kiosks and their voucher keys, sync events set aside,
//! double settlements, and the clerks' action log.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use super::{parse_col, parse_time, time_text, Result, Tx};
use crate::domain::kiosk::{parse_public_key, public_key_text, KioskRecord};
use crate::domain::records::ClerkActionRecord;

/// A sync event that could not be applied, waiting with its reason.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SetAsideRow {
    pub id: String,
    /// The kiosk that pushed it (township side); None for the township's feed (kiosk side).
    pub origin: Option<String>,
    pub seq: i64,
    pub kind: String,
    pub subject: String,
    pub reason: String,
    /// A kiosk sent what no kiosk may send: it is never applied.
    pub forbidden: bool,
    pub first_at: String,
    pub last_at: String,
    pub tries: i64,
    /// The event as it arrived, for the next try (only the sync code reads it).
    #[serde(skip)]
    pub raw: String,
}

/// A voucher settled twice (or settled after a void), for staff.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DoubleSettlementRow {
    pub serial: String,
    pub kept_status: String,
    pub kept_device: Option<String>,
    pub kept_by: Option<String>,
    pub kept_at: Option<String>,
    pub other_device: Option<String>,
    pub other_by: Option<String>,
    pub other_merchant: Option<String>,
    pub other_at: Option<String>,
    pub flagged_at: String,
}

impl Tx<'_> {
    pub fn kiosks(&self) -> Result<Vec<KioskRecord>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT device, number, name, voucher_key, legacy_serials, retired_at, retired_reason
             FROM kiosks ORDER BY number",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, u32>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, bool>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(device, number, name, key, legacy_serials, retired_at, reason)| {
                Ok(KioskRecord {
                    device,
                    number,
                    name,
                    voucher_key: key
                        .map(|k| parse_col(k, "voucher key", |s| parse_public_key(s).ok()))
                        .transpose()?,
                    legacy_serials,
                    retired: retired_at
                        .map(|at| Ok::<_, super::StoreError>((parse_time(at)?, reason.unwrap_or_default())))
                        .transpose()?,
                })
            })
            .collect()
    }

    pub fn upsert_kiosk(&self, k: &KioskRecord) -> Result<()> {
        let (retired_at, reason) = match &k.retired {
            Some((at, why)) => (Some(time_text(*at)), Some(why.as_str())),
            None => (None, None),
        };
        self.exec(
            "INSERT INTO kiosks (device, number, name, voucher_key, legacy_serials, retired_at, retired_reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (device) DO UPDATE SET number = excluded.number, name = excluded.name,
                 voucher_key = excluded.voucher_key, legacy_serials = excluded.legacy_serials,
                 retired_at = excluded.retired_at, retired_reason = excluded.retired_reason",
            params![
                k.device,
                k.number,
                k.name,
                k.voucher_key.as_ref().map(public_key_text),
                k.legacy_serials,
                retired_at,
                reason
            ],
        )?;
        Ok(())
    }

    /// Sets an event aside, or records another failed try of one set aside before.
    pub fn set_aside(&self, row: &SetAsideRow, at: DateTime<Utc>) -> Result<()> {
        self.exec(
            "INSERT INTO set_aside (id, origin, seq, kind, subject, reason, forbidden, raw, first_at, last_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
             ON CONFLICT (id) DO UPDATE SET reason = excluded.reason, forbidden = excluded.forbidden,
                 last_at = excluded.last_at, tries = tries + 1",
            params![
                row.id,
                row.origin,
                row.seq,
                row.kind,
                row.subject,
                row.reason,
                row.forbidden,
                row.raw,
                time_text(at)
            ],
        )?;
        Ok(())
    }

    /// An event set aside before has now been applied.
    pub fn release_set_aside(&self, id: &str) -> Result<()> {
        self.exec("DELETE FROM set_aside WHERE id = ?1", [id])?;
        Ok(())
    }

    /// Events set aside, oldest first (by sender, then sequence): the order to try them in.
    pub fn set_aside_rows(&self) -> Result<Vec<SetAsideRow>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT id, origin, seq, kind, subject, reason, forbidden, first_at, last_at, tries, raw
             FROM set_aside ORDER BY origin, seq",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(SetAsideRow {
                    id: r.get(0)?,
                    origin: r.get(1)?,
                    seq: r.get(2)?,
                    kind: r.get(3)?,
                    subject: r.get(4)?,
                    reason: r.get(5)?,
                    forbidden: r.get(6)?,
                    first_at: r.get(7)?,
                    last_at: r.get(8)?,
                    tries: r.get(9)?,
                    raw: r.get(10)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    pub fn clear_set_aside(&self) -> Result<usize> {
        Ok(self.exec("DELETE FROM set_aside", [])?)
    }

    pub fn set_aside_count(&self) -> Result<i64> {
        Ok(self.row("SELECT count(*) FROM set_aside", [], |r| r.get(0))?)
    }

    pub fn flag_double_settlement(&self, d: &DoubleSettlementRow) -> Result<()> {
        self.exec(
            "INSERT OR IGNORE INTO double_settlements (serial, kept_status, kept_device, kept_by, kept_at,
                 other_device, other_by, other_merchant, other_at, flagged_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                d.serial,
                d.kept_status,
                d.kept_device,
                d.kept_by,
                d.kept_at,
                d.other_device,
                d.other_by,
                d.other_merchant,
                d.other_at,
                d.flagged_at
            ],
        )?;
        Ok(())
    }

    pub fn double_settlements(&self) -> Result<Vec<DoubleSettlementRow>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT serial, kept_status, kept_device, kept_by, kept_at, other_device, other_by, other_merchant,
                    other_at, flagged_at
             FROM double_settlements ORDER BY flagged_at, id",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(DoubleSettlementRow {
                    serial: r.get(0)?,
                    kept_status: r.get(1)?,
                    kept_device: r.get(2)?,
                    kept_by: r.get(3)?,
                    kept_at: r.get(4)?,
                    other_device: r.get(5)?,
                    other_by: r.get(6)?,
                    other_merchant: r.get(7)?,
                    other_at: r.get(8)?,
                    flagged_at: r.get(9)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    pub fn record_clerk_action(&self, a: &ClerkActionRecord) -> Result<()> {
        self.exec(
            "INSERT OR IGNORE INTO clerk_actions (id, clerk, action, subject, detail, device, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                a.id.to_string(),
                a.clerk,
                a.action,
                a.subject,
                a.detail,
                a.device,
                time_text(a.at)
            ],
        )?;
        Ok(())
    }

    pub fn clerk_action_known(&self, id: uuid::Uuid) -> Result<bool> {
        Ok(self
            .row(
                "SELECT 1 FROM clerk_actions WHERE id = ?1",
                [id.to_string()],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    pub fn clerk_action(&self, id: &str) -> Result<Option<ClerkActionRecord>> {
        let row = self
            .row(
                "SELECT id, clerk, action, subject, detail, device, at FROM clerk_actions WHERE id = ?1",
                [id],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, String>(6)?,
                    ))
                },
            )
            .optional()?;
        row.map(|(id, clerk, action, subject, detail, device, at)| {
            Ok(ClerkActionRecord {
                id: parse_col(id, "clerk action id", |s| uuid::Uuid::parse_str(s).ok())?,
                clerk,
                action,
                subject,
                detail,
                device: device.unwrap_or_default(),
                at: parse_time(at)?,
            })
        })
        .transpose()
    }

    /// The newest clerk actions first.
    pub fn clerk_actions(&self, limit: usize) -> Result<Vec<ClerkActionRecord>> {
        let mut stmt = self
            .tx
            .prepare_cached("SELECT id FROM clerk_actions ORDER BY at DESC, id DESC LIMIT ?1")?;
        let ids = stmt
            .query_map([limit as i64], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        ids.iter().filter_map(|id| self.clerk_action(id).transpose()).collect()
    }
}
