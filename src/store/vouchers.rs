use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, OptionalExtension};

use super::{parse_col, parse_time, time_text, Result, Tx};
use crate::domain::voucher::VoucherStatus;

/// What a redemption writes: the redemption row and its voucher.
#[derive(Debug, Clone)]
pub struct NewVoucher<'a> {
    pub redemption_id: &'a str,
    pub household: &'a str,
    pub item_code: &'a str,
    pub qty: i64,
    pub points: i64,
    pub ledger_id: &'a str,
    pub recorded_by: &'a str,
    pub serial: &'a str,
    pub qr_payload: &'a str,
    pub issued_at: DateTime<Utc>,
    pub expires_on: NaiveDate,
}

/// A voucher with what was redeemed for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoucherRow {
    pub serial: String,
    pub redemption_id: String,
    pub household: String,
    pub item_code: String,
    pub item_name: String,
    pub merchant: Option<String>,
    pub sponsor: Option<String>,
    pub qty: i64,
    pub points: i64,
    pub ledger_id: String,
    pub status: VoucherStatus,
    pub qr_payload: String,
    pub issued_at: DateTime<Utc>,
    pub expires_on: NaiveDate,
    pub reprint_count: i64,
    pub print_attempts: i64,
    pub last_print_error: Option<String>,
    pub settled_at: Option<DateTime<Utc>>,
    pub settled_merchant: Option<String>,
    pub settled_by: Option<String>,
    pub settled_device: Option<String>,
    pub void_reason: Option<String>,
    pub refund_ledger_id: Option<String>,
}

const VOUCHER_SELECT: &str = "SELECT v.serial, v.redemption_id, r.household_code, r.item_code, c.name, c.merchant,
        c.sponsor, r.qty, r.points, r.ledger_id, v.status, v.qr_payload, v.issued_at, v.expires_on,
        v.reprint_count, v.print_attempts, v.last_print_error, v.settled_at, v.settled_merchant,
        v.settled_by, v.void_reason, v.settled_device, v.refund_ledger_id
    FROM vouchers v JOIN redemptions r ON r.id = v.redemption_id JOIN catalogue c ON c.code = r.item_code";

impl Tx<'_> {
    pub fn insert_redemption_and_voucher(&self, v: &NewVoucher) -> Result<()> {
        let at = time_text(v.issued_at);
        self.insert_redemption_row(v, &at)?;
        self.exec(
            "INSERT INTO vouchers (serial, redemption_id, status, qr_payload, issued_at, expires_on)
             VALUES (?1, ?2, 'pending', ?3, ?4, ?5)",
            params![v.serial, v.redemption_id, v.qr_payload, at, v.expires_on.to_string()],
        )?;
        Ok(())
    }

    /// The redemption row alone; the voucher row follows (new, or as received by sync).
    pub(super) fn insert_redemption_row(&self, v: &NewVoucher, at: &str) -> Result<()> {
        self.exec(
            "INSERT INTO redemptions (id, household_code, item_code, qty, points, ledger_id, recorded_by, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                v.redemption_id,
                v.household,
                v.item_code,
                v.qty,
                v.points,
                v.ledger_id,
                v.recorded_by,
                at
            ],
        )?;
        Ok(())
    }

    pub fn voucher(&self, serial: &str) -> Result<Option<VoucherRow>> {
        let sql = format!("{VOUCHER_SELECT} WHERE v.serial = ?1");
        let row = self.row(&sql, [serial], voucher_cols).optional()?;
        row.map(voucher_from_cols).transpose()
    }

    /// Vouchers, newest first, optionally only those of one status.
    pub fn vouchers(&self, status: Option<VoucherStatus>) -> Result<Vec<VoucherRow>> {
        let sql =
            format!("{VOUCHER_SELECT} WHERE ?1 IS NULL OR v.status = ?1 ORDER BY v.issued_at DESC, v.serial DESC");
        let mut stmt = self.tx.prepare_cached(&sql)?;
        let rows = stmt
            .query_map([status.map(|s| s.key())], voucher_cols)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(voucher_from_cols).collect()
    }

    /// Marks a voucher settled, with the kiosk where it happened.
    pub fn mark_voucher_settled(
        &self,
        serial: &str,
        merchant: &str,
        clerk: &str,
        device: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.exec(
            "UPDATE vouchers SET status = 'settled', settled_at = ?2, settled_merchant = ?3, settled_by = ?4,
                 settled_device = ?5
             WHERE serial = ?1",
            params![serial, time_text(at), merchant, clerk, device],
        )?;
        Ok(())
    }

    /// Records that a print is about to be attempted; returns the attempts made before.
    /// Written (and committed) before any byte goes to the printer, so after a crash the
    /// next print knows paper may already exist and marks itself a reprint.
    pub fn record_print_attempt(&self, serial: &str) -> Result<i64> {
        let before: i64 = self.row("SELECT print_attempts FROM vouchers WHERE serial = ?1", [serial], |r| {
            r.get(0)
        })?;
        self.exec(
            "UPDATE vouchers SET print_attempts = print_attempts + 1,
                 reprint_count = reprint_count + (CASE WHEN print_attempts > 0 THEN 1 ELSE 0 END)
             WHERE serial = ?1",
            [serial],
        )?;
        Ok(before)
    }

    pub fn mark_voucher_printed(&self, serial: &str) -> Result<()> {
        self.exec(
            "UPDATE vouchers SET status = 'printed', last_print_error = NULL
             WHERE serial = ?1 AND status IN ('pending', 'printed')",
            [serial],
        )?;
        Ok(())
    }

    pub fn record_print_failure(&self, serial: &str, reason: &str) -> Result<()> {
        self.exec(
            "UPDATE vouchers SET last_print_error = ?2 WHERE serial = ?1",
            params![serial, reason],
        )?;
        Ok(())
    }

    pub fn mark_voucher_void(&self, serial: &str, reason: &str, refund_ledger_id: &str) -> Result<()> {
        self.exec(
            "UPDATE vouchers SET status = 'void', void_reason = ?2, refund_ledger_id = ?3 WHERE serial = ?1",
            params![serial, reason, refund_ledger_id],
        )?;
        Ok(())
    }
}

type VoucherCols = (
    (String, String, String, String, String, Option<String>, Option<String>),
    (i64, i64, String, String, String, String, String),
    (
        i64,
        i64,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    ),
    (Option<String>, Option<String>),
);

fn voucher_cols(r: &rusqlite::Row) -> rusqlite::Result<VoucherCols> {
    Ok((
        (
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
        ),
        (
            r.get(7)?,
            r.get(8)?,
            r.get(9)?,
            r.get(10)?,
            r.get(11)?,
            r.get(12)?,
            r.get(13)?,
        ),
        (
            r.get(14)?,
            r.get(15)?,
            r.get(16)?,
            r.get(17)?,
            r.get(18)?,
            r.get(19)?,
            r.get(20)?,
        ),
        (r.get(21)?, r.get(22)?),
    ))
}

fn voucher_from_cols(c: VoucherCols) -> Result<VoucherRow> {
    let (
        (serial, redemption_id, household, item_code, item_name, merchant, sponsor),
        b,
        d,
        (settled_device, refund_ledger_id),
    ) = c;
    let (qty, points, ledger_id, status, qr_payload, issued_at, expires_on) = b;
    let (reprint_count, print_attempts, last_print_error, settled_at, settled_merchant, settled_by, void_reason) = d;
    Ok(VoucherRow {
        serial,
        redemption_id,
        household,
        item_code,
        item_name,
        merchant,
        sponsor,
        qty,
        points,
        ledger_id,
        status: parse_col(status, "voucher status", VoucherStatus::parse)?,
        qr_payload,
        issued_at: parse_time(issued_at)?,
        expires_on: parse_col(expires_on, "expiry date", |s| s.parse().ok())?,
        reprint_count,
        print_attempts,
        last_print_error,
        settled_at: settled_at.map(parse_time).transpose()?,
        settled_merchant,
        settled_by,
        settled_device,
        void_reason,
        refund_ledger_id,
    })
}
