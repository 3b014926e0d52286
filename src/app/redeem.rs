//! Redemption: points for goods, in one transaction (DESIGN.md §5.3).

use chrono::Days;
use serde::Serialize;
use uuid::Uuid;

use super::proxy::Proxy;
use super::{new_entry, App, AppError, Result};
use crate::domain::catalogue::{Stock, StockMove, StockMoveReason};
use crate::domain::ledger::EntryKind;
use crate::domain::voucher::{Serial, VoucherPayload};
use crate::store::NewVoucher;

/// What the villager gets back: the voucher to print and the balance after.
#[derive(Debug, Clone, Serialize)]
pub struct RedemptionReceipt {
    pub redemption_id: String,
    pub serial: String,
    pub household_code: String,
    pub item_code: String,
    pub item_name: String,
    pub qty: i64,
    pub points: i64,
    pub balance_after: i64,
    pub merchant: Option<String>,
    pub sponsor: Option<String>,
    pub issued_at: String,
    pub expires_on: String,
    /// The signed QR text for the voucher.
    pub qr_payload: String,
    pub status: &'static str,
}

impl App {
    /// Redeems `qty` of an item for a household. Balance check, debit, stock decrement,
    /// voucher (`pending`) and outbox event happen in one write-locked transaction, so two
    /// processes can never overdraw a household or sell stock twice; and goods come only
    /// off this kiosk's own shelf, so two kiosks offline never hand out more than exists.
    pub fn redeem(
        &mut self,
        household: &str,
        item_code: &str,
        qty: i64,
        recorded_by: &str,
    ) -> Result<RedemptionReceipt> {
        self.redeem_as(household, item_code, qty, recorded_by, None)
    }

    /// A redemption, made by the household at the screen or (with `proxy`) by a clerk on
    /// its behalf: then the ledger entry names the clerk and the deliverer, so the
    /// household's account says who redeemed for it wherever the entry travels.
    pub(super) fn redeem_as(
        &mut self,
        household: &str,
        item_code: &str,
        qty: i64,
        recorded_by: &str,
        proxy: Option<&Proxy>,
    ) -> Result<RedemptionReceipt> {
        if !(1..=20).contains(&qty) {
            return Err(AppError::Invalid(format!("quantity must be 1 to 20, not {qty}")));
        }
        self.fit_to_issue()?;
        let clock = self.clock.clone();
        let village = self.village.code.clone();
        let key = self.keys.voucher_signing.clone();
        let holder = self.device_id();
        self.store
            .write(|tx| {
                let household = tx
                    .household_row(household)?
                    .ok_or_else(|| AppError::UnknownHousehold(household.to_string()))?;
                let item = tx
                    .item(item_code)?
                    .ok_or_else(|| AppError::UnknownItem(item_code.to_string()))?;
                if !item.active {
                    return Err(AppError::ItemInactive { item: item.name });
                }
                let cost = item.points_cost * qty;
                if household.balance <= 0 {
                    return Err(AppError::NegativeBalance {
                        balance: household.balance,
                    });
                }
                if household.balance < cost {
                    return Err(AppError::InsufficientPoints {
                        item: item.name,
                        balance: household.balance,
                        cost,
                    });
                }
                if let Stock::Limited(_) = item.stock {
                    let left = tx.shelf(&item.code, &holder)?;
                    if left < qty {
                        return Err(AppError::OutOfStock {
                            item: item.name,
                            left,
                            wanted: qty,
                        });
                    }
                }
                let now = clock.now();
                let redemption_id = Uuid::now_v7().to_string();
                let mut debit = new_entry(
                    clock.as_ref(),
                    &household.code,
                    EntryKind::Redemption,
                    -cost,
                    match proxy {
                        None => format!("兑换 {} ×{qty}", item.name),
                        Some(p) => format!("兑换 {} ×{qty}（{}代兑换，{}送达）", item.name, p.clerk, p.deliverer),
                    },
                );
                debit.source = "kiosk".into();
                debit.recorded_by = recorded_by.to_string();
                tx.append_entry(&debit, None)?;
                if let Stock::Limited(_) = item.stock {
                    tx.move_stock(&StockMove {
                        id: Uuid::now_v7(),
                        item_code: item.code.clone(),
                        holder: holder.clone(),
                        delta: -qty,
                        reason: StockMoveReason::Redemption,
                        reference: Some(redemption_id.clone()),
                        created_at: now,
                    })?;
                }
                let kiosk = super::fleet::serial_kiosk(tx)?;
                let counter = match kiosk {
                    Some(n) => format!("voucher_serial.{n}"),
                    None => super::fleet::LEGACY_SERIALS.to_string(),
                };
                let serial = Serial::new(&village, kiosk, tx.next_counter(&counter)?);
                let expires = clock
                    .today()
                    .checked_add_days(Days::new(u64::from(item.valid_days)))
                    .ok_or_else(|| AppError::Invalid("voucher validity runs past the calendar".into()))?;
                let qr_payload = VoucherPayload {
                    serial: serial.clone(),
                    item_code: item.code.clone(),
                    points: cost,
                    expires,
                }
                .sign(&key);
                tx.insert_redemption_and_voucher(&NewVoucher {
                    redemption_id: &redemption_id,
                    household: &household.code,
                    item_code: &item.code,
                    qty,
                    points: cost,
                    ledger_id: &debit.id.to_string(),
                    recorded_by,
                    serial: serial.as_str(),
                    qr_payload: &qr_payload,
                    issued_at: now,
                    expires_on: expires,
                })?;
                super::sponsors::commit_cost(tx, &item.code, &item.name, qty, &redemption_id, clock.today())?;
                if let Some(p) = proxy {
                    tx.insert_proxy_redemption(serial.as_str(), &p.clerk, &p.deliverer, now)?;
                    let detail = format!("{} ×{qty}，{}送达", item.name, p.deliverer);
                    super::audit::record(tx, &p.clerk, "redeem_for", serial.as_str(), &detail, &holder, now)?;
                }
                tx.append_event("redemption", &redemption_id, now)?;
                Ok(RedemptionReceipt {
                    redemption_id,
                    serial: serial.to_string(),
                    household_code: household.code,
                    item_code: item.code,
                    item_name: item.name,
                    qty,
                    points: cost,
                    balance_after: household.balance - cost,
                    merchant: item.merchant,
                    sponsor: item.sponsor,
                    issued_at: crate::domain::clock::china_time_text(now),
                    expires_on: expires.to_string(),
                    qr_payload,
                    status: "pending",
                })
            })
            .map_err(super::box_health::full_disk_said)
    }
}
