//! The SQLite engine's side of the apply seam: a kiosk's database, or one village's
//! database at a township on SQLite. Loads a snapshot with the store's keyed lookups and
//! writes a plan with its row methods, in the caller's transaction.

use chrono::{DateTime, Utc};

use super::{HouseholdState, Needs, Plan, Snapshot};
use crate::domain::clock::china_time_text;
use crate::store::{DoubleSettlementRow, Result, Tx, VoucherFacts};

pub(crate) fn load(tx: &Tx, needs: &Needs) -> Result<Snapshot> {
    let mut s = Snapshot::default();
    let codes: Vec<String> = needs.households.iter().cloned().collect();
    for h in tx.household_states(&codes)? {
        if let Some(t) = &h.qr_token {
            s.tokens.insert(t.clone(), h.code.clone());
        }
        s.households.insert(
            h.code,
            HouseholdState {
                grid: h.grid,
                qr_token: h.qr_token,
                balance: h.balance,
            },
        );
    }
    for token in &needs.tokens {
        if let Some(owner) = tx.household_by_qr_token(token)? {
            s.tokens.insert(token.clone(), owner);
        }
    }
    for hash in &needs.id_hashes {
        if let Some(owner) = tx.household_of_resident(hash)? {
            s.residents.insert(hash.clone(), owner);
        }
    }
    s.rules = tx.rules()?.into_iter().map(|r| (r.code.clone(), r)).collect();
    s.items = tx.items()?.into_iter().map(|i| (i.code.clone(), i)).collect();
    s.shelves = tx
        .shelves()?
        .into_iter()
        .map(|(item, holder, stock)| ((item, holder), stock))
        .collect();
    let ids: Vec<uuid::Uuid> = needs.entry_ids.iter().copied().collect();
    for e in tx.entry_facts(&ids)? {
        s.entries.insert(e.id, e);
    }
    let keys: Vec<String> = needs.dedupe_keys.iter().cloned().collect();
    s.dedupe_keys.extend(tx.known_dedupe_keys(&keys)?);
    for id in &needs.redemption_ids {
        if tx.redemption_exists(id)? {
            s.redemptions.insert(id.clone());
        }
    }
    for serial in &needs.serials {
        if let Some(v) = tx.voucher(serial)? {
            s.vouchers.insert(
                v.serial.clone(),
                VoucherFacts {
                    serial: v.serial.clone(),
                    redemption_id: v.redemption_id,
                    status: v.status,
                    household: v.household,
                    item_code: v.item_code,
                    qty: v.qty,
                    points: v.points,
                    ledger_id: v.ledger_id,
                    settled_at: v.settled_at,
                    settled_merchant: v.settled_merchant,
                    settled_by: v.settled_by,
                    settled_device: v.settled_device,
                    refund_ledger_id: v.refund_ledger_id,
                },
            );
        }
    }
    for id in &needs.move_ids {
        if tx.stock_move_known(*id)? {
            s.moves.insert(*id);
        }
    }
    s.kiosks = tx.kiosks()?.into_iter().map(|k| (k.device.clone(), k)).collect();
    for id in &needs.clerk_action_ids {
        if tx.clerk_action_known(*id)? {
            s.clerk_actions.insert(*id);
        }
    }
    let ids: Vec<uuid::Uuid> = needs.evidence_ids.iter().copied().collect();
    s.evidence = tx.known_evidence(&ids)?;
    for id in &needs.dispute_ids {
        if let Some(d) = tx.dispute(*id)? {
            s.disputes.insert(d.id, d.outcome.is_some());
        }
    }
    let entries: Vec<uuid::Uuid> = needs.disputed_entries.iter().copied().collect();
    s.open_disputes = tx.open_disputes_of(&entries)?;
    s.sponsors = tx.sponsors()?.into_iter().map(|r| r.name).collect();
    let ids: Vec<String> = needs.fund_receipt_ids.iter().cloned().collect();
    s.fund_receipts = tx.known_fund_receipts(&ids)?;
    s.item_costs = tx.item_costs()?;
    for serial in &needs.proxy_serials {
        if let Some(p) = tx.proxy_redemption(serial)? {
            s.proxies.insert(p.serial, p.delivered_at.is_some());
        }
    }
    Ok(s)
}

pub(crate) fn write(tx: &Tx, plan: &Plan, now: DateTime<Utc>) -> Result<()> {
    for (code, grid) in &plan.households {
        tx.insert_household(code, grid, None, now)?;
    }
    for (code, token) in &plan.tokens {
        tx.set_household_qr_token(code, token)?;
    }
    for (code, r) in &plan.residents {
        tx.insert_resident(code, &r.resident, &r.id_hash)?;
    }
    for rule in &plan.rules {
        tx.upsert_rule(rule, now)?;
    }
    for item in &plan.new_items {
        tx.insert_item(item, now)?;
    }
    for item in &plan.item_updates {
        tx.update_item_details(item, now)?;
    }
    for sponsor in &plan.sponsors {
        tx.insert_sponsor(&sponsor.name, sponsor.note.as_deref(), sponsor.created_at)?;
    }
    for r in &plan.fund_receipts {
        tx.insert_sponsor_receipt(
            &r.id,
            &r.sponsor,
            r.amount.0,
            r.note.as_deref(),
            &r.recorded_by,
            r.received_on,
            r.created_at,
        )?;
    }
    for c in &plan.item_costs {
        let cost = c.cost.as_ref().map(|c| (c.sponsor.as_str(), c.amount.0));
        tx.set_item_cost(&c.item_code, cost, now)?;
    }
    let entries: Vec<_> = plan
        .entries
        .iter()
        .map(|e| (&e.entry, e.dedupe_key.as_deref()))
        .collect();
    tx.append_entries(&entries)?;
    for o in &plan.overdrafts {
        tx.flag_overdraft(&o.entry.to_string(), &o.household, o.balance_after, now)?;
    }
    for r in &plan.redemptions {
        tx.insert_synced_redemption(r)?;
        if let Some(fund) = &r.fund {
            tx.insert_fund_commitment(&r.id, &fund.sponsor, fund.amount.0)?;
        }
    }
    for p in &plan.proxies {
        tx.insert_synced_proxy(p)?;
    }
    for p in &plan.deliveries {
        if let (Some(at), Some(by)) = (p.delivered_at, p.delivered_by.as_deref()) {
            tx.mark_proxy_delivered(&p.serial, by, at)?;
        }
    }
    for v in &plan.voucher_updates {
        match (
            v.status,
            v.settled_at,
            v.settled_merchant.as_deref(),
            v.refund_ledger_id.as_deref(),
        ) {
            (crate::domain::voucher::VoucherStatus::Settled, Some(at), Some(merchant), _) => tx.mark_voucher_settled(
                &v.serial,
                merchant,
                v.settled_by.as_deref().unwrap_or(""),
                v.settled_device.as_deref(),
                at,
            )?,
            (crate::domain::voucher::VoucherStatus::Void, _, _, Some(refund)) => {
                tx.mark_voucher_void(&v.serial, v.void_reason.as_deref().unwrap_or(""), refund)?
            }
            _ => {}
        }
    }
    for d in &plan.double_settlements {
        tx.flag_double_settlement(&double_settlement_row(d, now))?;
    }
    for m in &plan.moves {
        tx.move_stock(m)?;
    }
    for k in &plan.kiosks {
        tx.upsert_kiosk(k)?;
    }
    for a in &plan.clerk_actions {
        tx.record_clerk_action(a)?;
    }
    for e in &plan.evidence {
        tx.insert_evidence(e)?;
    }
    for d in &plan.disputes {
        tx.upsert_dispute(d)?;
    }
    Ok(())
}

/// A double settlement as both engines store it.
pub(crate) fn double_settlement_row(d: &super::DoubleSettlement, now: DateTime<Utc>) -> DoubleSettlementRow {
    DoubleSettlementRow {
        serial: d.serial.clone(),
        kept_status: d.kept_status.key().to_string(),
        kept_device: d.kept_device.clone(),
        kept_by: d.kept_by.clone(),
        kept_at: d.kept_at.map(china_time_text),
        other_device: d.other_device.clone(),
        other_by: d.other_by.clone(),
        other_merchant: d.other_merchant.clone(),
        other_at: d.other_at.map(china_time_text),
        flagged_at: china_time_text(now),
    }
}
