//! The decisions: event by event, record by record, against the snapshot as the earlier
//! events of the batch have changed it. An event whose record fails is undone whole and
//! set aside; the next event goes on.

mod funds;
mod goods;
mod households;
mod ledger;

use uuid::Uuid;

use super::authority::{self, Forbidden};
use super::{Candidate, HouseholdState, Origin, Plan, SetAside, Snapshot};
use crate::domain::catalogue::CatalogueItem;
use crate::domain::funds::FundCost;
use crate::domain::kiosk::KioskRecord;
use crate::domain::records::{Record, SyncEvent, EVENT_KINDS};
use crate::domain::rules::RuleItem;
use crate::store::VoucherFacts;
use funds::{fund_receipt, item_cost, proxy, sponsor};
use goods::{item, redemption, stock_move, voucher};
use households::{household, kiosk, qr_card, rule};
use ledger::{dispute, entry, evidence};

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
    Sponsor(String),
    FundReceipt(String),
    ItemCost(String, Option<FundCost>),
    Proxy(String, Option<bool>),
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
                Undo::Sponsor(k) => {
                    s.sponsors.remove(&k);
                }
                Undo::FundReceipt(k) => {
                    s.fund_receipts.remove(&k);
                }
                Undo::ItemCost(k, v) => restore(&mut s.item_costs, k, v),
                Undo::Proxy(k, v) => restore(&mut s.proxies, k, v),
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
    plan.sponsors.extend(staged.sponsors);
    plan.fund_receipts.extend(staged.fund_receipts);
    plan.item_costs.extend(staged.item_costs);
    plan.proxies.extend(staged.proxies);
    plan.deliveries.extend(staged.deliveries);
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
            Record::Sponsor(s) => sponsor(state, out, s)?,
            Record::FundReceipt(r) => fund_receipt(state, out, r)?,
            Record::ItemCost(c) => item_cost(state, out, c)?,
            Record::Proxy(p) => proxy(state, out, p)?,
            Record::Unknown(kind) => {
                return Err(waits(format!(
                    "this jifen does not know records of type '{kind}' (a newer version sent it)"
                )))
            }
        };
    }
    Ok(changed)
}
