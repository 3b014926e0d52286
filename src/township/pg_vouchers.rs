//! Vouchers a shop owner checks and takes on the console, on the PostgreSQL engine. What a
//! voucher is worth is `app::check_voucher`'s decision; here it is read and, once taken,
//! settled and put in the village's feed in one transaction.

use super::postgres::PgTownship;
use super::{Result, TownshipError};
use crate::app::{HeldVoucher, TOWNSHIP_DESK};

impl PgTownship {
    pub(super) fn voucher_held(&self, village: &str, serial: &str) -> Result<Option<HeldVoucher>> {
        Ok(self.store().read(async |tx| {
            let Some((record, item_code, redemption)) = tx.voucher_record(village, serial).await? else {
                return Ok(None);
            };
            let item = tx.item(village, &item_code).await?;
            let qty = tx.redemption_record(village, &redemption).await?.map_or(0, |r| r.qty);
            Ok(Some(HeldVoucher {
                record,
                item_name: item.as_ref().map_or(item_code, |i| i.name.clone()),
                qty,
                merchant: item.and_then(|i| i.merchant),
            }))
        })?)
    }

    pub(super) fn settle_on_console(&self, village: &str, serial: &str, merchant: &str, by: &str) -> Result<bool> {
        let now = self.clock().now();
        self.store().write(Some(village), async |tx| {
            let Some((mut v, _, _)) = tx.voucher_record(village, serial).await? else {
                return Ok::<_, TownshipError>(false);
            };
            if !v.status.is_outstanding() {
                return Ok(false);
            }
            v.settled_at = Some(now);
            v.settled_merchant = Some(merchant.to_string());
            v.settled_by = Some(by.to_string());
            v.settled_device = Some(TOWNSHIP_DESK.to_string());
            tx.settle_vouchers(village, &[&v]).await?;
            tx.append_feed(village, &[("voucher_settled", serial.to_string())], None, now)
                .await?;
            Ok(true)
        })
    }
}
