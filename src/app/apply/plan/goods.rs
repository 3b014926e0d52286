//! Decisions on items, redemptions, vouchers and stock moves.

use uuid::Uuid;

use super::super::{DoubleSettlement, Plan};
use super::{waits, Applied, State, Undo};
use crate::domain::catalogue::{CatalogueItem, Stock, StockMove};
use crate::domain::records::{RedemptionRecord, VoucherRecord};
use crate::domain::voucher::VoucherStatus;
use crate::store::VoucherFacts;

pub(super) fn item(state: &mut State, out: &mut Plan, item: &CatalogueItem) -> Applied {
    let Some(current) = state.s.items.get(&item.code).cloned() else {
        // Stock arrives as moves; a limited item starts empty.
        let new = CatalogueItem {
            stock: match item.stock {
                Stock::Limited(_) => Stock::Limited(0),
                Stock::Unlimited => Stock::Unlimited,
            },
            ..item.clone()
        };
        state.set_item(new.clone());
        out.new_items.push(new);
        return Ok(true);
    };
    // The figure an item record carries is the sender's view; only moves change stock.
    let updated = CatalogueItem {
        stock: current.stock,
        ..item.clone()
    };
    if updated == current {
        return Ok(false);
    }
    state.set_item(updated.clone());
    out.item_updates.push(updated);
    Ok(true)
}

pub(super) fn redemption(state: &mut State, out: &mut Plan, r: &RedemptionRecord) -> Applied {
    if state.s.foreign.contains(&r.id) || state.s.foreign.contains(&r.voucher.serial) {
        return Err(waits(format!(
            "redemption {} or serial {} belongs to another village",
            r.id, r.voucher.serial
        )));
    }
    if state.s.redemptions.contains(&r.id) {
        return Ok(false);
    }
    if !state.s.items.contains_key(&r.item_code) {
        return Err(waits(format!("unknown item {}", r.item_code)));
    }
    if !state.s.households.contains_key(&r.household) {
        return Err(waits(format!("unknown household {}", r.household)));
    }
    if let Some(fund) = &r.fund {
        super::funds::known_sponsor(state, &fund.sponsor)?;
    }
    let debit = Uuid::parse_str(&r.ledger_id)
        .ok()
        .and_then(|id| state.s.entries.get(&id))
        .ok_or_else(|| {
            waits(format!(
                "redemption {} names debit {} that is not here",
                r.id, r.ledger_id
            ))
        })?;
    if debit.delta != -r.points || debit.household != r.household {
        return Err(waits(format!(
            "redemption {} of {} points does not match its debit of {}",
            r.id, r.points, -debit.delta
        )));
    }
    if let Some(other) = state.s.vouchers.get(&r.voucher.serial) {
        return Err(waits(format!(
            "serial {} is already the voucher of redemption {}",
            r.voucher.serial, other.redemption_id
        )));
    }
    state.s.redemptions.insert(r.id.clone());
    state.undo.push(Undo::Redemption(r.id.clone()));
    let v = &r.voucher;
    state.set_voucher(
        &v.serial,
        VoucherFacts {
            serial: v.serial.clone(),
            redemption_id: r.id.clone(),
            status: v.status,
            household: r.household.clone(),
            item_code: r.item_code.clone(),
            qty: r.qty,
            points: r.points,
            ledger_id: r.ledger_id.clone(),
            settled_at: v.settled_at,
            settled_merchant: v.settled_merchant.clone(),
            settled_by: v.settled_by.clone(),
            settled_device: v.settled_device.clone(),
            refund_ledger_id: v.refund_ledger_id.clone(),
        },
    );
    out.redemptions.push(r.clone());
    Ok(true)
}

pub(super) fn voucher(state: &mut State, out: &mut Plan, v: &VoucherRecord) -> Applied {
    let Some(mut current) = state.s.vouchers.get(&v.serial).cloned() else {
        return Err(waits(format!("unknown voucher {}", v.serial)));
    };
    let open = current.status.is_outstanding();
    match v.status {
        VoucherStatus::Settled => {
            let (Some(at), Some(merchant)) = (v.settled_at, v.settled_merchant.as_deref()) else {
                return Err(waits(format!("voucher {} settled without time or merchant", v.serial)));
            };
            if open {
                current.status = VoucherStatus::Settled;
                current.settled_at = Some(at);
                current.settled_merchant = Some(merchant.to_string());
                current.settled_by = v.settled_by.clone();
                current.settled_device = v.settled_device.clone();
                state.set_voucher(&v.serial, current);
                out.voucher_updates.push(v.clone());
                return Ok(true);
            }
            let same = current.status == VoucherStatus::Settled
                && current.settled_at == Some(at)
                && current.settled_device == v.settled_device;
            if !same {
                // Settled at two places while offline (or after a void): the first stays,
                // the second is kept for staff with both places and clerks.
                out.double_settlements.push(DoubleSettlement {
                    serial: v.serial.clone(),
                    kept_status: current.status,
                    kept_device: current.settled_device.clone(),
                    kept_by: current.settled_by.clone(),
                    kept_at: current.settled_at,
                    other_device: v.settled_device.clone(),
                    other_by: v.settled_by.clone(),
                    other_merchant: Some(merchant.to_string()),
                    other_at: Some(at),
                });
            }
            Ok(false)
        }
        VoucherStatus::Void => {
            let refund = v.refund_ledger_id.as_deref().unwrap_or("");
            if current.status == VoucherStatus::Void {
                if current.refund_ledger_id.as_deref() == Some(refund) {
                    return Ok(false);
                }
                return Err(waits(format!(
                    "voucher {} was voided twice (already void with refund {}); staff must decide",
                    v.serial,
                    current.refund_ledger_id.as_deref().unwrap_or("?")
                )));
            }
            if !open {
                return Err(waits(format!(
                    "voucher {} was voided after it was settled; staff must decide",
                    v.serial
                )));
            }
            let ok = Uuid::parse_str(refund)
                .ok()
                .and_then(|id| state.s.entries.get(&id))
                .is_some_and(|e| e.delta == current.points && e.household == current.household);
            if !ok {
                return Err(waits(format!("voucher {} voided without its refund", v.serial)));
            }
            current.status = VoucherStatus::Void;
            current.refund_ledger_id = Some(refund.to_string());
            state.set_voucher(&v.serial, current);
            out.voucher_updates.push(v.clone());
            Ok(true)
        }
        // A voucher record carries a settlement or a void; anything else says nothing new.
        VoucherStatus::Pending | VoucherStatus::Printed | VoucherStatus::Expired => Ok(false),
    }
}

pub(super) fn stock_move(state: &mut State, out: &mut Plan, m: &StockMove) -> Applied {
    if state.s.moves.contains(&m.id) {
        return Ok(false);
    }
    let Some(mut item) = state.s.items.get(&m.item_code).cloned() else {
        return Err(waits(format!("stock move for unknown item {}", m.item_code)));
    };
    let Stock::Limited(total) = item.stock else {
        return Err(waits(format!("{} is unlimited and has no stock to move", item.name)));
    };
    let key = (m.item_code.clone(), m.holder.clone());
    let shelf = state.s.shelves.get(&key).copied();
    let after = shelf.unwrap_or(0) + m.delta;
    if after < 0 {
        return Err(waits(format!(
            "{} on the shelf of {} would go below zero ({} {:+})",
            item.name,
            m.holder,
            shelf.unwrap_or(0),
            m.delta
        )));
    }
    state.s.shelves.insert(key.clone(), after);
    state.undo.push(Undo::Shelf(key, shelf));
    state.s.moves.insert(m.id);
    state.undo.push(Undo::Move(m.id));
    item.stock = Stock::Limited(total + m.delta);
    state.set_item(item);
    out.moves.push(m.clone());
    Ok(true)
}
