//! The township's side of sync on SQLite: a village database receiving its kiosks'
//! pushed events and serving its change feed. The village's outbox is the feed; its
//! positions are assigned under SQLite's write lock, so a position is never visible
//! before every lower one is committed.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::apply::{self, receive, Candidate, KioskIdentity, Needs, Origin};
use super::sync::set_aside_row;
use super::{App, AppError, ChangePage, IncomingEvent, ReceiveOutcome, Refusal, Result};
use crate::domain::catalogue::{CatalogueItem, StockMoveReason};
use crate::domain::funds::{FundCost, ItemCostRecord, SponsorRecord};
use crate::domain::kiosk::KioskRecord;
use crate::domain::money::Fen;
use crate::domain::records::{EntryRecord, HouseholdRecord, QrCardRecord, Record, SyncEvent};
use crate::store::{
    DoubleSettlementRow, OutboxRow, OverdraftRow, ReceivedRow, SetAsideRow, StoreError, Tx, VillageSummary,
};

impl App {
    /// Township: applies a kiosk's pushed batch. Events are taken in sequence order from
    /// the one after the last held; a retry is skipped, a gap stops the batch (the rest
    /// comes again later), an id or sequence number reused with other content stops it
    /// refused. Each event taken is applied or, when it cannot be, set aside with its
    /// reason; either way it is held, and the batch goes on.
    pub fn receive_events(&mut self, device: &str, batch: &[IncomingEvent]) -> Result<ReceiveOutcome> {
        let now = self.clock.now();
        let mut sorted: Vec<&IncomingEvent> = batch.iter().collect();
        sorted.sort_by_key(|e| e.event.seq);
        self.merit_cache = None;
        let village = self.village.code.clone();
        self.store.write(|tx| {
            let kiosk = kiosk_identity(tx, &village, device)?;
            let last = tx.last_received_seq(device)?;
            let mut seen = HashMap::new();
            for e in &sorted {
                if let Some(row) = tx.received_event(&e.event.id.to_string(), device, e.event.seq)? {
                    seen.insert((e.event.id.to_string(), e.event.seq), row);
                }
            }
            let admitted = receive::admit(device, last, &sorted, |id, seq| {
                seen.get(&(id.to_string(), seq)).cloned()
            });
            let taken: Vec<&IncomingEvent> = admitted.new.iter().map(|&i| sorted[i]).collect();
            let plan = apply_from_kiosk(tx, &kiosk, &taken, false, now)?;
            for e in &taken {
                tx.record_received(
                    &ReceivedRow {
                        id: e.event.id.to_string(),
                        device: device.to_string(),
                        seq: e.event.seq,
                        digest: e.digest.clone(),
                    },
                    &e.event.kind,
                    now,
                )?;
            }
            let set_aside: Vec<Refusal> = plan
                .set_aside
                .iter()
                .map(|s| Refusal {
                    seq: taken[s.index].event.seq,
                    reason: s.reason.clone(),
                })
                .collect();
            let forbidden = plan.set_aside.iter().find(|s| s.forbidden).map(|s| Refusal {
                seq: taken[s.index].event.seq,
                reason: s.reason.clone(),
            });
            Ok(ReceiveOutcome {
                acked_through: admitted.acked_through,
                applied: plan.applied.len(),
                refused: admitted.refused.or(forbidden),
                set_aside,
            })
        })
    }

    /// Township: tries the village's set-aside events again, oldest first. Returns how
    /// many applied now.
    pub fn retry_received(&mut self, decode: &dyn Fn(&str) -> Option<IncomingEvent>) -> Result<usize> {
        let now = self.clock.now();
        let village = self.village.code.clone();
        let released = self.store.write(|tx| {
            let rows = tx.set_aside_rows()?;
            let by_origin = super::sync::retries_by_origin(&rows, decode);
            let mut released = 0;
            for (origin, events) in &by_origin {
                let kiosk = kiosk_identity(tx, &village, origin)?;
                let refs: Vec<&IncomingEvent> = events.iter().collect();
                released += apply_from_kiosk(tx, &kiosk, &refs, true, now)?.applied.len();
            }
            Ok::<_, AppError>(released)
        })?;
        if released > 0 {
            self.merit_cache = None;
        }
        Ok(released)
    }

    /// Township: the village's change feed after `after`, without the echo of `device`'s
    /// own events.
    pub fn changes_after(&mut self, after: i64, limit: usize, device: &str) -> Result<ChangePage> {
        self.store.read(|tx| {
            let rows = tx.outbox_after(after, limit + 1, false, Some(device))?;
            let more = rows.len() > limit;
            let changes = rows
                .into_iter()
                .take(limit)
                .map(|row| expand(tx, row))
                .collect::<Result<Vec<_>>>()?;
            let next = changes.last().map_or(after, |c| c.seq);
            // Skipped echoes still move the cursor, so a kiosk does not ask for them again.
            let next = if more {
                next
            } else {
                next.max(tx.outbox_last_seq()?.max(after))
            };
            Ok(ChangePage { changes, next, more })
        })
    }

    /// The last position of this database's outbox (a township village's feed).
    pub fn feed_last(&mut self) -> Result<i64> {
        self.store.read(|tx| Ok(tx.outbox_last_seq()?))
    }

    /// Township: the highest sequence number of `device` this village holds.
    pub fn last_received_seq(&mut self, device: &str) -> Result<i64> {
        self.store.read(|tx| Ok(tx.last_received_seq(device)?))
    }

    /// Households flagged below zero by synced entries.
    pub fn overdrafts(&mut self) -> Result<Vec<OverdraftRow>> {
        self.store.read(|tx| Ok(tx.overdrafts()?))
    }

    /// Vouchers settled at two places (or settled after a void), for staff.
    pub fn double_settlements(&mut self) -> Result<Vec<DoubleSettlementRow>> {
        self.store.read(|tx| Ok(tx.double_settlements()?))
    }

    /// Events set aside here, with their reasons.
    pub fn set_aside_events(&mut self) -> Result<Vec<SetAsideRow>> {
        self.store.read(|tx| Ok(tx.set_aside_rows()?))
    }

    /// Township: records a kiosk of the village as the registry has it; when it changed,
    /// the feed carries it to the other kiosks (its number, voucher key, retirement).
    pub fn record_kiosk(&mut self, k: &KioskRecord) -> Result<bool> {
        let now = self.clock.now();
        self.store.write(|tx| {
            if tx.kiosks()?.iter().any(|have| have == k) {
                return Ok::<_, AppError>(false);
            }
            tx.upsert_kiosk(k)?;
            tx.append_event("kiosk_changed", &k.device, now)?;
            Ok(true)
        })
    }

    /// Township: the generation of this village's feed (made the first time it is asked).
    pub fn feed_generation(&mut self) -> Result<String> {
        self.store.write(|tx| {
            if let Some(g) = tx.setting(GENERATION)? {
                return Ok::<_, AppError>(g);
            }
            let g = new_generation();
            tx.set_setting(GENERATION, &g)?;
            Ok(g)
        })
    }

    /// Township: a new feed generation, after this database was restored from a backup.
    pub fn renew_feed_generation(&mut self) -> Result<String> {
        let g = new_generation();
        self.store
            .write(|tx| Ok::<_, AppError>(tx.set_setting(GENERATION, &g)?))?;
        Ok(g)
    }

    /// A consistent copy of this installation's database (a township backup).
    pub fn backup_into(&mut self, to: &std::path::Path) -> Result<()> {
        Ok(self.store.backup_into(to)?)
    }

    /// What this village holds, to compare a kiosk with the township.
    pub fn summary(&mut self) -> Result<VillageSummary> {
        self.store.read(|tx| {
            let mut entry_ids: Vec<uuid::Uuid> = tx.all_entries()?.into_iter().map(|e| e.id).collect();
            entry_ids.sort();
            let mut balances: Vec<(String, i64)> = tx.households()?.into_iter().map(|h| (h.code, h.balance)).collect();
            balances.sort();
            let mut voucher_states: Vec<(String, String)> = tx
                .vouchers(None)?
                .into_iter()
                .map(|v| (v.serial, summary_status(v.status).to_string()))
                .collect();
            voucher_states.sort();
            Ok(VillageSummary {
                vouchers: voucher_states.len() as i64,
                entry_ids,
                balances,
                voucher_states,
                shelves: tx.shelves()?,
                feed_last: tx.outbox_last_seq()?,
            })
        })
    }
}

/// A voucher's status as every side agrees on it: printing is the issuing kiosk's own
/// business, so pending and printed are both "outstanding".
fn summary_status(s: crate::domain::voucher::VoucherStatus) -> &'static str {
    if s.is_outstanding() {
        "outstanding"
    } else {
        s.key()
    }
}

/// The feed generation's setting (a township village database).
const GENERATION: &str = "feed.generation";

/// The pushing kiosk as this village database knows it (its `kiosks` row).
fn kiosk_identity(tx: &Tx, village: &str, device: &str) -> Result<KioskIdentity> {
    let kiosk = tx.kiosks()?.into_iter().find(|k| k.device == device);
    Ok(KioskIdentity {
        device: device.to_string(),
        village: village.to_string(),
        number: kiosk.as_ref().map(|k| k.number),
        voucher_key: kiosk.as_ref().and_then(|k| k.voucher_key),
        legacy_serials: kiosk.as_ref().is_some_and(|k| k.legacy_serials),
    })
}

/// Applies a kiosk's events (new, or set aside before), relays what changed into the
/// feed for the village's other kiosks, and keeps what cannot be applied.
fn apply_from_kiosk(
    tx: &Tx,
    kiosk: &KioskIdentity,
    events: &[&IncomingEvent],
    retry: bool,
    now: DateTime<Utc>,
) -> Result<apply::Plan> {
    if events.is_empty() {
        return Ok(apply::Plan::default());
    }
    let snapshot = apply::sqlite::load(tx, &Needs::of(events.iter().map(|e| &e.event)))?;
    let candidates: Vec<Candidate> = events.iter().map(|e| Candidate { event: &e.event, retry }).collect();
    let plan = apply::plan(snapshot, &Origin::Kiosk(Box::new(kiosk.clone())), &candidates);
    apply::sqlite::write(tx, &plan, now)?;
    for &i in &plan.changed {
        let e = &events[i].event;
        tx.append_relayed_event(&e.kind, &e.subject, &kiosk.device, now)?;
    }
    if retry {
        for &i in &plan.applied {
            tx.release_set_aside(&events[i].event.id.to_string())?;
        }
    }
    for s in &plan.set_aside {
        tx.set_aside(&set_aside_row(events[s.index], Some(&kiosk.device), s), now)?;
    }
    Ok(plan)
}

/// Expands an outbox row into the records that reproduce it elsewhere.
pub(super) fn expand(tx: &Tx, row: OutboxRow) -> Result<SyncEvent> {
    let missing = |what: &str| {
        AppError::from(StoreError::Corrupt(format!(
            "outbox event {} names {what} {} that does not exist",
            row.seq, row.subject
        )))
    };
    let entry = |id: &str| -> Result<Record> {
        let uuid = uuid::Uuid::parse_str(id).map_err(|_| missing("ledger entry"))?;
        let (entry, dedupe_key) = tx.entry_with_key(uuid)?.ok_or_else(|| missing("ledger entry"))?;
        Ok(Record::Entry(EntryRecord { entry, dedupe_key }))
    };
    let moves = |reference: &str, reason: StockMoveReason| -> Result<Vec<Record>> {
        Ok(tx
            .stock_moves_for(reference, reason)?
            .into_iter()
            .map(Record::StockMove)
            .collect())
    };
    let records = match row.kind.as_str() {
        "ledger_entry" => vec![entry(&row.subject)?],
        "household_changed" => {
            let h = tx.household_row(&row.subject)?.ok_or_else(|| missing("household"))?;
            vec![Record::Household(HouseholdRecord {
                residents: tx.residents_with_hashes(&h.code)?,
                code: h.code,
                grid: h.grid,
                qr_token: h.qr_token,
            })]
        }
        "qr_card_issued" => {
            let h = tx.household_row(&row.subject)?.ok_or_else(|| missing("household"))?;
            let token = h.qr_token.ok_or_else(|| missing("QR card of household"))?;
            vec![Record::QrCard(QrCardRecord {
                household: h.code,
                token,
                issued_by: String::new(),
                issued_at: row.created_at,
            })]
        }
        "rule_changed" => vec![Record::Rule(tx.rule(&row.subject)?.ok_or_else(|| missing("rule"))?)],
        "catalogue_changed" => {
            let item = tx.item(&row.subject)?.ok_or_else(|| missing("item"))?;
            let cost = tx.item_cost(&item.code)?.map(|(sponsor, fen)| FundCost {
                sponsor,
                amount: Fen(fen),
            });
            let sponsor = match &cost {
                Some(c) => Some(
                    tx.sponsor_record(&c.sponsor)?
                        .ok_or_else(|| missing("sponsor of item"))?,
                ),
                None => None,
            };
            item_records(item, cost, sponsor)
        }
        "sponsor_added" => vec![Record::Sponsor(
            tx.sponsor_record(&row.subject)?.ok_or_else(|| missing("sponsor"))?,
        )],
        "sponsor_funded" => {
            let r = tx.fund_receipt(&row.subject)?.ok_or_else(|| missing("gift"))?;
            let sponsor = tx
                .sponsor_record(&r.sponsor)?
                .ok_or_else(|| missing("sponsor of gift"))?;
            vec![Record::Sponsor(sponsor), Record::FundReceipt(r)]
        }
        "voucher_delivered" => vec![Record::Proxy(
            tx.proxy_redemption(&row.subject)?
                .ok_or_else(|| missing("proxy redemption"))?,
        )],
        "stock_moved" => vec![Record::StockMove(
            tx.stock_move(&row.subject)?.ok_or_else(|| missing("stock move"))?,
        )],
        "kiosk_changed" => vec![Record::Kiosk(
            tx.kiosks()?
                .into_iter()
                .find(|k| k.device == row.subject)
                .ok_or_else(|| missing("kiosk"))?,
        )],
        "clerk_action" => vec![Record::ClerkAction(
            tx.clerk_action(&row.subject)?.ok_or_else(|| missing("clerk action"))?,
        )],
        "redemption" => {
            let mut r = tx
                .redemption_record(&row.subject)?
                .ok_or_else(|| missing("redemption"))?;
            r.voucher = r.voucher.as_issued();
            let mut records = vec![entry(&r.ledger_id)?];
            let taken = moves(&r.id, StockMoveReason::Redemption)?;
            let proxy = tx.proxy_redemption(&r.voucher.serial)?;
            records.push(Record::Redemption(r));
            records.extend(taken);
            records.extend(proxy.map(|p| Record::Proxy(p.as_redeemed())));
            records
        }
        "voucher_settled" => {
            let v = tx.voucher_record(&row.subject)?.ok_or_else(|| missing("voucher"))?;
            vec![Record::Voucher(v)]
        }
        "voucher_voided" => {
            let v = tx.voucher_record(&row.subject)?.ok_or_else(|| missing("voucher"))?;
            let redemption = tx.voucher(&v.serial)?.map(|r| r.redemption_id);
            let mut records = Vec::new();
            if let Some(refund) = &v.refund_ledger_id {
                records.push(entry(refund)?);
            }
            records.push(Record::Voucher(v));
            if let Some(id) = redemption {
                records.extend(moves(&id, StockMoveReason::Void)?);
            }
            records
        }
        "evidence_added" => {
            let id = uuid::Uuid::parse_str(&row.subject).map_err(|_| missing("ledger entry"))?;
            tx.evidence_of_entry(id)?.into_iter().map(Record::Evidence).collect()
        }
        "dispute_opened" | "dispute_resolved" => {
            let id = uuid::Uuid::parse_str(&row.subject).map_err(|_| missing("dispute"))?;
            let mut d = tx.dispute(id)?.ok_or_else(|| missing("dispute"))?;
            let mut records = Vec::new();
            if row.kind == "dispute_opened" {
                // The opening as it was; the answer travels in an event of its own.
                d.outcome = None;
            } else if let Some(c) = d.outcome.as_ref().and_then(|o| o.correction) {
                records.push(entry(&c.to_string())?);
            }
            records.push(Record::Dispute(d));
            records
        }
        other => return Err(missing(&format!("unknown kind {other}"))),
    };
    Ok(SyncEvent {
        id: row.id,
        seq: row.seq,
        kind: row.kind,
        subject: row.subject,
        created_at: row.created_at,
        records,
    })
}

/// A `catalogue_changed` event's records on either engine: the item, what a unit costs
/// its fund (or that none pays), and before them that fund's sponsor, so the cost never
/// waits for a sponsor named in an earlier event.
pub(crate) fn item_records(item: CatalogueItem, cost: Option<FundCost>, sponsor: Option<SponsorRecord>) -> Vec<Record> {
    let item_code = item.code.clone();
    let mut records: Vec<Record> = sponsor.into_iter().map(Record::Sponsor).collect();
    records.push(Record::Item(item));
    records.push(Record::ItemCost(ItemCostRecord { item_code, cost }));
    records
}

/// A new feed generation (after a restore, or for a new village).
fn new_generation() -> String {
    uuid::Uuid::now_v7().to_string()
}
