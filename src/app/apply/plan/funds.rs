//! Decisions on sponsors, their gifts, items' costs and proxy redemptions. Each is keyed,
//! so a record applied twice changes nothing; each waits for what it names.

use super::super::Plan;
use super::{waits, Applied, State, Undo};
use crate::domain::funds::{FundReceiptRecord, ItemCostRecord, ProxyRecord, SponsorRecord};

pub(super) fn sponsor(state: &mut State, out: &mut Plan, s: &SponsorRecord) -> Applied {
    if !state.s.sponsors.insert(s.name.clone()) {
        return Ok(false);
    }
    state.undo.push(Undo::Sponsor(s.name.clone()));
    out.sponsors.push(s.clone());
    Ok(true)
}

pub(super) fn fund_receipt(state: &mut State, out: &mut Plan, r: &FundReceiptRecord) -> Applied {
    if state.s.fund_receipts.contains(&r.id) {
        return Ok(false);
    }
    known_sponsor(state, &r.sponsor)?;
    state.s.fund_receipts.insert(r.id.clone());
    state.undo.push(Undo::FundReceipt(r.id.clone()));
    out.fund_receipts.push(r.clone());
    Ok(true)
}

pub(super) fn item_cost(state: &mut State, out: &mut Plan, c: &ItemCostRecord) -> Applied {
    if !state.s.items.contains_key(&c.item_code) {
        return Err(waits(format!("a cost for unknown item {}", c.item_code)));
    }
    if let Some(cost) = &c.cost {
        known_sponsor(state, &cost.sponsor)?;
    }
    let current = state.s.item_costs.get(&c.item_code).cloned();
    if current == c.cost {
        return Ok(false);
    }
    match &c.cost {
        Some(cost) => state.s.item_costs.insert(c.item_code.clone(), cost.clone()),
        None => state.s.item_costs.remove(&c.item_code),
    };
    state.undo.push(Undo::ItemCost(c.item_code.clone(), current));
    out.item_costs.push(c.clone());
    Ok(true)
}

pub(super) fn proxy(state: &mut State, out: &mut Plan, p: &ProxyRecord) -> Applied {
    if !state.s.vouchers.contains_key(&p.serial) {
        return Err(waits(format!(
            "redeemed on a household's behalf: unknown voucher {}",
            p.serial
        )));
    }
    let delivered = p.delivered_at.is_some();
    let current = state.s.proxies.get(&p.serial).copied();
    match current {
        None => out.proxies.push(p.clone()),
        Some(false) if delivered => out.deliveries.push(p.clone()),
        // Already known, and the first confirmation of its delivery stands.
        Some(_) => return Ok(false),
    }
    state.s.proxies.insert(p.serial.clone(), delivered);
    state.undo.push(Undo::Proxy(p.serial.clone(), current));
    Ok(true)
}

/// A fund's records wait for their sponsor (it travels first, in its own event).
pub(super) fn known_sponsor(state: &State, name: &str) -> Result<(), super::Refusal> {
    if state.s.sponsors.contains(name) {
        Ok(())
    } else {
        Err(waits(format!("unknown sponsor {name}")))
    }
}
