//! Rows for township sync: the outbox read back in order, events received from kiosks,
//! overdraft flags, and the records a sync event is expanded into.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use uuid::Uuid;

use super::{parse_col, parse_time, time_text, NewVoucher, Result, Tx};
use crate::domain::household::{Resident, Role};
use crate::domain::records::{RedemptionRecord, ResidentRecord, VoucherRecord};
use crate::domain::voucher::VoucherStatus;

/// An outbox row before it is expanded into records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub seq: i64,
    pub id: Uuid,
    pub kind: String,
    pub subject: String,
    pub created_at: DateTime<Utc>,
}

/// What is known of an event received before under the same id or sequence number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedRow {
    pub id: String,
    pub device: String,
    pub seq: i64,
    pub digest: String,
}

/// A household flagged below zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverdraftRow {
    pub household: String,
    pub entry_id: String,
    pub reason: String,
    pub balance_after: i64,
    pub balance_now: i64,
    pub flagged_at: DateTime<Utc>,
}

impl Tx<'_> {
    /// Outbox events after `after`, oldest first. `unpushed` keeps only those the township
    /// has not acknowledged; `skip_origin` leaves out the echo of one device's own events.
    pub fn outbox_after(
        &self,
        after: i64,
        limit: usize,
        unpushed: bool,
        skip_origin: Option<&str>,
    ) -> Result<Vec<OutboxRow>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT seq, id, kind, subject, created_at FROM outbox
             WHERE seq > ?1 AND (?2 = 0 OR pushed_at IS NULL) AND (?3 IS NULL OR origin IS NOT ?3)
             ORDER BY seq LIMIT ?4",
        )?;
        let rows = stmt
            .query_map(params![after, unpushed, skip_origin, limit as i64], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(seq, id, kind, subject, at)| {
                Ok(OutboxRow {
                    seq,
                    id: parse_col(id, "event id", |s| Uuid::parse_str(s).ok())?,
                    kind,
                    subject,
                    created_at: parse_time(at)?,
                })
            })
            .collect()
    }

    /// The highest outbox sequence number (0 when empty).
    /// The time of the newest event this box wrote (by its own clock: entries pulled from
    /// the township carry the township's): a clock earlier than that has jumped back.
    /// Read from the last row by sequence, not by scanning.
    pub fn newest_record_time(&self) -> Result<Option<DateTime<Utc>>> {
        let text: Option<String> = self
            .row("SELECT created_at FROM outbox ORDER BY seq DESC LIMIT 1", [], |r| {
                r.get(0)
            })
            .optional()?;
        Ok(text
            .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
            .map(|t| t.with_timezone(&Utc)))
    }

    pub fn outbox_last_seq(&self) -> Result<i64> {
        Ok(self.row("SELECT coalesce(max(seq), 0) FROM outbox", [], |r| r.get(0))?)
    }

    /// Marks every event up to `through` as acknowledged by the township.
    pub fn mark_pushed_through(&self, through: i64, at: DateTime<Utc>) -> Result<usize> {
        Ok(self.exec(
            "UPDATE outbox SET pushed_at = ?2 WHERE seq <= ?1 AND pushed_at IS NULL",
            params![through, time_text(at)],
        )?)
    }

    /// Forgets acknowledgements after `seq`: a restored township lost those events, so
    /// they are sent again. Returns how many.
    pub fn mark_unpushed_after(&self, seq: i64) -> Result<usize> {
        Ok(self.exec(
            "UPDATE outbox SET pushed_at = NULL WHERE seq > ?1 AND pushed_at IS NOT NULL",
            [seq],
        )?)
    }

    /// Appends an event caused by another device's pushed event (township side).
    pub fn append_relayed_event(&self, kind: &str, subject: &str, origin: &str, at: DateTime<Utc>) -> Result<i64> {
        let seq = self.append_event(kind, subject, at)?;
        self.exec("UPDATE outbox SET origin = ?2 WHERE seq = ?1", params![seq, origin])?;
        Ok(seq)
    }

    pub fn residents_with_hashes(&self, household: &str) -> Result<Vec<ResidentRecord>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT id_hash, name, role, id_last4 FROM residents WHERE household_code = ?1
             ORDER BY role = 'head' DESC, rowid",
        )?;
        let rows = stmt
            .query_map([household], |r| {
                Ok((r.get::<_, String>(0)?, r.get(1)?, r.get::<_, String>(2)?, r.get(3)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(id_hash, name, role, id_last4)| {
                Ok(ResidentRecord {
                    id_hash,
                    resident: Resident {
                        name,
                        role: parse_col(role, "resident role", Role::parse)?,
                        id_last4,
                    },
                })
            })
            .collect()
    }

    pub fn resident_count(&self) -> Result<i64> {
        Ok(self.row("SELECT count(*) FROM residents", [], |r| r.get(0))?)
    }

    pub fn household_exists(&self, code: &str) -> Result<bool> {
        Ok(self
            .row("SELECT 1 FROM households WHERE code = ?1", [code], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// A voucher as it travels: status and settlement or void, without print bookkeeping.
    pub fn voucher_record(&self, serial: &str) -> Result<Option<VoucherRecord>> {
        let row = self
            .row(
                "SELECT serial, status, qr_payload, issued_at, expires_on, settled_at, settled_merchant,
                        settled_by, void_reason, refund_ledger_id, settled_device
                 FROM vouchers WHERE serial = ?1",
                [serial],
                |r| {
                    Ok((
                        (r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?),
                        (
                            r.get::<_, String>(3)?,
                            r.get::<_, String>(4)?,
                            r.get::<_, Option<String>>(5)?,
                        ),
                        (
                            r.get::<_, Option<String>>(6)?,
                            r.get::<_, Option<String>>(7)?,
                            r.get::<_, Option<String>>(8)?,
                            r.get::<_, Option<String>>(9)?,
                            r.get::<_, Option<String>>(10)?,
                        ),
                    ))
                },
            )
            .optional()?;
        let Some(((serial, status, qr_payload), (issued_at, expires_on, settled_at), rest)) = row else {
            return Ok(None);
        };
        let (settled_merchant, settled_by, void_reason, refund_ledger_id, settled_device) = rest;
        Ok(Some(VoucherRecord {
            serial,
            status: parse_col(status, "voucher status", VoucherStatus::parse)?,
            qr_payload,
            issued_at: parse_time(issued_at)?,
            expires_on: parse_col(expires_on, "expiry date", |s| s.parse().ok())?,
            settled_at: settled_at.map(parse_time).transpose()?,
            settled_merchant,
            settled_by,
            settled_device,
            void_reason,
            refund_ledger_id,
        }))
    }

    pub fn voucher_serial_of_redemption(&self, redemption_id: &str) -> Result<Option<String>> {
        Ok(self
            .row(
                "SELECT serial FROM vouchers WHERE redemption_id = ?1",
                [redemption_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// A redemption with its voucher, as it travels.
    pub fn redemption_record(&self, id: &str) -> Result<Option<RedemptionRecord>> {
        let row = self
            .row(
                "SELECT household_code, item_code, qty, points, ledger_id, recorded_by, created_at
                 FROM redemptions WHERE id = ?1",
                [id],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                    ))
                },
            )
            .optional()?;
        let Some((household, item_code, qty, points, ledger_id, recorded_by, created_at)) = row else {
            return Ok(None);
        };
        let Some(serial) = self.voucher_serial_of_redemption(id)? else {
            return Ok(None);
        };
        let Some(voucher) = self.voucher_record(&serial)? else {
            return Ok(None);
        };
        Ok(Some(RedemptionRecord {
            id: id.to_string(),
            household,
            item_code,
            qty,
            points,
            ledger_id,
            recorded_by,
            created_at: parse_time(created_at)?,
            voucher,
            fund: self
                .fund_commitment(id)?
                .map(|(sponsor, fen)| crate::domain::funds::FundCost {
                    sponsor,
                    amount: crate::domain::money::Fen(fen),
                }),
        }))
    }

    pub fn redemption_exists(&self, id: &str) -> Result<bool> {
        Ok(self
            .row("SELECT 1 FROM redemptions WHERE id = ?1", [id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// The event received under this id, or under this device and sequence number.
    pub fn received_event(&self, id: &str, device: &str, seq: i64) -> Result<Option<ReceivedRow>> {
        Ok(self
            .row(
                "SELECT id, device, seq, digest FROM received_events
                 WHERE id = ?1 OR (device = ?2 AND seq = ?3) LIMIT 1",
                params![id, device, seq],
                |r| {
                    Ok(ReceivedRow {
                        id: r.get(0)?,
                        device: r.get(1)?,
                        seq: r.get(2)?,
                        digest: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    /// The highest sequence number applied from a device (0 before its first event).
    pub fn last_received_seq(&self, device: &str) -> Result<i64> {
        Ok(self.row(
            "SELECT coalesce(max(seq), 0) FROM received_events WHERE device = ?1",
            [device],
            |r| r.get(0),
        )?)
    }

    pub fn record_received(&self, row: &ReceivedRow, kind: &str, at: DateTime<Utc>) -> Result<()> {
        self.exec(
            "INSERT INTO received_events (id, device, seq, kind, digest, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![row.id, row.device, row.seq, kind, row.digest, time_text(at)],
        )?;
        Ok(())
    }

    pub fn flag_overdraft(&self, entry_id: &str, household: &str, balance_after: i64, at: DateTime<Utc>) -> Result<()> {
        self.exec(
            "INSERT OR IGNORE INTO overdrafts (entry_id, household_code, balance_after, flagged_at) VALUES (?1, ?2, ?3, ?4)",
            params![entry_id, household, balance_after, time_text(at)],
        )?;
        Ok(())
    }

    /// Flagged overdrafts, newest first, with the entry that caused each and today's balance.
    pub fn overdrafts(&self) -> Result<Vec<OverdraftRow>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT o.household_code, o.entry_id, l.reason, o.balance_after, h.balance, o.flagged_at
             FROM overdrafts o JOIN ledger l ON l.id = o.entry_id JOIN households h ON h.code = o.household_code
             ORDER BY o.flagged_at DESC, o.entry_id",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get::<_, String>(5)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(household, entry_id, reason, balance_after, balance_now, at)| {
                Ok(OverdraftRow {
                    household,
                    entry_id,
                    reason,
                    balance_after,
                    balance_now,
                    flagged_at: parse_time(at)?,
                })
            })
            .collect()
    }

    /// Inserts a redemption and its voucher received by sync, with the voucher's status.
    pub fn insert_synced_redemption(&self, r: &RedemptionRecord) -> Result<()> {
        let v = &r.voucher;
        let row = NewVoucher {
            redemption_id: &r.id,
            household: &r.household,
            item_code: &r.item_code,
            qty: r.qty,
            points: r.points,
            ledger_id: &r.ledger_id,
            recorded_by: &r.recorded_by,
            serial: &v.serial,
            qr_payload: &v.qr_payload,
            issued_at: v.issued_at,
            expires_on: v.expires_on,
        };
        self.insert_redemption_row(&row, &time_text(r.created_at))?;
        self.exec(
            "INSERT INTO vouchers (serial, redemption_id, status, qr_payload, issued_at, expires_on, settled_at,
                                   settled_merchant, settled_by, void_reason, refund_ledger_id, settled_device)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                v.serial,
                r.id,
                v.status.key(),
                v.qr_payload,
                time_text(v.issued_at),
                v.expires_on.to_string(),
                v.settled_at.map(time_text),
                v.settled_merchant,
                v.settled_by,
                v.void_reason,
                v.refund_ledger_id,
                v.settled_device
            ],
        )?;
        Ok(())
    }
}
