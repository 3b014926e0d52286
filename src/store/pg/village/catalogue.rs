//! A village's catalogue, redemptions and vouchers on PostgreSQL.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::super::{PgError, PgTx, Result};
use super::{catalogue_item, parse, uuid_col, ITEM_COLS, VOUCHER_COLS};

use crate::domain::catalogue::{CatalogueItem, Stock};
use crate::domain::records::{RedemptionRecord, VoucherRecord};
use crate::domain::voucher::VoucherStatus;

impl PgTx<'_> {
    // ---- the catalogue ----

    pub async fn item(&self, village: &str, code: &str) -> Result<Option<CatalogueItem>> {
        let sql = format!("SELECT {ITEM_COLS} FROM items WHERE village = $1 AND code = $2");
        let row = self.q_opt(&sql, &[&village, &code]).await?;
        row.as_ref().map(catalogue_item).transpose()
    }

    /// Adds an item; a limited one starts with nothing on any shelf (stock comes as moves).
    pub async fn insert_item(&self, village: &str, item: &CatalogueItem, at: DateTime<Utc>) -> Result<()> {
        let stock = match item.stock {
            Stock::Limited(_) => Some(0i64),
            Stock::Unlimited => None,
        };
        self.exec(
            "INSERT INTO items (village, code, name, points_cost, stock, merchant, sponsor, valid_days, active,
                                    updated_at, picture)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            &[
                &village,
                &item.code,
                &item.name,
                &item.points_cost,
                &stock,
                &item.merchant,
                &item.sponsor,
                &(item.valid_days as i32),
                &item.active,
                &at,
                &item.picture,
            ],
        )
        .await?;
        Ok(())
    }

    /// Everything but the stock, which only moves through [`PgTx::move_stock_batch`].
    pub async fn update_item_details(&self, village: &str, item: &CatalogueItem, at: DateTime<Utc>) -> Result<()> {
        self.exec(
            "UPDATE items SET name = $3, points_cost = $4, merchant = $5, sponsor = $6, valid_days = $7,
                                  active = $8, updated_at = $9, picture = $10
                 WHERE village = $1 AND code = $2",
            &[
                &village,
                &item.code,
                &item.name,
                &item.points_cost,
                &item.merchant,
                &item.sponsor,
                &(item.valid_days as i32),
                &item.active,
                &at,
                &item.picture,
            ],
        )
        .await?;
        Ok(())
    }

    // ---- redemptions and vouchers ----

    /// A redemption as it travels, with its voucher.
    pub async fn redemption_record(&self, village: &str, id: &str) -> Result<Option<RedemptionRecord>> {
        let row = self
            .q_opt(
                "SELECT r.id, r.household, r.item, r.qty, r.points, r.ledger_id, r.recorded_by, r.created_at, v.serial
                 FROM redemptions r JOIN vouchers v ON v.village = r.village AND v.redemption_id = r.id
                 WHERE r.village = $1 AND r.id = $2",
                &[&village, &id],
            )
            .await?;
        let Some(r) = row else { return Ok(None) };
        let serial: String = r.get(8);
        let (voucher, _, _) = self
            .voucher_record(village, &serial)
            .await?
            .ok_or_else(|| PgError::Corrupt(format!("redemption {id} has no voucher")))?;
        let fund = self.fund_commitment(village, id).await?;
        Ok(Some(RedemptionRecord {
            id: r.get(0),
            household: r.get(1),
            item_code: r.get(2),
            qty: r.get(3),
            points: r.get(4),
            ledger_id: r.get::<_, Uuid>(5).to_string(),
            recorded_by: r.get(6),
            created_at: r.get(7),
            voucher,
            fund,
        }))
    }

    /// A voucher as it travels, with the code of its item and its redemption's id.
    pub async fn voucher_record(&self, village: &str, serial: &str) -> Result<Option<(VoucherRecord, String, String)>> {
        let sql = format!(
            "SELECT {VOUCHER_COLS}, r.item, r.id FROM vouchers v
             JOIN redemptions r ON r.village = v.village AND r.id = v.redemption_id
             WHERE v.village = $1 AND v.serial = $2"
        );
        let row = self.q_opt(&sql, &[&village, &serial]).await?;
        let Some(r) = row else { return Ok(None) };
        let record = VoucherRecord {
            serial: r.get(0),
            status: parse(r.get::<_, String>(1), "voucher status", VoucherStatus::parse)?,
            qr_payload: r.get(2),
            issued_at: r.get(3),
            expires_on: r.get::<_, NaiveDate>(4),
            settled_at: r.get(5),
            settled_merchant: r.get(6),
            settled_by: r.get(7),
            void_reason: r.get(8),
            refund_ledger_id: r.get::<_, Option<Uuid>>(9).map(|u| u.to_string()),
            settled_device: r.get(10),
        };
        Ok(Some((record, r.get(11), r.get(12))))
    }

    pub async fn mark_voucher_void(&self, village: &str, serial: &str, reason: &str, refund: &str) -> Result<()> {
        let refund = uuid_col(refund, "refund")?;
        self.exec(
            "UPDATE vouchers SET status = 'void', void_reason = $3, refund_ledger_id = $4
                 WHERE village = $1 AND serial = $2",
            &[&village, &serial, &reason, &refund],
        )
        .await?;
        Ok(())
    }
}
