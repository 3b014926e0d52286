//! What a kiosk may originate (DESIGN.md §9): redemptions, settlements, voids, stock moves
//! on its own shelf, catalogue edits, QR cards issued anew, sponsors' gifts and items'
//! costs, deliveries of proxy redemptions, and clerks' awards within a rule's points —
//! each for its own village. A stolen box, or one whose software was changed, can push
//! nothing else: the township sets such an event aside, never applies
//! it, and shows it to staff.

use uuid::Uuid;

use super::{KioskIdentity, Snapshot};
use crate::domain::catalogue::StockMoveReason;
use crate::domain::ledger::EntryKind;
use crate::domain::records::{Record, SyncEvent};
use crate::domain::rules::{RuleItem, RuleKind};
use crate::domain::voucher::{Serial, VoucherPayload, VoucherStatus};

/// A kiosk overstepped its authority; the words say how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Forbidden(pub String);

/// Whether an award or deduction of `delta` under `rule` is one a clerk may record: the
/// sign the rule gives and at most the rule's points. The kiosk checks it before writing,
/// and the township checks it again for every entry a kiosk pushes.
pub fn award_within_rule(rule: &RuleItem, kind: EntryKind, delta: i64) -> Result<(), String> {
    let sign_ok = match (rule.kind, kind) {
        (RuleKind::Bonus, EntryKind::Award) => delta > 0,
        (RuleKind::Deduction, EntryKind::Deduction) => delta < 0,
        _ => false,
    };
    if !sign_ok {
        return Err(format!(
            "rule {} is a {} item; an entry of {delta:+} does not fit it",
            rule.code,
            if rule.kind == RuleKind::Bonus {
                "bonus"
            } else {
                "deduction"
            }
        ));
    }
    if delta.abs() > rule.points {
        return Err(format!(
            "rule {} gives at most {} points at a time, not {}",
            rule.code,
            rule.points,
            delta.abs()
        ));
    }
    Ok(())
}

/// Checks one record of a kiosk's event before it is applied.
pub(super) fn check(s: &Snapshot, kiosk: &KioskIdentity, event: &SyncEvent, record: &Record) -> Result<(), Forbidden> {
    let no = |why: String| Err(Forbidden(why));
    match record {
        // Households and rules: only what the township already holds (a no-op) passes;
        // the apply step refuses any change. Township records are never a kiosk's.
        Record::Household(_) | Record::Rule(_) | Record::Unknown(_) => Ok(()),
        Record::Kiosk(k) => no(format!("kiosk {}: a kiosk may not register or retire kiosks", k.device)),
        Record::Item(_) | Record::QrCard(_) => Ok(()),
        // A village's sponsors, their gifts and items' costs are the clerks' to record at
        // a kiosk (each in the clerks' action log); a proxy redemption comes with its
        // redemption, a delivery is confirmed at any kiosk of the village.
        Record::Sponsor(_) | Record::FundReceipt(_) | Record::ItemCost(_) | Record::Proxy(_) => Ok(()),
        Record::ClerkAction(a) if a.device != kiosk.device => no(format!(
            "clerk action {}: a kiosk reports only what was done at it",
            a.id
        )),
        Record::ClerkAction(_) => Ok(()),
        // A clerk's photos on an entry of the village: the plan checks the entry is here.
        Record::Evidence(_) => Ok(()),
        Record::Dispute(d) if d.outcome.is_some() => no(format!(
            "dispute {}: a kiosk may not answer disputes; the township answers them",
            d.id
        )),
        Record::Dispute(d) if d.device != kiosk.device => no(format!(
            "dispute {}: a kiosk reports only the disputes opened at it",
            d.id
        )),
        Record::Dispute(_) => Ok(()),
        Record::Entry(r) => entry(s, event, &r.entry),
        Record::Redemption(r) => {
            let serial: Serial = r
                .voucher
                .serial
                .parse()
                .map_err(|e| Forbidden(format!("redemption {}: {e}", r.id)))?;
            if serial.village() != kiosk.village {
                return no(format!(
                    "serial {serial} is not of village {}, where this kiosk stands",
                    kiosk.village
                ));
            }
            match (serial.kiosk(), kiosk.number) {
                (Some(n), Some(own)) if n == own => {}
                (None, _) if kiosk.legacy_serials => {}
                _ => {
                    return no(format!(
                        "serial {serial} is not one this kiosk (number {}) may print",
                        kiosk.number.map_or("none".to_string(), |n| n.to_string())
                    ))
                }
            }
            let Some(key) = &kiosk.voucher_key else {
                return no("this kiosk has not told the township the key its vouchers are signed with".into());
            };
            let payload = VoucherPayload::verify(&r.voucher.qr_payload, key)
                .map_err(|e| Forbidden(format!("voucher {serial}: {e}")))?;
            if payload.serial != serial || payload.item_code != r.item_code || payload.points != r.points {
                return no(format!(
                    "voucher {serial}: its QR code says something else than the redemption"
                ));
            }
            if r.voucher.status.is_outstanding() {
                Ok(())
            } else {
                no(format!("voucher {serial} arrives already {}", r.voucher.status.key()))
            }
        }
        Record::Voucher(v) => match v.status {
            VoucherStatus::Settled if v.settled_device.as_deref() != Some(kiosk.device.as_str()) => no(format!(
                "voucher {}: a kiosk reports only its own settlements",
                v.serial
            )),
            _ => Ok(()),
        },
        Record::StockMove(m) => {
            if m.holder != kiosk.device {
                return no(format!(
                    "stock move {}: a kiosk moves only the goods on its own shelf, not {}'s",
                    m.id, m.holder
                ));
            }
            let reference = m.reference.as_deref().unwrap_or("");
            match m.reason {
                StockMoveReason::Initial | StockMoveReason::Restock => Ok(()),
                StockMoveReason::Redemption => {
                    let matches = event.records.iter().any(|rec| {
                        matches!(rec, Record::Redemption(r) if r.id == reference && r.qty == -m.delta && r.item_code == m.item_code)
                    });
                    if matches {
                        Ok(())
                    } else {
                        no(format!(
                            "stock move {}: no redemption in its event takes these goods",
                            m.id
                        ))
                    }
                }
                StockMoveReason::Void => {
                    let voided = event.records.iter().any(|rec| {
                        matches!(rec, Record::Voucher(v) if v.status == VoucherStatus::Void
                            && s.vouchers.get(&v.serial).is_some_and(|cur| cur.redemption_id == reference
                                && cur.qty == m.delta && cur.item_code == m.item_code))
                    });
                    if voided {
                        Ok(())
                    } else {
                        no(format!(
                            "stock move {}: no void in its event gives these goods back",
                            m.id
                        ))
                    }
                }
            }
        }
    }
}

fn entry(s: &Snapshot, event: &SyncEvent, e: &crate::domain::ledger::LedgerEntry) -> Result<(), Forbidden> {
    let no = |why: String| Err(Forbidden(format!("entry {}: {why}", e.id)));
    if e.recorded_by.trim().is_empty() {
        return no("an entry from a kiosk must name the clerk who recorded it".into());
    }
    match e.kind {
        EntryKind::Award | EntryKind::Deduction => {
            let Some(rule) = e.rule_code.as_ref().and_then(|c| s.rules.get(c)) else {
                return no("a clerk's award or deduction must name a rule of the village".into());
            };
            award_within_rule(rule, e.kind, e.delta).or_else(no)
        }
        EntryKind::Correction => {
            let Some(original) = e.corrects.and_then(|id| s.entries.get(&id)) else {
                return no("a correction must name an entry the township holds".into());
            };
            if original.household != e.household || !original.kind.is_merit() {
                return no("a correction must correct an award or deduction of the same household".into());
            }
            let limit = original
                .rule_code
                .as_ref()
                .and_then(|c| s.rules.get(c))
                .map_or(original.delta.abs(), |r| r.points);
            if e.delta.abs() > limit {
                return no(format!("a correction may move at most {limit} points here"));
            }
            Ok(())
        }
        EntryKind::Redemption => {
            let id = e.id.to_string();
            let ok = event.records.iter().any(|rec| {
                matches!(rec, Record::Redemption(r) if r.ledger_id == id && r.points == -e.delta && r.household == e.household)
            });
            if ok {
                Ok(())
            } else {
                no("a debit must come with the redemption it pays for".into())
            }
        }
        EntryKind::Refund => {
            let id = e.id.to_string();
            let ok = event.records.iter().any(|rec| match rec {
                Record::Voucher(v) if v.status == VoucherStatus::Void && v.refund_ledger_id.as_deref() == Some(&id) => {
                    s.vouchers.get(&v.serial).is_some_and(|cur| {
                        cur.points == e.delta
                            && cur.household == e.household
                            && Uuid::parse_str(&cur.ledger_id).ok() == e.corrects
                    })
                }
                _ => false,
            });
            if ok {
                Ok(())
            } else {
                no("a refund must come with the void of the voucher it refunds".into())
            }
        }
    }
}
