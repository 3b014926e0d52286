//! The decisions: event by event, record by record, against the snapshot as the earlier
//! events of the batch have changed it. An event whose record fails is undone whole and
//! set aside; the next event goes on.

use uuid::Uuid;

use super::authority::{self, Forbidden};
use super::{Candidate, DoubleSettlement, HouseholdState, Origin, Overdraft, Plan, SetAside, Snapshot};
use crate::domain::catalogue::{CatalogueItem, Stock, StockMove};
use crate::domain::evidence::{DisputeRecord, EvidenceRecord};
use crate::domain::kiosk::KioskRecord;
use crate::domain::records::{
    EntryRecord, HouseholdRecord, QrCardRecord, Record, RedemptionRecord, SyncEvent, VoucherRecord, EVENT_KINDS,
};
use crate::domain::rules::RuleItem;
use crate::domain::voucher::VoucherStatus;
use crate::store::{EntryFacts, VoucherFacts};

/// Plans applying `candidates` in order from `origin` over `snapshot`.
pub fn plan(snapshot: Snapshot, origin: &Origin, candidates: &[Candidate]) -> Plan {
    let mut state = State {
        s: snapshot,
        undo: Vec::new(),
    };
    let mut plan = Plan::default();
    for (index, candidate) in candidates.iter().enumerate() {
        let mark = state.undo.len();
        let mut staged = Plan::default();
        match apply_event(&mut state, &mut staged, origin, candidate.event) {
            Ok(changed) => {
                merge(&mut plan, staged);
                plan.applied.push(index);
                if changed {
                    plan.changed.push(index);
                }
            }
            Err(refusal) => {
                state.undo_to(mark);
                let (reason, forbidden) = match refusal {
                    Refusal::Waits(r) => (r, false),
                    Refusal::Forbidden(Forbidden(r)) => (r, true),
                };
                plan.set_aside.push(SetAside {
                    index,
                    reason: format!("event {} ({}): {reason}", candidate.event.seq, candidate.event.kind),
                    forbidden,
                });
            }
        }
    }
    plan
}

/// Why a record cannot be applied.
pub(super) enum Refusal {
    /// Something it needs is not here (yet), or it contradicts what is here.
    Waits(String),
    /// A kiosk sent what a kiosk may not.
    Forbidden(Forbidden),
}

impl From<Forbidden> for Refusal {
    fn from(f: Forbidden) -> Self {
        Refusal::Forbidden(f)
    }
}

type Applied = Result<bool, Refusal>;

fn waits(reason: impl Into<String>) -> Refusal {
    Refusal::Waits(reason.into())
}

/// The snapshot as the batch changes it, with an undo log so a refused event leaves no
/// trace in what the following events see.
pub(super) struct State {
    pub(super) s: Snapshot,
    undo: Vec<Undo>,
}

enum Undo {
    Household(String, Option<HouseholdState>),
    Token(String, Option<String>),
    Resident(String),
    Rule(String, Option<RuleItem>),
    Item(String, Option<CatalogueItem>),
    Shelf((String, String), Option<i64>),
    Entry(Uuid),
    DedupeKey(String),
    Redemption(String),
    Voucher(String, Option<VoucherFacts>),
    Move(Uuid),
    Kiosk(String, Option<KioskRecord>),
    ClerkAction(Uuid),
    Evidence(Uuid),
    Dispute(Uuid, Option<bool>),
    OpenDispute(Uuid, Option<Uuid>),
}

impl State {
    fn undo_to(&mut self, mark: usize) {
        while self.undo.len() > mark {
            let Some(u) = self.undo.pop() else { break };
            let s = &mut self.s;
            match u {
                Undo::Household(k, v) => restore(&mut s.households, k, v),
                Undo::Token(k, v) => restore(&mut s.tokens, k, v),
                Undo::Resident(k) => {
                    s.residents.remove(&k);
                }
                Undo::Rule(k, v) => restore(&mut s.rules, k, v),
                Undo::Item(k, v) => restore(&mut s.items, k, v),
                Undo::Shelf(k, v) => restore(&mut s.shelves, k, v),
                Undo::Entry(k) => {
                    s.entries.remove(&k);
                }
                Undo::DedupeKey(k) => {
                    s.dedupe_keys.remove(&k);
                }
                Undo::Redemption(k) => {
                    s.redemptions.remove(&k);
                }
                Undo::Voucher(k, v) => restore(&mut s.vouchers, k, v),
                Undo::Move(k) => {
                    s.moves.remove(&k);
                }
                Undo::Kiosk(k, v) => restore(&mut s.kiosks, k, v),
                Undo::ClerkAction(k) => {
                    s.clerk_actions.remove(&k);
                }
                Undo::Evidence(k) => {
                    s.evidence.remove(&k);
                }
                Undo::Dispute(k, v) => restore(&mut s.disputes, k, v),
                Undo::OpenDispute(k, v) => restore(&mut s.open_disputes, k, v),
            }
        }
    }

    fn set_household(&mut self, code: &str, h: HouseholdState) {
        let old = self.s.households.insert(code.to_string(), h);
        self.undo.push(Undo::Household(code.to_string(), old));
    }

    fn set_token(&mut self, token: &str, owner: Option<String>) {
        let old = match owner {
            Some(o) => self.s.tokens.insert(token.to_string(), o),
            None => self.s.tokens.remove(token),
        };
        self.undo.push(Undo::Token(token.to_string(), old));
    }

    fn set_item(&mut self, item: CatalogueItem) {
        let code = item.code.clone();
        let old = self.s.items.insert(code.clone(), item);
        self.undo.push(Undo::Item(code, old));
    }

    fn set_voucher(&mut self, serial: &str, v: VoucherFacts) {
        let old = self.s.vouchers.insert(serial.to_string(), v);
        self.undo.push(Undo::Voucher(serial.to_string(), old));
    }
}

fn restore<K: std::hash::Hash + Eq, V>(map: &mut std::collections::HashMap<K, V>, k: K, v: Option<V>) {
    match v {
        Some(v) => {
            map.insert(k, v);
        }
        None => {
            map.remove(&k);
        }
    }
}

fn merge(plan: &mut Plan, staged: Plan) {
    plan.households.extend(staged.households);
    plan.tokens.extend(staged.tokens);
    plan.residents.extend(staged.residents);
    plan.rules.extend(staged.rules);
    plan.new_items.extend(staged.new_items);
    plan.item_updates.extend(staged.item_updates);
    plan.entries.extend(staged.entries);
    plan.overdrafts.extend(staged.overdrafts);
    plan.redemptions.extend(staged.redemptions);
    plan.voucher_updates.extend(staged.voucher_updates);
    plan.double_settlements.extend(staged.double_settlements);
    plan.moves.extend(staged.moves);
    plan.kiosks.extend(staged.kiosks);
    plan.clerk_actions.extend(staged.clerk_actions);
    plan.evidence.extend(staged.evidence);
    plan.disputes.extend(staged.disputes);
}

fn apply_event(state: &mut State, out: &mut Plan, origin: &Origin, event: &SyncEvent) -> Applied {
    if !EVENT_KINDS.contains(&event.kind.as_str()) {
        return Err(waits(format!(
            "this jifen does not know events of kind '{}' (a newer version sent it)",
            event.kind
        )));
    }
    let mut changed = false;
    for record in &event.records {
        if let Origin::Kiosk(kiosk) = origin {
            authority::check(&state.s, kiosk, event, record)?;
        }
        changed |= match record {
            Record::Household(h) => household(state, out, origin, h)?,
            Record::Entry(e) => entry(state, out, e)?,
            Record::Rule(r) => rule(state, out, origin, r)?,
            Record::Item(i) => item(state, out, i)?,
            Record::Redemption(r) => redemption(state, out, r)?,
            Record::Voucher(v) => voucher(state, out, v)?,
            Record::StockMove(m) => stock_move(state, out, m)?,
            Record::Kiosk(k) => kiosk(state, out, k)?,
            Record::QrCard(c) => qr_card(state, out, c)?,
            Record::ClerkAction(a) => {
                if state.s.clerk_actions.insert(a.id) {
                    state.undo.push(Undo::ClerkAction(a.id));
                    out.clerk_actions.push(a.clone());
                    true
                } else {
                    false
                }
            }
            Record::Evidence(e) => evidence(state, out, e)?,
            Record::Dispute(d) => dispute(state, out, d)?,
            Record::Unknown(kind) => {
                return Err(waits(format!(
                    "this jifen does not know records of type '{kind}' (a newer version sent it)"
                )))
            }
        };
    }
    Ok(changed)
}

fn household(state: &mut State, out: &mut Plan, origin: &Origin, h: &HouseholdRecord) -> Applied {
    let from_kiosk = matches!(origin, Origin::Kiosk(_));
    let forbid = || -> Refusal {
        Forbidden(format!(
            "household {}: a kiosk may not register or change households; the township registers them",
            h.code
        ))
        .into()
    };
    let mut changed = false;
    let current = state.s.households.get(&h.code).cloned();
    match &current {
        None if from_kiosk => return Err(forbid()),
        None => {
            state.set_household(
                &h.code,
                HouseholdState {
                    grid: h.grid.clone(),
                    qr_token: None,
                    balance: 0,
                },
            );
            out.households.push((h.code.clone(), h.grid.clone()));
            changed = true;
        }
        Some(row) if row.grid != h.grid => {
            return Err(waits(format!(
                "household {} is in grid '{}' here but '{}' there",
                h.code, row.grid, h.grid
            )))
        }
        Some(_) => {}
    }
    if let Some(token) = &h.qr_token {
        match state.s.tokens.get(token) {
            Some(owner) if *owner == h.code => {}
            Some(owner) => {
                return Err(waits(format!(
                    "QR card of household {} is already given to household {owner}",
                    h.code
                )))
            }
            None if from_kiosk => return Err(forbid()),
            None => {
                set_qr_token(state, out, &h.code, token);
                changed = true;
            }
        }
    }
    for r in &h.residents {
        match state.s.residents.get(&r.id_hash) {
            Some(owner) if *owner == h.code => {}
            Some(owner) => {
                return Err(waits(format!(
                    "a resident of household {} ({}) is registered in household {owner}",
                    h.code, r.resident.id_last4
                )))
            }
            None if from_kiosk => return Err(forbid()),
            None => {
                state.s.residents.insert(r.id_hash.clone(), h.code.clone());
                state.undo.push(Undo::Resident(r.id_hash.clone()));
                out.residents.push((h.code.clone(), r.clone()));
                changed = true;
            }
        }
    }
    Ok(changed)
}

/// Gives a household a new QR token; its old one stops opening the account.
fn set_qr_token(state: &mut State, out: &mut Plan, household: &str, token: &str) {
    let Some(mut row) = state.s.households.get(household).cloned() else {
        return;
    };
    if let Some(old) = row.qr_token.take() {
        state.set_token(&old, None);
    }
    state.set_token(token, Some(household.to_string()));
    row.qr_token = Some(token.to_string());
    state.set_household(household, row);
    out.tokens.push((household.to_string(), token.to_string()));
}

fn entry(state: &mut State, out: &mut Plan, r: &EntryRecord) -> Applied {
    let e = &r.entry;
    if state.s.foreign.contains(&e.id.to_string()) {
        return Err(waits(format!("ledger entry id {} belongs to another village", e.id)));
    }
    let Some(mut household) = state.s.households.get(&e.household).cloned() else {
        return Err(waits(format!("unknown household {}", e.household)));
    };
    if let Some(rule) = &e.rule_code {
        if !state.s.rules.contains_key(rule) {
            return Err(waits(format!("unknown rule {rule}")));
        }
    }
    // Known by id, or as the same sheet row imported on both sides under another id.
    if state.s.entries.contains_key(&e.id) || r.dedupe_key.as_ref().is_some_and(|k| state.s.dedupe_keys.contains(k)) {
        return Ok(false);
    }
    if let Some(corrected) = e.corrects {
        if !state.s.entries.contains_key(&corrected) {
            return Err(waits(format!(
                "entry {} corrects entry {corrected}, which is not here",
                e.id
            )));
        }
    }
    state.s.entries.insert(
        e.id,
        EntryFacts {
            id: e.id,
            household: e.household.clone(),
            delta: e.delta,
            kind: e.kind,
            rule_code: e.rule_code.clone(),
            corrects: e.corrects,
        },
    );
    state.undo.push(Undo::Entry(e.id));
    if let Some(k) = &r.dedupe_key {
        state.s.dedupe_keys.insert(k.clone());
        state.undo.push(Undo::DedupeKey(k.clone()));
    }
    household.balance += e.delta;
    let balance = household.balance;
    state.set_household(&e.household, household);
    out.entries.push(r.clone());
    if e.delta < 0 && balance < 0 {
        out.overdrafts.push(Overdraft {
            entry: e.id,
            household: e.household.clone(),
            balance_after: balance,
        });
    }
    Ok(true)
}

/// A photo on an entry: once per id, and only on an entry held here.
fn evidence(state: &mut State, out: &mut Plan, e: &EvidenceRecord) -> Applied {
    if state.s.evidence.contains(&e.id) {
        return Ok(false);
    }
    if !state.s.entries.contains_key(&e.entry) {
        return Err(waits(format!(
            "photo {} is on entry {}, which is not here",
            e.id, e.entry
        )));
    }
    state.s.evidence.insert(e.id);
    state.undo.push(Undo::Evidence(e.id));
    out.evidence.push(e.clone());
    Ok(true)
}

/// A dispute opened, or its answer. One open dispute per entry: the same question asked
/// again (at another kiosk, under another id) is the one already recorded.
fn dispute(state: &mut State, out: &mut Plan, d: &DisputeRecord) -> Applied {
    let Some(entry) = state.s.entries.get(&d.entry) else {
        return Err(waits(format!(
            "dispute {} is about entry {}, which is not here",
            d.id, d.entry
        )));
    };
    if entry.household != d.household {
        return Err(waits(format!(
            "dispute {} names household {}, but entry {} is household {}'s",
            d.id, d.household, d.entry, entry.household
        )));
    }
    if let Some(correction) = d.outcome.as_ref().and_then(|o| o.correction) {
        match state.s.entries.get(&correction) {
            Some(c) if c.corrects == Some(d.entry) => {}
            _ => {
                return Err(waits(format!(
                    "dispute {}: its correction {correction} is not here or corrects another entry",
                    d.id
                )))
            }
        }
    }
    let known = state.s.disputes.get(&d.id).copied();
    let answered = d.outcome.is_some();
    match known {
        Some(true) => return Ok(false),
        Some(false) if !answered => return Ok(false),
        None if !answered && state.s.open_disputes.contains_key(&d.entry) => return Ok(false),
        _ => {}
    }
    let old = state.s.disputes.insert(d.id, answered);
    state.undo.push(Undo::Dispute(d.id, old));
    let old_open = state.s.open_disputes.get(&d.entry).copied();
    if !answered {
        state.s.open_disputes.insert(d.entry, d.id);
    } else if old_open == Some(d.id) {
        state.s.open_disputes.remove(&d.entry);
    }
    state.undo.push(Undo::OpenDispute(d.entry, old_open));
    out.disputes.push(d.clone());
    Ok(true)
}

fn rule(state: &mut State, out: &mut Plan, origin: &Origin, rule: &RuleItem) -> Applied {
    if state.s.rules.get(&rule.code) == Some(rule) {
        return Ok(false);
    }
    if matches!(origin, Origin::Kiosk(_)) {
        return Err(Forbidden(format!("rule {}: a kiosk may not change the rules", rule.code)).into());
    }
    let old = state.s.rules.insert(rule.code.clone(), rule.clone());
    state.undo.push(Undo::Rule(rule.code.clone(), old));
    out.rules.push(rule.clone());
    Ok(true)
}

fn item(state: &mut State, out: &mut Plan, item: &CatalogueItem) -> Applied {
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

fn redemption(state: &mut State, out: &mut Plan, r: &RedemptionRecord) -> Applied {
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

fn voucher(state: &mut State, out: &mut Plan, v: &VoucherRecord) -> Applied {
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

fn stock_move(state: &mut State, out: &mut Plan, m: &StockMove) -> Applied {
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

fn kiosk(state: &mut State, out: &mut Plan, k: &KioskRecord) -> Applied {
    if state.s.kiosks.get(&k.device) == Some(k) {
        return Ok(false);
    }
    if let Some(other) = state
        .s
        .kiosks
        .values()
        .find(|o| o.number == k.number && o.device != k.device)
    {
        return Err(waits(format!(
            "kiosk number {} is already {} here, not {}",
            k.number, other.device, k.device
        )));
    }
    let old = state.s.kiosks.insert(k.device.clone(), k.clone());
    state.undo.push(Undo::Kiosk(k.device.clone(), old));
    out.kiosks.push(k.clone());
    Ok(true)
}

fn qr_card(state: &mut State, out: &mut Plan, c: &QrCardRecord) -> Applied {
    let Some(row) = state.s.households.get(&c.household) else {
        return Err(waits(format!("unknown household {}", c.household)));
    };
    if row.qr_token.as_deref() == Some(c.token.as_str()) {
        return Ok(false);
    }
    if let Some(owner) = state.s.tokens.get(&c.token) {
        return Err(waits(format!(
            "the new QR card of household {} is already given to household {owner}",
            c.household
        )));
    }
    set_qr_token(state, out, &c.household, &c.token);
    Ok(true)
}
