//! Decisions on ledger entries, their photos and disputes.

use super::super::{Overdraft, Plan};
use super::{waits, Applied, State, Undo};
use crate::domain::evidence::{DisputeRecord, EvidenceRecord};
use crate::domain::records::EntryRecord;
use crate::store::EntryFacts;

pub(super) fn entry(state: &mut State, out: &mut Plan, r: &EntryRecord) -> Applied {
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
pub(super) fn evidence(state: &mut State, out: &mut Plan, e: &EvidenceRecord) -> Applied {
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
pub(super) fn dispute(state: &mut State, out: &mut Plan, d: &DisputeRecord) -> Applied {
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
