//! The PostgreSQL engine: every village in one database (`--database-url`), for a county.
//!
//! It keeps the SQLite engine's promises with database means: pushed events are unique
//! by id and by (device, seq) through constraints; every writing transaction of a
//! village locks the village's row first, so feed positions commit in order; imports are
//! checked by the same planning code as a kiosk's (`app::plan_households`,
//! `app::plan_points`) and written in a few set-based statements.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{AreaPoints, Result, TownshipError, TownshipStorage};
use crate::app::{
    account_view_from, plan_households, plan_points, ranking_rows, sheet_keys, AccountParts, AccountView, AppError,
    ChangePage, ImportLookup, ImportReport, IncomingEvent, RankingView, ReceiveOutcome, Refusal, ENTRIES_SHOWN,
};
use crate::domain::catalogue::Stock;
use crate::domain::clock::Clock;
use crate::domain::household::Household;
use crate::domain::period::Quarter;
use crate::domain::records::{EntryRecord, HouseholdRecord, Record, RedemptionRecord, SyncEvent, VoucherRecord};
use crate::domain::rules::RuleItem;
use crate::domain::voucher::VoucherStatus;
use crate::store::pg::{AsPgError, FeedRow, PgError, PgStore, PgTx, VillageSummary};
use crate::store::{DeviceRow, OverdraftRow, ReceivedRow, StockMoveReason, VillageRow};

/// Nonces are kept this long (twice the allowed clock skew) and then forgotten.
const NONCE_MEMORY_SECS: i64 = 600;
/// Entries per insert statement when a sheet is imported.
const INSERT_CHUNK: usize = 5000;

pub struct PgTownship {
    store: PgStore,
    clock: Arc<dyn Clock>,
}

impl PgTownship {
    /// Connects to the database at `url` with a pool of `connections` and migrates it.
    pub fn connect(url: &str, connections: usize, clock: Arc<dyn Clock>) -> Result<PgTownship> {
        Ok(PgTownship {
            store: PgStore::connect(url, connections)?,
            clock,
        })
    }

    fn village_row(&self, code: &str) -> Result<VillageRow> {
        self.village(code)?
            .ok_or_else(|| TownshipError::UnknownVillage(code.to_string()))
    }
}

impl TownshipStorage for PgTownship {
    fn villages(&self) -> Result<Vec<VillageRow>> {
        Ok(self.store.auto(async |tx| tx.villages().await)?)
    }

    fn village(&self, code: &str) -> Result<Option<VillageRow>> {
        Ok(self.store.auto(async |tx| tx.village(code).await)?)
    }

    fn add_village(&self, code: &str, name: &str, id_number_key: Option<[u8; 32]>) -> Result<VillageRow> {
        let row = VillageRow {
            code: code.trim().to_ascii_uppercase(),
            name: name.trim().to_string(),
        };
        if !crate::domain::rules::is_code(&row.code) || row.name.is_empty() {
            return Err(TownshipError::Invalid(format!(
                "village code '{}' must be letters, digits or '-', and the name must not be empty",
                row.code
            )));
        }
        let key = id_number_key.unwrap_or_else(rand::random);
        let standard = crate::app::standard_rules()?;
        let now = self.clock.now();
        self.store.write(None, async |tx| {
            if tx.village(&row.code).await?.is_some() {
                return Err(TownshipError::VillageExists(row.code.clone()));
            }
            tx.insert_village(&row, &key, now).await?;
            for rule in &standard {
                tx.upsert_rule(&row.code, rule, now).await?;
            }
            for (file, csv) in tx.rule_imports().await? {
                let rules = crate::app::check_rules_csv(&file, &csv)?;
                apply_rules(tx, &row.code, &rules, now).await?;
            }
            Ok(())
        })?;
        Ok(row)
    }

    fn id_number_key(&self, village: &str) -> Result<[u8; 32]> {
        self.store
            .auto(async |tx| tx.id_number_key(village).await)?
            .ok_or_else(|| TownshipError::UnknownVillage(village.to_string()))
    }

    fn device(&self, id: &str) -> Result<Option<DeviceRow>> {
        Ok(self.store.auto(async |tx| tx.device(id).await)?)
    }

    fn devices(&self) -> Result<Vec<DeviceRow>> {
        Ok(self.store.auto(async |tx| tx.devices().await)?)
    }

    fn add_device(&self, village: &str, name: &str, public_key: &str) -> Result<DeviceRow> {
        let key = crate::sync::auth::parse_public_key(public_key).map_err(TownshipError::Invalid)?;
        if name.trim().is_empty() {
            return Err(TownshipError::Invalid("the device name is empty".into()));
        }
        let row = DeviceRow {
            id: crate::sync::auth::device_id(&key),
            village: village.to_string(),
            name: name.trim().to_string(),
            public_key: crate::sync::auth::public_key_text(&key),
        };
        let now = self.clock.now();
        self.store.write(Some(village), async |tx| {
            if tx.device(&row.id).await?.is_some() {
                return Err(TownshipError::DeviceExists(row.id.clone()));
            }
            tx.insert_device(&row, now).await?;
            Ok(())
        })?;
        Ok(row)
    }

    fn remember_nonce(&self, device: &str, nonce: &str, now_unix: i64) -> Result<bool> {
        Ok(self.store.auto(async |tx| {
            tx.remember_nonce(device, nonce, now_unix, now_unix - NONCE_MEMORY_SECS)
                .await
        })?)
    }

    fn receive(&self, village: &str, device: &str, batch: &[IncomingEvent]) -> Result<ReceiveOutcome> {
        let now = self.clock.now();
        let mut sorted: Vec<&IncomingEvent> = batch.iter().collect();
        sorted.sort_by_key(|e| e.event.seq);
        let run = |events: &[&IncomingEvent]| {
            self.store.write(Some(village), async |tx| {
                receive_prefix(tx, village, device, events, now).await
            })
        };
        match run(&sorted) {
            Ok(outcome) => Ok(outcome),
            // Applying event `index` failed and rolled everything back: keep the events
            // before it, report it.
            Err(ReceiveError::Apply { index, seq, reason }) => {
                let mut outcome = run(&sorted[..index]).map_err(|e| match e {
                    ReceiveError::Township(e) => e,
                    ReceiveError::Apply { reason, .. } => TownshipError::Invalid(reason),
                })?;
                outcome.refused = Some(Refusal { seq, reason });
                Ok(outcome)
            }
            Err(ReceiveError::Township(e)) => Err(e),
        }
    }

    fn changes(&self, village: &str, device: &str, after: i64, limit: usize) -> Result<ChangePage> {
        Ok(self.store.read(async |tx| {
            if tx.village(village).await?.is_none() {
                return Err(PgError::UnknownVillage(village.to_string()));
            }
            let mut rows = tx.feed_after(village, after, limit + 1, device).await?;
            let more = rows.len() > limit;
            rows.truncate(limit);
            let changes = expand(tx, village, rows).await?;
            let next = changes.last().map_or(after, |c| c.seq);
            // Skipped echoes still move the cursor, so a kiosk does not ask for them again.
            let next = if more {
                next
            } else {
                next.max(tx.feed_last(village).await?.max(after))
            };
            Ok(ChangePage { changes, next, more })
        })?)
    }

    fn import_households(&self, village: &str, file: &str, bytes: &[u8]) -> Result<ImportReport> {
        let secret = self.id_number_key(village)?;
        let now = self.clock.now();
        self.store.write(Some(village), async |tx| {
            let mut lookup = Lookup::load(tx, village, None).await?;
            let plan = plan_households(file, bytes, &secret, &mut lookup)?;
            tx.register_households(village, &plan.new_households, &plan.residents, &plan.tokens, now)
                .await?;
            let changes: Vec<(&str, String)> = plan.touched.iter().map(|c| ("household_changed", c.clone())).collect();
            tx.append_feed(village, &changes, None, now).await?;
            tx.record_import(village, &plan.file_digest, "households", file, plan.report.rows, now)
                .await?;
            Ok(plan.report)
        })
    }

    fn import_points(&self, village: &str, file: &str, bytes: &[u8]) -> Result<ImportReport> {
        let clock = self.clock.clone();
        let now = clock.now();
        let keys = sheet_keys(bytes);
        self.store.write(Some(village), async |tx| {
            let mut lookup = Lookup::load(tx, village, Some(&keys)).await?;
            let plan = plan_points(file, bytes, clock.as_ref(), &mut lookup)?;
            for chunk in plan.entries.chunks(INSERT_CHUNK) {
                let rows: Vec<_> = chunk.iter().map(|(e, k)| (e, Some(k.as_str()))).collect();
                let added = tx.insert_entries(village, &rows).await?;
                if added.len() != rows.len() {
                    return Err(PgError::Corrupt("a planned sheet row was already in the ledger".into()).into());
                }
                let changes: Vec<(&str, String)> = added.iter().map(|id| ("ledger_entry", id.to_string())).collect();
                tx.append_feed(village, &changes, None, now).await?;
            }
            tx.record_import(village, &plan.file_digest, "points", file, plan.report.rows, now)
                .await?;
            Ok(plan.report)
        })
    }

    fn import_rules(&self, file: &str, bytes: &[u8]) -> Result<ImportReport> {
        // Checked once on its own first, so a bad file changes no village.
        let rules = crate::app::check_rules_csv(file, bytes)?;
        let now = self.clock.now();
        let mut total = ImportReport {
            file: file.to_string(),
            rows: rules.len(),
            ..ImportReport::default()
        };
        for v in self.villages()? {
            let applied = self
                .store
                .write(Some(&v.code), async |tx| apply_rules(tx, &v.code, &rules, now).await)?;
            total.applied += applied;
            total.unchanged += rules.len() - applied;
        }
        self.store
            .write(None, async |tx| tx.add_rule_import(file, bytes, now).await)?;
        Ok(total)
    }

    fn rules(&self) -> Result<Vec<RuleItem>> {
        match self.villages()?.first() {
            Some(v) => Ok(self.store.read(async |tx| tx.rules(&v.code).await)?),
            None => super::township_rules(self.store.read(async |tx| tx.rule_imports().await)?),
        }
    }

    fn household(&self, village: &str, code: &str) -> Result<AccountView> {
        let v = self.village_row(village)?;
        let month = self.clock.this_month();
        let [from, _, to] = month.quarter().months();
        let code = code.trim();
        let parts = self.store.read(async |tx| {
            let Some((grid, _, balance)) = tx.household_row(village, code).await? else {
                return Ok(None);
            };
            Ok(Some((
                Household {
                    code: code.to_string(),
                    grid,
                    members: tx.members(village, code).await?,
                },
                balance,
                tx.merit_by_household(village, from, to).await?,
                tx.merit_of(village, code, month, month).await?,
                tx.entries_of(village, code, ENTRIES_SHOWN).await?,
            )))
        })?;
        let (household, balance, merit, earned_month, entries) =
            parts.ok_or_else(|| AppError::UnknownHousehold(code.to_string()))?;
        Ok(account_view_from(AccountParts {
            village_name: v.name,
            household,
            balance,
            merit: &merit,
            earned_month,
            entries,
            month,
        }))
    }

    fn ranking(&self, village: &str, quarter: Quarter) -> Result<RankingView> {
        self.village_row(village)?;
        let [from, _, to] = quarter.months();
        let (merit, heads) = self.store.read(async |tx| {
            Ok((
                tx.merit_by_household(village, from, to).await?,
                tx.heads(village).await?,
            ))
        })?;
        let heads: HashMap<String, String> = heads.into_iter().collect();
        Ok(RankingView {
            quarter: quarter.to_string(),
            grid: None,
            rows: ranking_rows(&merit, |code| heads.get(code).cloned()),
        })
    }

    fn areas(&self, village: &str, quarter: Quarter) -> Result<Vec<AreaPoints>> {
        self.village_row(village)?;
        let [from, _, to] = quarter.months();
        let rows = self.store.read(async |tx| tx.merit_by_area(village, from, to).await)?;
        Ok(AreaPoints::of(village, rows))
    }

    fn overdrafts(&self, village: &str) -> Result<Vec<OverdraftRow>> {
        self.village_row(village)?;
        Ok(self.store.read(async |tx| tx.overdrafts(village).await)?)
    }

    fn verify(&self, village: &str) -> Result<Vec<String>> {
        self.village_row(village)?;
        Ok(self.store.read(async |tx| tx.problems(village).await)?)
    }

    fn summary(&self, village: &str) -> Result<VillageSummary> {
        self.village_row(village)?;
        Ok(self.store.read(async |tx| tx.summary(village).await)?)
    }
}

/// Upserts the rules that differ, each with a `rule_changed` in the feed; how many.
async fn apply_rules(tx: &PgTx<'_>, village: &str, rules: &[RuleItem], now: DateTime<Utc>) -> Result<usize, PgError> {
    let mut changed = Vec::new();
    for rule in rules {
        if tx.rule(village, &rule.code).await?.as_ref() != Some(rule) {
            tx.upsert_rule(village, rule, now).await?;
            changed.push(("rule_changed", rule.code.clone()));
        }
    }
    tx.append_feed(village, &changed, None, now).await?;
    Ok(changed.len())
}

/// The village's data an import is checked against, loaded in a few queries.
#[derive(Default)]
struct Lookup {
    households: HashMap<String, (String, Option<String>)>,
    tokens: HashMap<String, String>,
    heads: HashSet<String>,
    residents: HashMap<String, String>,
    rules: HashMap<String, RuleItem>,
    sheet: HashMap<String, i64>,
}

impl Lookup {
    async fn load(tx: &PgTx<'_>, village: &str, sheet_keys: Option<&[String]>) -> Result<Lookup, PgError> {
        let mut l = Lookup::default();
        for (code, grid, token, has_head) in tx.household_index(village).await? {
            if let Some(t) = &token {
                l.tokens.insert(t.clone(), code.clone());
            }
            if has_head {
                l.heads.insert(code.clone());
            }
            l.households.insert(code, (grid, token));
        }
        match sheet_keys {
            // A scoring sheet needs rules and keys; a households file needs residents.
            Some(keys) => {
                l.rules = tx
                    .rules(village)
                    .await?
                    .into_iter()
                    .map(|r| (r.code.clone(), r))
                    .collect();
                l.sheet = tx.sheet_deltas(village, keys).await?.into_iter().collect();
            }
            None => l.residents = tx.resident_index(village).await?.into_iter().collect(),
        }
        Ok(l)
    }
}

impl ImportLookup for Lookup {
    fn household(&mut self, code: &str) -> crate::app::Result<Option<(String, Option<String>)>> {
        Ok(self.households.get(code).cloned())
    }
    fn household_of_qr_token(&mut self, token: &str) -> crate::app::Result<Option<String>> {
        Ok(self.tokens.get(token).cloned())
    }
    fn household_of_resident(&mut self, id_hash: &str) -> crate::app::Result<Option<String>> {
        Ok(self.residents.get(id_hash).cloned())
    }
    fn has_head(&mut self, code: &str) -> crate::app::Result<bool> {
        Ok(self.heads.contains(code))
    }
    fn rule(&mut self, code: &str) -> crate::app::Result<Option<RuleItem>> {
        Ok(self.rules.get(code).cloned())
    }
    fn sheet_delta(&mut self, key: &str) -> crate::app::Result<Option<i64>> {
        Ok(self.sheet.get(key).copied())
    }
}

// ---- receiving pushed events ----

enum ReceiveError {
    Apply { index: usize, seq: i64, reason: String },
    Township(TownshipError),
}

impl From<PgError> for ReceiveError {
    fn from(e: PgError) -> Self {
        ReceiveError::Township(e.into())
    }
}

impl AsPgError for ReceiveError {
    fn as_pg(&self) -> Option<&PgError> {
        match self {
            ReceiveError::Township(e) => e.as_pg(),
            ReceiveError::Apply { .. } => None,
        }
    }
}

/// Why a record cannot be applied: the data (refused with a reason) or the database.
enum ApplyError {
    Refused(String),
    Db(PgError),
}

impl From<PgError> for ApplyError {
    fn from(e: PgError) -> Self {
        if e.is_constraint() {
            ApplyError::Refused(format!("the database refused it: {e}"))
        } else {
            ApplyError::Db(e)
        }
    }
}

type Applied = std::result::Result<bool, ApplyError>;

/// The same algorithm as a SQLite village (`App::receive_events`): events in sequence
/// order from the one after the last applied; a retry is skipped, a gap stops the batch,
/// an id or sequence number reused with other content is refused.
async fn receive_prefix(
    tx: &PgTx<'_>,
    village: &str,
    device: &str,
    sorted: &[&IncomingEvent],
    now: DateTime<Utc>,
) -> std::result::Result<ReceiveOutcome, ReceiveError> {
    let mut acked = tx.last_received_seq(device).await?;
    let mut applied = 0;
    let mut known = Known::default();
    for (index, incoming) in sorted.iter().enumerate() {
        let e = &incoming.event;
        let id = e.id.to_string();
        if let Some(seen) = tx.received_event(e.id, device, e.seq).await? {
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
        let mut changed = false;
        for record in &e.records {
            match apply_record(tx, village, record, now, &mut known).await {
                Ok(c) => changed |= c,
                Err(ApplyError::Refused(reason)) => {
                    return Err(ReceiveError::Apply {
                        index,
                        seq: e.seq,
                        reason: format!("event {} ({}) cannot be applied: {reason}", e.seq, e.kind),
                    })
                }
                Err(ApplyError::Db(err)) => return Err(err.into()),
            }
        }
        if changed {
            tx.append_feed(village, &[(e.kind.as_str(), e.subject.clone())], Some(device), now)
                .await?;
        }
        let row = ReceivedRow {
            id,
            device: device.to_string(),
            seq: e.seq,
            digest: incoming.digest.clone(),
        };
        tx.record_received(e.id, &row, &e.kind, now).await?;
        acked = e.seq;
        applied += 1;
    }
    Ok(ReceiveOutcome {
        acked_through: acked,
        applied,
        refused: None,
    })
}

/// Households and rules found present in this transaction (neither is ever deleted).
#[derive(Default)]
struct Known {
    households: HashSet<String>,
    rules: HashSet<String>,
}

async fn apply_record(tx: &PgTx<'_>, v: &str, record: &Record, now: DateTime<Utc>, known: &mut Known) -> Applied {
    match record {
        Record::Household(h) => apply_household(tx, v, h, now).await,
        Record::Entry(e) => apply_entry(tx, v, e, now, known).await,
        Record::Rule(rule) => {
            if tx.rule(v, &rule.code).await?.as_ref() == Some(rule) {
                return Ok(false);
            }
            tx.upsert_rule(v, rule, now).await?;
            Ok(true)
        }
        Record::Item(item) => {
            let Some(current) = tx.item(v, &item.code).await? else {
                tx.insert_item(v, item, now).await?;
                return Ok(true);
            };
            if &current == item {
                return Ok(false);
            }
            tx.update_item_details(v, item, now).await?;
            if let (Stock::Limited(have), Stock::Limited(want)) = (current.stock, item.stock) {
                if have != want {
                    tx.move_stock(v, &item.code, want - have, StockMoveReason::Restock, Some("sync"), now)
                        .await?;
                }
            }
            Ok(true)
        }
        Record::Redemption(r) => apply_redemption(tx, v, r, now).await,
        Record::Voucher(voucher) => apply_voucher(tx, v, voucher).await,
    }
}

async fn apply_household(tx: &PgTx<'_>, v: &str, h: &HouseholdRecord, now: DateTime<Utc>) -> Applied {
    let mut changed = false;
    match tx.household_row(v, &h.code).await? {
        None => {
            tx.insert_household(v, &h.code, &h.grid, now).await?;
            changed = true;
        }
        Some((grid, _, _)) if grid != h.grid => {
            return Err(ApplyError::Refused(format!(
                "household {} is in grid '{grid}' here but '{}' there",
                h.code, h.grid
            )))
        }
        Some(_) => {}
    }
    if let Some(token) = &h.qr_token {
        match tx.household_by_qr_token(v, token).await? {
            Some(owner) if owner == h.code => {}
            Some(owner) => {
                return Err(ApplyError::Refused(format!(
                    "QR card of household {} is already given to household {owner}",
                    h.code
                )))
            }
            None => {
                tx.set_qr_token(v, &h.code, token).await?;
                changed = true;
            }
        }
    }
    for r in &h.residents {
        match tx.household_of_resident(v, &r.id_hash).await? {
            Some(owner) if owner == h.code => {}
            Some(owner) => {
                return Err(ApplyError::Refused(format!(
                    "a resident of household {} ({}) is registered in household {owner}",
                    h.code, r.resident.id_last4
                )))
            }
            None => {
                tx.insert_resident(v, &h.code, &r.resident, &r.id_hash).await?;
                changed = true;
            }
        }
    }
    Ok(changed)
}

async fn apply_entry(tx: &PgTx<'_>, v: &str, r: &EntryRecord, now: DateTime<Utc>, known: &mut Known) -> Applied {
    let e = &r.entry;
    if !known.households.contains(&e.household) {
        if tx.household_row(v, &e.household).await?.is_none() {
            return Err(ApplyError::Refused(format!("unknown household {}", e.household)));
        }
        known.households.insert(e.household.clone());
    }
    if let Some(rule) = e.rule_code.as_ref().filter(|r| !known.rules.contains(*r)) {
        if tx.rule(v, rule).await?.is_none() {
            return Err(ApplyError::Refused(format!("unknown rule {rule}")));
        }
        known.rules.insert(rule.clone());
    }
    if tx.insert_entries(v, &[(e, r.dedupe_key.as_deref())]).await?.is_empty() {
        return Ok(false);
    }
    if e.delta < 0 {
        let balance = tx.household_balance(v, &e.household).await?.unwrap_or(0);
        if balance < 0 {
            tx.flag_overdraft(v, e.id, &e.household, balance, now).await?;
        }
    }
    Ok(true)
}

async fn apply_redemption(tx: &PgTx<'_>, v: &str, r: &RedemptionRecord, now: DateTime<Utc>) -> Applied {
    if tx.redemption_exists(&r.id).await? {
        return Ok(false);
    }
    let Some(item) = tx.item(v, &r.item_code).await? else {
        return Err(ApplyError::Refused(format!("unknown item {}", r.item_code)));
    };
    if Uuid::parse_str(&r.ledger_id).is_err() {
        return Err(ApplyError::Refused(format!("debit id '{}' is not a UUID", r.ledger_id)));
    }
    tx.insert_synced_redemption(v, r).await?;
    if let Stock::Limited(have) = item.stock {
        // The kiosk had stock we had not heard of yet; the item snapshot that follows
        // sets the true figure.
        if have < r.qty {
            tx.move_stock(
                v,
                &r.item_code,
                r.qty - have,
                StockMoveReason::Restock,
                Some("sync"),
                now,
            )
            .await?;
        }
        tx.move_stock(v, &r.item_code, -r.qty, StockMoveReason::Redemption, Some(&r.id), now)
            .await?;
    }
    Ok(true)
}

async fn apply_voucher(tx: &PgTx<'_>, v: &str, voucher: &VoucherRecord) -> Applied {
    let Some((current, _)) = tx.voucher_record(v, &voucher.serial).await? else {
        return Err(ApplyError::Refused(format!("unknown voucher {}", voucher.serial)));
    };
    let open = matches!(current.status, VoucherStatus::Pending | VoucherStatus::Printed);
    match voucher.status {
        VoucherStatus::Settled if open => {
            let (Some(at), Some(merchant)) = (voucher.settled_at, voucher.settled_merchant.as_deref()) else {
                return Err(ApplyError::Refused(format!(
                    "voucher {} settled without time or merchant",
                    voucher.serial
                )));
            };
            let clerk = voucher.settled_by.as_deref().unwrap_or("");
            tx.mark_voucher_settled(v, &voucher.serial, merchant, clerk, at).await?;
            Ok(true)
        }
        VoucherStatus::Void if open => {
            let Some(refund) = voucher
                .refund_ledger_id
                .as_deref()
                .filter(|r| Uuid::parse_str(r).is_ok())
            else {
                return Err(ApplyError::Refused(format!(
                    "voucher {} voided without a refund",
                    voucher.serial
                )));
            };
            let reason = voucher.void_reason.as_deref().unwrap_or("");
            tx.mark_voucher_void(v, &voucher.serial, reason, refund).await?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

// ---- serving the feed ----

/// Expands feed rows into the records that reproduce them at a kiosk; a page's ledger
/// entries are read in one query.
async fn expand(tx: &PgTx<'_>, village: &str, rows: Vec<FeedRow>) -> Result<Vec<SyncEvent>, PgError> {
    let entry_ids: Vec<Uuid> = rows
        .iter()
        .filter(|r| r.kind == "ledger_entry")
        .map(feed_uuid)
        .collect::<Result<_, _>>()?;
    let mut entries: HashMap<Uuid, EntryRecord> = tx
        .entries_by_ids(&entry_ids)
        .await?
        .into_iter()
        .map(|(entry, dedupe_key)| (entry.id, EntryRecord { entry, dedupe_key }))
        .collect();
    let mut events = Vec::with_capacity(rows.len());
    for row in rows {
        let missing = |what: &str| {
            PgError::Corrupt(format!(
                "feed position {} names {what} {} that does not exist",
                row.pos, row.subject
            ))
        };
        let records = match row.kind.as_str() {
            "ledger_entry" => {
                let id = feed_uuid(&row)?;
                vec![Record::Entry(
                    entries.remove(&id).ok_or_else(|| missing("ledger entry"))?,
                )]
            }
            "household_changed" => {
                let (grid, qr_token, _) = tx
                    .household_row(village, &row.subject)
                    .await?
                    .ok_or_else(|| missing("household"))?;
                vec![Record::Household(HouseholdRecord {
                    residents: tx.residents_with_hashes(village, &row.subject).await?,
                    code: row.subject.clone(),
                    grid,
                    qr_token,
                })]
            }
            "rule_changed" => vec![Record::Rule(
                tx.rule(village, &row.subject).await?.ok_or_else(|| missing("rule"))?,
            )],
            "catalogue_changed" => vec![Record::Item(
                tx.item(village, &row.subject).await?.ok_or_else(|| missing("item"))?,
            )],
            "redemption" => {
                let r = tx
                    .redemption_record(village, &row.subject)
                    .await?
                    .ok_or_else(|| missing("redemption"))?;
                let mut records = vec![entry_record(tx, &r.ledger_id).await?];
                let item = tx.item(village, &r.item_code).await?;
                records.push(Record::Redemption(r));
                records.extend(item.map(Record::Item));
                records
            }
            "voucher_settled" | "voucher_voided" => {
                let (v, item_code) = tx
                    .voucher_record(village, &row.subject)
                    .await?
                    .ok_or_else(|| missing("voucher"))?;
                let mut records = Vec::new();
                if let Some(refund) = &v.refund_ledger_id {
                    records.push(entry_record(tx, refund).await?);
                }
                records.push(Record::Voucher(v));
                records.extend(tx.item(village, &item_code).await?.map(Record::Item));
                records
            }
            other => return Err(missing(&format!("unknown kind {other}"))),
        };
        events.push(SyncEvent {
            id: row.id,
            seq: row.pos,
            kind: row.kind,
            subject: row.subject,
            created_at: row.created_at,
            records,
        });
    }
    Ok(events)
}

fn feed_uuid(row: &FeedRow) -> Result<Uuid, PgError> {
    Uuid::parse_str(&row.subject)
        .map_err(|_| PgError::Corrupt(format!("feed position {} names entry '{}'", row.pos, row.subject)))
}

async fn entry_record(tx: &PgTx<'_>, id: &str) -> Result<Record, PgError> {
    let id = Uuid::parse_str(id).map_err(|_| PgError::Corrupt(format!("entry id '{id}' is not a UUID")))?;
    let (entry, dedupe_key) = tx
        .entries_by_ids(&[id])
        .await?
        .pop()
        .ok_or_else(|| PgError::Corrupt(format!("ledger entry {id} does not exist")))?;
    Ok(Record::Entry(EntryRecord { entry, dedupe_key }))
}
