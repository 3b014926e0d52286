//! What a batch writes: one statement per table, `unnest` of arrays.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::super::{PgTx, Result};
use super::uuid_of;
use crate::domain::records::{RedemptionRecord, ResidentRecord, VoucherRecord};

impl PgTx<'_> {
    // ---- what a batch writes ----

    pub async fn insert_households(&self, village: &str, rows: &[(String, String)], at: DateTime<Utc>) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let codes: Vec<&str> = rows.iter().map(|(c, _)| c.as_str()).collect();
        let grids: Vec<&str> = rows.iter().map(|(_, g)| g.as_str()).collect();
        self.exec(
            "INSERT INTO households (village, code, grid, created_at)
             SELECT $1, code, grid, $2 FROM unnest($3::text[], $4::text[]) AS t(code, grid)",
            &[&village, &at, &codes, &grids],
        )
        .await?;
        Ok(())
    }

    /// Gives households their QR tokens, in order (a token handed on is freed first).
    pub async fn set_qr_tokens(&self, village: &str, rows: &[(String, String)]) -> Result<()> {
        for (code, token) in rows {
            self.exec(
                "UPDATE households SET qr_token = NULL WHERE village = $1 AND qr_token = $2 AND code <> $3",
                &[&village, &token, &code],
            )
            .await?;
            self.set_qr_token(village, code, token).await?;
        }
        Ok(())
    }

    pub async fn insert_residents(&self, village: &str, rows: &[(String, ResidentRecord)]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let col = |f: fn(&(String, ResidentRecord)) -> &str| rows.iter().map(f).collect::<Vec<&str>>();
        self.exec(
            "INSERT INTO residents (village, household, name, role, id_last4, id_hash)
             SELECT $1, household, name, role, id_last4, id_hash
             FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
                 WITH ORDINALITY AS t(household, name, role, id_last4, id_hash, ord)
             ORDER BY ord",
            &[
                &village,
                &col(|(h, _)| h),
                &col(|(_, r)| &r.resident.name),
                &col(|(_, r)| r.resident.role.key()),
                &col(|(_, r)| &r.resident.id_last4),
                &col(|(_, r)| &r.id_hash),
            ],
        )
        .await?;
        Ok(())
    }

    pub async fn flag_overdrafts(&self, village: &str, rows: &[(Uuid, String, i64)], at: DateTime<Utc>) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let ids: Vec<Uuid> = rows.iter().map(|(id, _, _)| *id).collect();
        let households: Vec<&str> = rows.iter().map(|(_, h, _)| h.as_str()).collect();
        let balances: Vec<i64> = rows.iter().map(|(_, _, b)| *b).collect();
        self.exec(
            "INSERT INTO overdrafts (entry_id, village, household, balance_after, flagged_at)
             SELECT id, $1, household, balance, $2 FROM unnest($3::uuid[], $4::text[], $5::int8[])
                 AS t(id, household, balance)
             ON CONFLICT DO NOTHING",
            &[&village, &at, &ids, &households, &balances],
        )
        .await?;
        Ok(())
    }

    /// Redemptions received from kiosks with their vouchers, two statements in all.
    pub async fn insert_redemptions(&self, village: &str, rows: &[RedemptionRecord]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let text = |f: fn(&RedemptionRecord) -> &str| rows.iter().map(f).collect::<Vec<&str>>();
        let ledger_ids: Vec<Uuid> = rows
            .iter()
            .map(|r| uuid_of(&r.ledger_id, "redemption debit"))
            .collect::<Result<_>>()?;
        let qty: Vec<i64> = rows.iter().map(|r| r.qty).collect();
        let points: Vec<i64> = rows.iter().map(|r| r.points).collect();
        let created: Vec<DateTime<Utc>> = rows.iter().map(|r| r.created_at).collect();
        self.exec(
            "INSERT INTO redemptions (id, village, household, item, qty, points, ledger_id, recorded_by, created_at)
             SELECT id, $1, household, item, qty, points, ledger_id, recorded_by, created_at
             FROM unnest($2::text[], $3::text[], $4::text[], $5::int8[], $6::int8[], $7::uuid[], $8::text[],
                         $9::timestamptz[])
                 AS t(id, household, item, qty, points, ledger_id, recorded_by, created_at)",
            &[
                &village,
                &text(|r| &r.id),
                &text(|r| &r.household),
                &text(|r| &r.item_code),
                &qty,
                &points,
                &ledger_ids,
                &text(|r| &r.recorded_by),
                &created,
            ],
        )
        .await?;
        let v = |f: fn(&VoucherRecord) -> Option<&str>| rows.iter().map(|r| f(&r.voucher)).collect::<Vec<_>>();
        let refunds: Vec<Option<Uuid>> = rows
            .iter()
            .map(|r| {
                r.voucher
                    .refund_ledger_id
                    .as_deref()
                    .map(|id| uuid_of(id, "refund"))
                    .transpose()
            })
            .collect::<Result<_>>()?;
        self.exec(
            "INSERT INTO vouchers (serial, village, redemption_id, status, qr_payload, issued_at, expires_on,
                                   settled_at, settled_merchant, settled_by, settled_device, void_reason,
                                   refund_ledger_id)
             SELECT serial, $1, redemption_id, status, qr_payload, issued_at, expires_on, settled_at,
                    settled_merchant, settled_by, settled_device, void_reason, refund_ledger_id
             FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::date[],
                         $8::timestamptz[], $9::text[], $10::text[], $11::text[], $12::text[], $13::uuid[])
                 AS t(serial, redemption_id, status, qr_payload, issued_at, expires_on, settled_at,
                      settled_merchant, settled_by, settled_device, void_reason, refund_ledger_id)",
            &[
                &village,
                &text(|r| &r.voucher.serial),
                &text(|r| &r.id),
                &rows.iter().map(|r| r.voucher.status.key()).collect::<Vec<_>>(),
                &text(|r| &r.voucher.qr_payload),
                &rows.iter().map(|r| r.voucher.issued_at).collect::<Vec<_>>(),
                &rows.iter().map(|r| r.voucher.expires_on).collect::<Vec<_>>(),
                &rows.iter().map(|r| r.voucher.settled_at).collect::<Vec<_>>(),
                &v(|v| v.settled_merchant.as_deref()),
                &v(|v| v.settled_by.as_deref()),
                &v(|v| v.settled_device.as_deref()),
                &v(|v| v.void_reason.as_deref()),
                &refunds,
            ],
        )
        .await?;
        Ok(())
    }

    /// Settlements of outstanding vouchers, one statement.
    pub async fn settle_vouchers(&self, village: &str, rows: &[&VoucherRecord]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let opt = |f: fn(&VoucherRecord) -> Option<&str>| rows.iter().map(|v| f(v)).collect::<Vec<_>>();
        self.exec(
            "UPDATE vouchers v SET status = 'settled', settled_at = t.at, settled_merchant = t.merchant,
                 settled_by = t.clerk, settled_device = t.device
             FROM unnest($2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[])
                 AS t(serial, at, merchant, clerk, device)
             WHERE v.village = $1 AND v.serial = t.serial",
            &[
                &village,
                &rows.iter().map(|v| v.serial.as_str()).collect::<Vec<_>>(),
                &rows.iter().map(|v| v.settled_at).collect::<Vec<_>>(),
                &opt(|v| v.settled_merchant.as_deref()),
                &rows
                    .iter()
                    .map(|v| v.settled_by.as_deref().unwrap_or(""))
                    .collect::<Vec<_>>(),
                &opt(|v| v.settled_device.as_deref()),
            ],
        )
        .await?;
        Ok(())
    }
}
