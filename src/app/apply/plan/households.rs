//! Decisions on households, their QR cards, rules and the village's kiosks.

use super::super::authority::Forbidden;
use super::super::{HouseholdState, Origin, Plan};
use super::{waits, Applied, Refusal, State, Undo};
use crate::domain::kiosk::KioskRecord;
use crate::domain::records::{HouseholdRecord, QrCardRecord};
use crate::domain::rules::RuleItem;

pub(super) fn household(state: &mut State, out: &mut Plan, origin: &Origin, h: &HouseholdRecord) -> Applied {
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
pub(super) fn set_qr_token(state: &mut State, out: &mut Plan, household: &str, token: &str) {
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

pub(super) fn qr_card(state: &mut State, out: &mut Plan, c: &QrCardRecord) -> Applied {
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

pub(super) fn rule(state: &mut State, out: &mut Plan, origin: &Origin, rule: &RuleItem) -> Applied {
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

pub(super) fn kiosk(state: &mut State, out: &mut Plan, k: &KioskRecord) -> Applied {
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
