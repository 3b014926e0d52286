//! Redeeming for a household that cannot come (代兑换 / 送奖上门, DESIGN.md §13): a clerk
//! redeems with the household's own ID card or QR card — never by its code alone, which
//! anyone in the hall could read off a notice — names who takes the goods to it, and the
//! delivery is confirmed later. The voucher prints 代领 with the clerk's name.

use serde::Serialize;

use super::printing::{PrintReport, Printer};
use super::{App, AppError, Identity, RedemptionReceipt, Result};
use crate::domain::clock::china_time_text;
use crate::domain::funds::ProxyRecord;

/// Who redeemed on the household's behalf and who takes it there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Proxy {
    pub clerk: String,
    pub deliverer: String,
}

impl From<ProxyRecord> for Proxy {
    fn from(row: ProxyRecord) -> Proxy {
        Proxy {
            clerk: row.clerk,
            deliverer: row.deliverer,
        }
    }
}

/// A voucher redeemed on a household's behalf, and whether it has reached the household.
#[derive(Debug, Clone, Serialize)]
pub struct ProxyView {
    pub serial: String,
    pub household_code: String,
    pub item_name: String,
    pub qty: i64,
    pub clerk: String,
    pub deliverer: String,
    pub redeemed_at: String,
    pub delivered_at: Option<String>,
    pub delivered_by: Option<String>,
}

impl App {
    /// Redeems for a household identified by its card, on a clerk's behalf, and prints the
    /// voucher (marked 代领) as a villager's own redemption is printed.
    pub fn redeem_for_household(
        &mut self,
        who: &Identity,
        item: &str,
        qty: i64,
        proxy: &Proxy,
        printer: &mut dyn Printer,
    ) -> Result<(RedemptionReceipt, PrintReport)> {
        if let Identity::HouseholdCode(code) = who {
            return Err(AppError::ProxyNeedsCard(code.clone()));
        }
        let proxy = Proxy {
            clerk: checked_name(&proxy.clerk, "the clerk")?,
            deliverer: checked_name(&proxy.deliverer, "who delivers it (--deliver-by)")?,
        };
        let household = self.identify(who)?;
        let receipt = self.redeem_as(&household, item, qty, &proxy.clerk, Some(&proxy))?;
        let report = self.print_committed(&receipt.serial, printer);
        Ok((receipt, report))
    }

    /// The people besides the clerk who take 代兑换 goods to households (the config's
    /// `[proxy] deliverers`); each a name of 1 to 20 characters, named once.
    pub fn set_deliverers(&mut self, names: &[String]) -> Result<()> {
        let mut kept: Vec<String> = Vec::new();
        for n in names {
            let n = checked_name(n, "[proxy] deliverers: each")?;
            if !kept.contains(&n) {
                kept.push(n);
            }
        }
        self.deliverers = kept;
        Ok(())
    }

    pub fn deliverers(&self) -> &[String] {
        &self.deliverers
    }

    /// The touch screen's choice of who delivers: the clerk in session first, then the
    /// configured deliverers. The screen answers with a place in this list, never a name.
    pub fn deliverer_choices(&self, clerk: &str) -> Vec<String> {
        std::iter::once(clerk.to_string())
            .chain(self.deliverers.iter().filter(|d| d.as_str() != clerk).cloned())
            .collect()
    }

    /// The household has its goods: confirmed once, by the deliverer or a clerk.
    pub fn confirm_delivery(&mut self, serial: &str, by: &str) -> Result<ProxyView> {
        let by = checked_name(by, "who confirms the delivery (--by)")?;
        let now = self.clock.now();
        let serial = serial.trim().to_string();
        let device = self.device_id();
        self.store.write(|tx| {
            let row = tx
                .proxy_redemption(&serial)?
                .ok_or_else(|| AppError::NotAProxyRedemption(serial.clone()))?;
            if let (Some(at), Some(who)) = (row.delivered_at, row.delivered_by.as_deref()) {
                return Err(AppError::AlreadyDelivered {
                    serial: serial.clone(),
                    on: china_time_text(at),
                    by: who.to_string(),
                });
            }
            tx.mark_proxy_delivered(&serial, &by, now)?;
            tx.append_event("voucher_delivered", &serial, now)?;
            super::audit::record(tx, &by, "delivered", &serial, &row.deliverer, &device, now)?;
            proxy_view(tx, &serial)
        })
    }

    /// Who redeemed the voucher on its household's behalf, if anyone did.
    pub fn voucher_proxy(&mut self, serial: &str) -> Result<Option<Proxy>> {
        let row = self
            .store
            .read(|tx| Ok::<_, AppError>(tx.proxy_redemption(serial.trim())?))?;
        Ok(row.map(Proxy::from))
    }

    /// Vouchers redeemed on households' behalf; with `undelivered`, only those still to go.
    pub fn proxy_redemptions(&mut self, undelivered: bool) -> Result<Vec<ProxyView>> {
        self.store.read(|tx| {
            let serials: Vec<String> = if undelivered {
                tx.undelivered_proxy_redemptions()?
                    .into_iter()
                    .map(|r| r.serial)
                    .collect()
            } else {
                tx.all_proxy_redemption_serials()?
            };
            serials.iter().map(|s| proxy_view(tx, s)).collect()
        })
    }
}

fn proxy_view(tx: &crate::store::Tx<'_>, serial: &str) -> Result<ProxyView> {
    let row = tx
        .proxy_redemption(serial)?
        .ok_or_else(|| AppError::NotAProxyRedemption(serial.to_string()))?;
    let voucher = tx
        .voucher(serial)?
        .ok_or_else(|| AppError::UnknownVoucher(serial.to_string()))?;
    Ok(ProxyView {
        serial: row.serial,
        household_code: voucher.household,
        item_name: voucher.item_name,
        qty: voucher.qty,
        clerk: row.clerk,
        deliverer: row.deliverer,
        redeemed_at: china_time_text(row.created_at),
        delivered_at: row.delivered_at.map(china_time_text),
        delivered_by: row.delivered_by,
    })
}

/// A person's name as written on the voucher: not empty, not a paragraph.
fn checked_name(name: &str, what: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 20 {
        return Err(AppError::Invalid(format!("{what} needs a name of 1 to 20 characters")));
    }
    Ok(name.to_string())
}
