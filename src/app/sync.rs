//! Sync use cases on both ends of the wire: a kiosk reading its outbox and applying
//! pulled pages, and a township village database receiving pushed events and serving its
//! change feed. Both ends apply records with the same idempotent code, so a page or a
//! batch delivered twice changes nothing the second time (DESIGN.md §5.6).

use chrono::{DateTime, Utc};

use super::{App, AppError, Result};
use crate::domain::catalogue::Stock;
use crate::domain::records::{EntryRecord, HouseholdRecord, Record, RedemptionRecord, SyncEvent, VoucherRecord};
use crate::domain::voucher::VoucherStatus;
use crate::store::{OutboxRow, OverdraftRow, ReceivedRow, StockMoveReason, StoreError, Tx};

/// A pushed event with the digest of its identity (id, sequence, kind, subject, time),
/// computed by the wire layer; a retry has the same digest, a reused id does not.
#[derive(Debug, Clone)]
pub struct IncomingEvent {
    pub event: SyncEvent,
    pub digest: String,
}

/// What a township village database did with a pushed batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiveOutcome {
    /// Every event of the device up to this sequence number is applied.
    pub acked_through: i64,
    /// Events of this batch applied now (not before).
    pub applied: usize,
    /// Why the batch stopped before its end, if an event was refused.
    pub refused: Option<Refusal>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub seq: i64,
    pub reason: String,
}

/// One page of a village's change feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangePage {
    pub changes: Vec<SyncEvent>,
    /// The cursor to ask from next time (the last position served, or `after` if none).
    pub next: i64,
    pub more: bool,
}

/// The kiosk's view of its sync, for `sync once`, clerk mode and the status line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SyncStatus {
    pub events_waiting: i64,
    pub pushed_through: i64,
    pub cursor: i64,
    pub last_success: Option<String>,
    pub last_attempt: Option<String>,
    /// The last failure in words, cleared by a success.
    pub last_error: Option<String>,
}

const CURSOR: &str = "sync.cursor";
const LAST_SUCCESS: &str = "sync.last_success";
const LAST_ATTEMPT: &str = "sync.last_attempt";
const LAST_ERROR: &str = "sync.last_error";

impl App {
    /// Kiosk: the next events the township has not acknowledged, expanded into records.
    pub fn unpushed_events(&mut self, limit: usize) -> Result<Vec<SyncEvent>> {
        self.store.read(|tx| {
            let rows = tx.outbox_after(0, limit, true, None)?;
            rows.into_iter().map(|row| expand(tx, row)).collect()
        })
    }

    /// Kiosk: the township holds every event up to `through`.
    pub fn mark_pushed(&mut self, through: i64) -> Result<usize> {
        let now = self.clock.now();
        self.store.write(|tx| Ok(tx.mark_pushed_through(through, now)?))
    }

    /// Kiosk: applies a pulled page and moves the cursor in the same transaction, so a
    /// crash leaves either both or neither. A page older than the cursor changes nothing.
    pub fn apply_pulled(&mut self, page: &ChangePage) -> Result<usize> {
        let now = self.clock.now();
        let applied = self.store.write(|tx| {
            let cursor = setting_i64(tx, CURSOR)?;
            let mut applied = 0;
            let mut known = Known::default();
            for change in page.changes.iter().filter(|c| c.seq > cursor) {
                if apply_event(tx, change, now, &mut known)? {
                    applied += 1;
                }
            }
            if page.next > cursor {
                tx.set_setting(CURSOR, &page.next.to_string())?;
            }
            Ok::<_, AppError>(applied)
        })?;
        if applied > 0 {
            self.merit_cache = None;
        }
        Ok(applied)
    }

    pub fn sync_cursor(&mut self) -> Result<i64> {
        self.store.read(|tx| setting_i64(tx, CURSOR))
    }

    pub fn sync_status(&mut self) -> Result<SyncStatus> {
        self.store.read(|tx| {
            let last = tx.outbox_last_seq()?;
            let waiting = tx.unpushed_count()?;
            Ok(SyncStatus {
                events_waiting: waiting,
                pushed_through: last - waiting,
                cursor: setting_i64(tx, CURSOR)?,
                last_success: tx.setting(LAST_SUCCESS)?,
                last_attempt: tx.setting(LAST_ATTEMPT)?,
                last_error: tx.setting(LAST_ERROR)?.filter(|e| !e.is_empty()),
            })
        })
    }

    /// Records how a sync round ended: `None` for success, else the failure in words.
    pub fn record_sync_outcome(&mut self, error: Option<&str>) -> Result<()> {
        let now = self.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        self.store.write(|tx| {
            tx.set_setting(LAST_ATTEMPT, &now)?;
            match error {
                None => {
                    tx.set_setting(LAST_SUCCESS, &now)?;
                    tx.set_setting(LAST_ERROR, "")?;
                }
                Some(e) => tx.set_setting(LAST_ERROR, e)?,
            }
            Ok(())
        })
    }

    /// How many residents are registered (a kiosk with none may take the township's key).
    pub fn resident_count(&mut self) -> Result<i64> {
        self.store.read(|tx| Ok(tx.resident_count()?))
    }

    /// Township: applies a device's pushed batch. Events are taken in sequence order from
    /// the one after the last applied; an event seen before is skipped (its retry), a gap
    /// stops the batch (the rest comes again later), and a refused event stops it with
    /// the reason. Everything before the stop is committed.
    pub fn receive_events(&mut self, device: &str, batch: &[IncomingEvent]) -> Result<ReceiveOutcome> {
        let now = self.clock.now();
        let mut sorted: Vec<&IncomingEvent> = batch.iter().collect();
        sorted.sort_by_key(|e| e.event.seq);
        self.merit_cache = None;
        match self.store.write(|tx| receive_prefix(tx, device, &sorted, now)) {
            Ok(outcome) => Ok(outcome),
            // Applying event `index` failed: keep the events before it, report it.
            Err(ReceiveError::Apply { index, seq, reason }) => {
                let mut outcome = self
                    .store
                    .write(|tx| receive_prefix(tx, device, &sorted[..index], now))
                    .map_err(|e| match e {
                        ReceiveError::App(e) => e,
                        ReceiveError::Apply { reason, .. } => AppError::Invalid(reason),
                    })?;
                outcome.refused = Some(Refusal { seq, reason });
                Ok(outcome)
            }
            Err(ReceiveError::App(e)) => Err(e),
        }
    }

    /// Township: the village's change feed after `after`, without the echo of `device`'s
    /// own events. Positions are outbox sequence numbers, assigned under SQLite's write
    /// lock, so a position is never visible before every lower one is committed.
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

    /// Township: households flagged below zero by synced entries.
    pub fn overdrafts(&mut self) -> Result<Vec<OverdraftRow>> {
        self.store.read(|tx| Ok(tx.overdrafts()?))
    }
}

enum ReceiveError {
    Apply { index: usize, seq: i64, reason: String },
    App(AppError),
}

impl From<StoreError> for ReceiveError {
    fn from(e: StoreError) -> Self {
        ReceiveError::App(e.into())
    }
}

fn receive_prefix(
    tx: &Tx,
    device: &str,
    sorted: &[&IncomingEvent],
    now: DateTime<Utc>,
) -> std::result::Result<ReceiveOutcome, ReceiveError> {
    let mut acked = tx.last_received_seq(device)?;
    let mut applied = 0;
    let mut known = Known::default();
    for (index, incoming) in sorted.iter().enumerate() {
        let e = &incoming.event;
        let id = e.id.to_string();
        if let Some(seen) = tx.received_event(&id, device, e.seq)? {
            if seen.id == id && seen.device == device && seen.seq == e.seq && seen.digest == incoming.digest {
                continue;
            }
            let reason = if seen.id == id {
                format!("event id {id} was received before with different content")
            } else {
                format!("sequence number {} was received before as another event", e.seq)
            };
            return Ok(ReceiveOutcome {
                acked_through: acked,
                applied,
                refused: Some(Refusal { seq: e.seq, reason }),
            });
        }
        if e.seq != acked + 1 {
            break;
        }
        let changed = apply_event(tx, e, now, &mut known).map_err(|err| match err {
            AppError::SyncRefused { reason, .. } => ReceiveError::Apply {
                index,
                seq: e.seq,
                reason,
            },
            other => ReceiveError::Apply {
                index,
                seq: e.seq,
                reason: other.to_string(),
            },
        })?;
        if changed {
            tx.append_relayed_event(&e.kind, &e.subject, device, now)?;
        }
        tx.record_received(
            &ReceivedRow {
                id,
                device: device.to_string(),
                seq: e.seq,
                digest: incoming.digest.clone(),
            },
            &e.kind,
            now,
        )?;
        acked = e.seq;
        applied += 1;
    }
    Ok(ReceiveOutcome {
        acked_through: acked,
        applied,
        refused: None,
    })
}

fn setting_i64(tx: &Tx, key: &str) -> Result<i64> {
    Ok(tx.setting(key)?.and_then(|v| v.parse().ok()).unwrap_or(0))
}

/// Expands an outbox row into the records that reproduce it elsewhere.
fn expand(tx: &Tx, row: OutboxRow) -> Result<SyncEvent> {
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
    let item = |code: &str| -> Result<Option<Record>> { Ok(tx.item(code)?.map(Record::Item)) };
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
        "rule_changed" => vec![Record::Rule(tx.rule(&row.subject)?.ok_or_else(|| missing("rule"))?)],
        "catalogue_changed" => vec![item(&row.subject)?.ok_or_else(|| missing("item"))?],
        "redemption" => {
            let r = tx
                .redemption_record(&row.subject)?
                .ok_or_else(|| missing("redemption"))?;
            let mut records = vec![entry(&r.ledger_id)?];
            let code = r.item_code.clone();
            records.push(Record::Redemption(r));
            records.extend(item(&code)?);
            records
        }
        "voucher_settled" | "voucher_voided" => {
            let v = tx.voucher_record(&row.subject)?.ok_or_else(|| missing("voucher"))?;
            let mut records = Vec::new();
            if let Some(refund) = &v.refund_ledger_id {
                records.push(entry(refund)?);
            }
            let item_code = tx.voucher(&v.serial)?.map(|r| r.item_code);
            records.push(Record::Voucher(v));
            if let Some(code) = item_code {
                records.extend(item(&code)?);
            }
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

/// Applies an event's records; true when anything changed.
/// Households and rules found present in this transaction. Neither is ever deleted, so
/// a page of thousands of entries looks each one up once.
#[derive(Default)]
struct Known {
    households: std::collections::HashSet<String>,
    rules: std::collections::HashSet<String>,
}

fn apply_event(tx: &Tx, event: &SyncEvent, now: DateTime<Utc>, known: &mut Known) -> Result<bool> {
    let refuse = |reason: String| AppError::SyncRefused {
        seq: event.seq,
        kind: event.kind.clone(),
        reason,
    };
    let mut changed = false;
    for record in &event.records {
        changed |= apply_record(tx, record, now, known).map_err(|e| match e {
            AppError::Invalid(reason) => refuse(reason),
            AppError::Store(StoreError::Sqlite(err)) => refuse(format!("the database refused it: {err}")),
            other => other,
        })?;
    }
    Ok(changed)
}

fn apply_record(tx: &Tx, record: &Record, now: DateTime<Utc>, known: &mut Known) -> Result<bool> {
    match record {
        Record::Household(h) => apply_household(tx, h, now),
        Record::Entry(e) => apply_entry(tx, e, now, known),
        Record::Rule(rule) => {
            if tx.rule(&rule.code)?.as_ref() == Some(rule) {
                return Ok(false);
            }
            tx.upsert_rule(rule, now)?;
            Ok(true)
        }
        Record::Item(item) => {
            let Some(current) = tx.item(&item.code)? else {
                tx.insert_item(item, now)?;
                return Ok(true);
            };
            if &current == item {
                return Ok(false);
            }
            tx.update_item_details(item, now)?;
            if let (Stock::Limited(have), Stock::Limited(want)) = (current.stock, item.stock) {
                if have != want {
                    tx.move_stock(&item.code, want - have, StockMoveReason::Restock, Some("sync"), now)?;
                }
            }
            Ok(true)
        }
        Record::Redemption(r) => apply_redemption(tx, r, now),
        Record::Voucher(v) => apply_voucher(tx, v),
    }
}

fn apply_household(tx: &Tx, h: &HouseholdRecord, now: DateTime<Utc>) -> Result<bool> {
    let mut changed = false;
    match tx.household_row(&h.code)? {
        None => {
            tx.insert_household(&h.code, &h.grid, None, now)?;
            changed = true;
        }
        Some(row) if row.grid != h.grid => {
            return Err(AppError::Invalid(format!(
                "household {} is in grid '{}' here but '{}' there",
                h.code, row.grid, h.grid
            )))
        }
        Some(_) => {}
    }
    if let Some(token) = &h.qr_token {
        match tx.household_by_qr_token(token)? {
            Some(owner) if owner == h.code => {}
            Some(owner) => {
                return Err(AppError::Invalid(format!(
                    "QR card of household {} is already given to household {owner}",
                    h.code
                )))
            }
            None => {
                tx.set_household_qr_token(&h.code, token)?;
                changed = true;
            }
        }
    }
    for r in &h.residents {
        match tx.household_of_resident(&r.id_hash)? {
            Some(owner) if owner == h.code => {}
            Some(owner) => {
                return Err(AppError::Invalid(format!(
                    "a resident of household {} ({}) is registered in household {owner}",
                    h.code, r.resident.id_last4
                )))
            }
            None => {
                tx.insert_resident(&h.code, &r.resident, &r.id_hash)?;
                changed = true;
            }
        }
    }
    Ok(changed)
}

fn apply_entry(tx: &Tx, r: &EntryRecord, now: DateTime<Utc>, known: &mut Known) -> Result<bool> {
    let e = &r.entry;
    if !known.households.contains(&e.household) {
        if !tx.household_exists(&e.household)? {
            return Err(AppError::Invalid(format!("unknown household {}", e.household)));
        }
        known.households.insert(e.household.clone());
    }
    if let Some(rule) = e.rule_code.as_ref().filter(|r| !known.rules.contains(*r)) {
        if tx.rule(rule)?.is_none() {
            return Err(AppError::Invalid(format!("unknown rule {rule}")));
        }
        known.rules.insert(rule.clone());
    }
    // Skipped when known by id, or as the same sheet row imported on both sides under
    // different ids.
    if !tx.append_entry_if_new(e, r.dedupe_key.as_deref())? {
        return Ok(false);
    }
    if e.delta < 0 {
        let balance = tx.household_balance(&e.household)?.unwrap_or(0);
        if balance < 0 {
            tx.flag_overdraft(&e.id.to_string(), &e.household, balance, now)?;
        }
    }
    Ok(true)
}

fn apply_redemption(tx: &Tx, r: &RedemptionRecord, now: DateTime<Utc>) -> Result<bool> {
    if tx.redemption_exists(&r.id)? {
        return Ok(false);
    }
    let Some(item) = tx.item(&r.item_code)? else {
        return Err(AppError::Invalid(format!("unknown item {}", r.item_code)));
    };
    tx.insert_synced_redemption(r)?;
    if let Stock::Limited(have) = item.stock {
        // The kiosk had stock we had not heard of yet; the item snapshot that follows
        // sets the true figure.
        if have < r.qty {
            tx.move_stock(&r.item_code, r.qty - have, StockMoveReason::Restock, Some("sync"), now)?;
        }
        tx.move_stock(&r.item_code, -r.qty, StockMoveReason::Redemption, Some(&r.id), now)?;
    }
    Ok(true)
}

fn apply_voucher(tx: &Tx, v: &VoucherRecord) -> Result<bool> {
    let Some(current) = tx.voucher_record(&v.serial)? else {
        return Err(AppError::Invalid(format!("unknown voucher {}", v.serial)));
    };
    let open = matches!(current.status, VoucherStatus::Pending | VoucherStatus::Printed);
    match v.status {
        VoucherStatus::Settled if open => {
            let (Some(at), Some(merchant)) = (v.settled_at, v.settled_merchant.as_deref()) else {
                return Err(AppError::Invalid(format!(
                    "voucher {} settled without time or merchant",
                    v.serial
                )));
            };
            tx.mark_voucher_settled(&v.serial, merchant, v.settled_by.as_deref().unwrap_or(""), at)?;
            Ok(true)
        }
        VoucherStatus::Void if open => {
            let Some(refund) = v.refund_ledger_id.as_deref() else {
                return Err(AppError::Invalid(format!(
                    "voucher {} voided without a refund",
                    v.serial
                )));
            };
            tx.mark_voucher_void(&v.serial, v.void_reason.as_deref().unwrap_or(""), refund)?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

impl App {
    pub fn id_number_secret(&self) -> [u8; 32] {
        self.keys.id_number_secret
    }

    /// After the key file was replaced with the township's (no residents yet).
    pub fn set_id_number_secret(&mut self, key: [u8; 32]) {
        self.keys.id_number_secret = key;
    }

    /// The key that signs this kiosk's requests to the township.
    pub fn device_signing_key(&self) -> ed25519_dalek::SigningKey {
        self.keys.device_signing.clone()
    }
}
