//! The PostgreSQL engine's side of the apply seam: a snapshot of what a pushed batch
//! refers to, loaded with one query per kind of thing; the plan written with one
//! statement per table (the feed expanded for kiosks is `pg_feed.rs`).
//! What to apply is decided in `app::apply`, as on SQLite.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::app::apply::{self, Candidate, HouseholdState, KioskIdentity, Needs, Origin, Plan, Snapshot};
use crate::app::{IncomingEvent, ReceiveOutcome, Refusal};
use crate::domain::voucher::VoucherStatus;
use crate::store::pg::{PgError, PgTx};
use crate::store::{ReceivedRow, SetAsideRow};

/// Takes a kiosk's pushed batch in one transaction (the village's row lock held): which
/// events are new, then the same decisions as SQLite, then a dozen statements.
pub(super) async fn receive(
    tx: &PgTx<'_>,
    village: &str,
    device: &str,
    batch: &[IncomingEvent],
    now: DateTime<Utc>,
) -> Result<ReceiveOutcome, PgError> {
    let mut sorted: Vec<&IncomingEvent> = batch.iter().collect();
    sorted.sort_by_key(|e| e.event.seq);
    let last = tx.last_received_seq(device).await?;
    let ids: Vec<Uuid> = sorted.iter().map(|e| e.event.id).collect();
    let seqs: Vec<i64> = sorted.iter().map(|e| e.event.seq).collect();
    let seen = tx.received_for(device, &ids, &seqs).await?;
    let admitted = apply::receive::admit(device, last, &sorted, |id, seq| {
        seen.iter()
            .find(|r| r.id == id || (r.device == device && r.seq == seq))
            .cloned()
    });
    let taken: Vec<&IncomingEvent> = admitted.new.iter().map(|&i| sorted[i]).collect();
    let kiosk = identity(tx, village, device).await?;
    let plan = apply_from_kiosk(tx, village, &kiosk, &taken, false, now).await?;
    let rows: Vec<ReceivedRow> = taken
        .iter()
        .map(|e| ReceivedRow {
            id: e.event.id.to_string(),
            device: device.to_string(),
            seq: e.event.seq,
            digest: e.digest.clone(),
        })
        .collect();
    let received: Vec<(Uuid, &ReceivedRow, &str)> = taken
        .iter()
        .zip(&rows)
        .map(|(e, r)| (e.event.id, r, e.event.kind.as_str()))
        .collect();
    tx.record_received_batch(&received, now).await?;
    let refusal = |s: &apply::SetAside| Refusal {
        seq: taken[s.index].event.seq,
        reason: s.reason.clone(),
    };
    Ok(ReceiveOutcome {
        acked_through: admitted.acked_through,
        applied: plan.applied.len(),
        refused: admitted
            .refused
            .or_else(|| plan.set_aside.iter().find(|s| s.forbidden).map(refusal)),
        set_aside: plan.set_aside.iter().map(refusal).collect(),
    })
}

/// Tries the village's set-aside events again, oldest first.
pub(super) async fn retry(
    tx: &PgTx<'_>,
    village: &str,
    decode: &dyn Fn(&str) -> Option<IncomingEvent>,
    now: DateTime<Utc>,
) -> Result<usize, PgError> {
    let rows = tx.set_aside_rows(village).await?;
    let by_origin = crate::app::retries_by_origin(&rows, decode);
    let mut released = 0;
    for (origin, events) in &by_origin {
        let kiosk = identity(tx, village, origin).await?;
        let refs: Vec<&IncomingEvent> = events.iter().collect();
        released += apply_from_kiosk(tx, village, &kiosk, &refs, true, now)
            .await?
            .applied
            .len();
    }
    Ok(released)
}

async fn identity(tx: &PgTx<'_>, village: &str, device: &str) -> Result<KioskIdentity, PgError> {
    let d = tx.device(device).await?.filter(|d| d.village == village);
    Ok(KioskIdentity {
        device: device.to_string(),
        village: village.to_string(),
        number: d.as_ref().map(|d| d.number),
        voucher_key: d
            .as_ref()
            .and_then(|d| d.voucher_key.as_deref())
            .and_then(|k| crate::domain::kiosk::parse_public_key(k).ok()),
        legacy_serials: d.is_some_and(|d| d.legacy_serials),
    })
}

async fn apply_from_kiosk(
    tx: &PgTx<'_>,
    village: &str,
    kiosk: &KioskIdentity,
    events: &[&IncomingEvent],
    retry: bool,
    now: DateTime<Utc>,
) -> Result<Plan, PgError> {
    if events.is_empty() {
        return Ok(Plan::default());
    }
    let snapshot = load(tx, village, &Needs::of(events.iter().map(|e| &e.event))).await?;
    let candidates: Vec<Candidate> = events.iter().map(|e| Candidate { event: &e.event, retry }).collect();
    let plan = apply::plan(snapshot, &Origin::Kiosk(Box::new(kiosk.clone())), &candidates);
    write(tx, village, &plan, now).await?;
    let changed: Vec<(&str, String)> = plan
        .changed
        .iter()
        .map(|&i| (events[i].event.kind.as_str(), events[i].event.subject.clone()))
        .collect();
    tx.append_feed(village, &changed, Some(&kiosk.device), now).await?;
    if retry {
        let ids: Vec<Uuid> = plan.applied.iter().map(|&i| events[i].event.id).collect();
        tx.release_set_aside(village, &ids).await?;
    }
    for s in &plan.set_aside {
        let e = events[s.index];
        let row = SetAsideRow {
            id: e.event.id.to_string(),
            origin: Some(kiosk.device.clone()),
            seq: e.event.seq,
            kind: e.event.kind.clone(),
            subject: e.event.subject.clone(),
            reason: s.reason.clone(),
            forbidden: s.forbidden,
            first_at: String::new(),
            last_at: String::new(),
            tries: 1,
            raw: e.raw.clone(),
        };
        tx.set_aside(village, &row, now).await?;
    }
    Ok(plan)
}

/// What a batch refers to, in one query per kind of thing.
async fn load(tx: &PgTx<'_>, village: &str, needs: &Needs) -> Result<Snapshot, PgError> {
    let list = |set: &std::collections::BTreeSet<String>| set.iter().cloned().collect::<Vec<String>>();
    let mut s = Snapshot::default();
    for (code, grid, qr_token, balance) in tx.households_by_codes(village, &list(&needs.households)).await? {
        if let Some(t) = &qr_token {
            s.tokens.insert(t.clone(), code.clone());
        }
        s.households.insert(
            code,
            HouseholdState {
                grid,
                qr_token,
                balance,
            },
        );
    }
    s.tokens
        .extend(tx.households_by_tokens(village, &list(&needs.tokens)).await?);
    s.residents
        .extend(tx.residents_by_hashes(village, &list(&needs.id_hashes)).await?);
    s.rules = tx
        .rules(village)
        .await?
        .into_iter()
        .map(|r| (r.code.clone(), r))
        .collect();
    s.items = tx
        .items(village)
        .await?
        .into_iter()
        .map(|i| (i.code.clone(), i))
        .collect();
    s.shelves = tx
        .shelves(village)
        .await?
        .into_iter()
        .map(|(item, holder, stock)| ((item, holder), stock))
        .collect();
    let entry_ids: Vec<Uuid> = needs.entry_ids.iter().copied().collect();
    for (holder, e) in tx.entry_facts(&entry_ids).await? {
        if holder != village {
            s.foreign.insert(e.id.to_string());
            continue;
        }
        s.entries.insert(e.id, e);
    }
    s.dedupe_keys
        .extend(tx.known_dedupe_keys(village, &list(&needs.dedupe_keys)).await?);
    s.redemptions
        .extend(tx.known_redemptions(village, &list(&needs.redemption_ids)).await?);
    for v in tx.voucher_facts(village, &list(&needs.serials)).await? {
        s.vouchers.insert(v.serial.clone(), v);
    }
    let move_ids: Vec<Uuid> = needs.move_ids.iter().copied().collect();
    for (id, owner) in tx.known_moves(&move_ids).await? {
        if owner == village {
            s.moves.insert(id);
        } else {
            s.foreign.insert(id.to_string());
        }
    }
    let action_ids: Vec<Uuid> = needs.clerk_action_ids.iter().copied().collect();
    s.clerk_actions.extend(tx.known_clerk_actions(&action_ids).await?);
    for d in tx.devices().await?.into_iter().filter(|d| d.village == village) {
        s.kiosks.insert(d.id.clone(), super::kiosk_record(&d));
    }
    if !needs.evidence_ids.is_empty() {
        s.evidence = tx.known_evidence(&ids(&needs.evidence_ids)).await?;
    }
    if !needs.dispute_ids.is_empty() {
        s.disputes = tx.dispute_states(&ids(&needs.dispute_ids)).await?;
        s.open_disputes = tx.open_disputes_of(&ids(&needs.disputed_entries)).await?;
    }
    s.sponsors = tx.sponsor_names(village).await?;
    s.fund_receipts = tx.known_fund_receipts(village, &list(&needs.fund_receipt_ids)).await?;
    s.item_costs = tx.item_costs(village).await?;
    s.proxies = tx.proxy_states(village, &list(&needs.proxy_serials)).await?;
    Ok(s)
}

/// What a batch writes, one statement per table (rare records one by one).
async fn write(tx: &PgTx<'_>, village: &str, plan: &Plan, now: DateTime<Utc>) -> Result<(), PgError> {
    tx.insert_households(village, &plan.households, now).await?;
    tx.set_qr_tokens(village, &plan.tokens).await?;
    tx.insert_residents(village, &plan.residents).await?;
    for rule in &plan.rules {
        tx.upsert_rule(village, rule, now).await?;
    }
    for item in &plan.new_items {
        tx.insert_item(village, item, now).await?;
    }
    for item in &plan.item_updates {
        tx.update_item_details(village, item, now).await?;
    }
    tx.insert_sponsors(village, &plan.sponsors).await?;
    tx.insert_fund_receipts(village, &plan.fund_receipts).await?;
    tx.set_item_costs(village, &plan.item_costs, now).await?;
    for chunk in plan.entries.chunks(super::postgres::INSERT_CHUNK) {
        let rows: Vec<_> = chunk.iter().map(|e| (&e.entry, e.dedupe_key.as_deref())).collect();
        let added = tx.insert_entries(village, &rows).await?;
        if added.len() != rows.len() {
            return Err(PgError::Corrupt(
                "a planned ledger entry was already in the ledger".into(),
            ));
        }
    }
    let overdrafts: Vec<(Uuid, String, i64)> = plan
        .overdrafts
        .iter()
        .map(|o| (o.entry, o.household.clone(), o.balance_after))
        .collect();
    tx.flag_overdrafts(village, &overdrafts, now).await?;
    tx.insert_redemptions(village, &plan.redemptions).await?;
    tx.insert_fund_commitments(village, &plan.redemptions).await?;
    let settled: Vec<&crate::domain::records::VoucherRecord> = plan
        .voucher_updates
        .iter()
        .filter(|v| v.status == VoucherStatus::Settled)
        .collect();
    tx.settle_vouchers(village, &settled).await?;
    for v in plan.voucher_updates.iter().filter(|v| v.status == VoucherStatus::Void) {
        if let Some(refund) = &v.refund_ledger_id {
            tx.mark_voucher_void(village, &v.serial, v.void_reason.as_deref().unwrap_or(""), refund)
                .await?;
        }
    }
    for d in &plan.double_settlements {
        tx.flag_double_settlement(village, &apply::sqlite::double_settlement_row(d, now))
            .await?;
    }
    tx.move_stock_batch(village, &plan.moves).await?;
    tx.write_proxies(village, &plan.proxies, &plan.deliveries).await?;
    tx.insert_clerk_actions(village, &plan.clerk_actions).await?;
    tx.insert_evidence(village, &plan.evidence).await?;
    tx.upsert_disputes(village, &plan.disputes).await?;
    // Kiosk records come only from the township itself (its devices table), never a push.
    Ok(())
}

fn ids(set: &std::collections::BTreeSet<Uuid>) -> Vec<Uuid> {
    set.iter().copied().collect()
}
