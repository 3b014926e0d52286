//! The PostgreSQL engine: every village in one database (`--database-url`), for a county.
//!
//! It keeps the SQLite engine's promises with database means: pushed events are unique
//! by id and by (device, seq) through constraints; every writing transaction of a
//! village locks the village's row first, so feed positions commit in order; imports are
//! checked by the same planning code as a kiosk's (`app::plan_households`,
//! `app::plan_points`) and written in a few set-based statements.

use std::collections::HashMap;
use std::sync::Arc;

use ed25519_dalek::SigningKey;
use uuid::Uuid;

use super::pg_imports::apply_rules;
use super::{AreaPoints, DeviceHello, Result, TownshipError, TownshipStorage, VillageFacts};
use crate::app::{
    account_view_from, ranking_rows, AccountParts, AccountView, AppError, CatalogueItemView, ChangePage, ImportReport,
    IncomingEvent, RankingView, ReceiveOutcome, ENTRIES_SHOWN,
};
use crate::app::{honours_of, merchant_months, HonoursView, MerchantMonth, SponsorView};
use crate::domain::catalogue::{Stock, StockMove, StockMoveReason};
use crate::domain::clock::china_month_span;
use crate::domain::clock::Clock;
use crate::domain::honours::HonoursRule;
use crate::domain::household::Household;
use crate::domain::kiosk::public_key_text;
use crate::domain::period::{Month, Quarter};
use crate::domain::rules::RuleItem;
use crate::store::pg::{PgError, PgStore};
use crate::store::{DeviceRow, DoubleSettlementRow, OverdraftRow, SetAsideRow, VillageRow, VillageSummary};

/// Nonces are kept this long (twice the allowed clock skew) and then forgotten.
const NONCE_MEMORY_SECS: i64 = 600;
/// Entries per insert statement when a sheet or a batch is written.
pub(super) const INSERT_CHUNK: usize = 5000;

pub struct PgTownship {
    pub(super) store: PgStore,
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

    pub(super) fn store(&self) -> &PgStore {
        &self.store
    }

    pub(super) fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
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

    fn add_device(&self, village: &str, name: &str, public_key: &str, number: Option<u32>) -> Result<DeviceRow> {
        let key = crate::domain::kiosk::parse_public_key(public_key).map_err(TownshipError::Invalid)?;
        if name.trim().is_empty() {
            return Err(TownshipError::Invalid("the device name is empty".into()));
        }
        if let Some(n) = number {
            super::check_number(n)?;
        }
        let now = self.clock.now();
        let id = crate::domain::kiosk::device_id(&key);
        self.store.write(Some(village), async |tx| {
            if tx.device(&id).await?.is_some() {
                return Err(TownshipError::DeviceExists(id.clone()));
            }
            let number = match number {
                Some(n) => n,
                None => tx.next_device_number(village).await?,
            };
            super::check_number(number)?;
            if let Some(other) = tx
                .devices()
                .await?
                .into_iter()
                .find(|d| d.village == village && d.number == number)
            {
                return Err(TownshipError::NumberTaken {
                    village: village.to_string(),
                    number,
                    device: other.id,
                });
            }
            let row = DeviceRow::registered(id.clone(), village, name, public_key_text(&key), number);
            tx.insert_device(&row, now).await?;
            tx.append_feed(village, &[("kiosk_changed", row.id.clone())], None, now)
                .await?;
            Ok(row)
        })
    }

    fn retire_device(&self, village: &str, device: &str, reason: &str) -> Result<DeviceRow> {
        let reason = if reason.trim().is_empty() {
            "停用"
        } else {
            reason.trim()
        };
        let now = self.clock.now();
        self.store.write(Some(village), async |tx| {
            if tx.device(device).await?.filter(|d| d.village == village).is_none() {
                return Err(unknown_device(village, device));
            }
            tx.retire_device(device, reason, now).await?;
            tx.append_feed(village, &[("kiosk_changed", device.to_string())], None, now)
                .await?;
            tx.device(device).await?.ok_or_else(|| unknown_device(village, device))
        })
    }

    fn hello(&self, village: &str, device: &str, hello: Option<&DeviceHello>) -> Result<VillageFacts> {
        let now = self.clock.now();
        self.store.write(Some(village), async |tx| {
            let row = tx
                .device(device)
                .await?
                .filter(|d| d.village == village)
                .ok_or_else(|| unknown_device(village, device))?;
            match hello {
                Some(h) => {
                    let changed = tx
                        .device_said_hello(
                            device,
                            &public_key_text(&h.voucher_key),
                            h.legacy_serials,
                            h.outbox_last,
                            now,
                        )
                        .await?;
                    if changed {
                        tx.append_feed(village, &[("kiosk_changed", device.to_string())], None, now)
                            .await?;
                    } else {
                        // Only when it was last seen and how far its outbox goes, which
                        // its next hello says again: a crash that forgets them costs nothing.
                        tx.commit_without_waiting_for_disk().await?;
                    }
                }
                None => {
                    tx.device_seen(device, now).await?;
                    tx.commit_without_waiting_for_disk().await?;
                }
            }
            // After the feed append above, so that its position is in `feed_last`.
            let (village_row, id_number_key, generation, feed_last) = tx
                .village_facts(village)
                .await?
                .ok_or_else(|| TownshipError::UnknownVillage(village.to_string()))?;
            Ok(VillageFacts {
                village: village_row,
                id_number_key,
                kiosk_number: row.number,
                generation,
                acked_through: tx.last_received_seq(device).await?,
                feed_last,
            })
        })
    }

    fn acked_through(&self, _village: &str, device: &str) -> Result<i64> {
        Ok(self.store.auto(async |tx| tx.last_received_seq(device).await)?)
    }

    fn township_key(&self) -> Result<SigningKey> {
        let fresh: [u8; 32] = rand::random();
        let bytes = self.store.write(None, async |tx| tx.township_key(fresh).await)?;
        Ok(SigningKey::from_bytes(&bytes))
    }

    fn mark_restored(&self) -> Result<()> {
        Ok(self.store.write(None, async |tx| tx.renew_generations().await)?)
    }

    fn remember_nonce(&self, device: &str, nonce: &str, now_unix: i64) -> Result<bool> {
        Ok(self.store.auto_unsynced(async |tx| {
            tx.remember_nonce(device, nonce, now_unix, now_unix - NONCE_MEMORY_SECS)
                .await
        })?)
    }

    fn receive(&self, village: &str, device: &str, batch: &[IncomingEvent]) -> Result<ReceiveOutcome> {
        let now = self.clock.now();
        Ok(self.store.write(Some(village), async |tx| {
            if batch.len() > SMALL_BATCH {
                tx.plan_each_statement().await?;
            }
            super::pg_apply::receive(tx, village, device, batch, now).await
        })?)
    }

    fn retry_set_aside(&self, village: &str, decode: &dyn Fn(&str) -> Option<IncomingEvent>) -> Result<usize> {
        let now = self.clock.now();
        Ok(self.store.write(Some(village), async |tx| {
            tx.plan_each_statement().await?;
            super::pg_apply::retry(tx, village, decode, now).await
        })?)
    }

    fn changes(&self, village: &str, device: &str, after: i64, limit: usize) -> Result<ChangePage> {
        Ok(self.store.read(async |tx| {
            if tx.village(village).await?.is_none() {
                return Err(PgError::UnknownVillage(village.to_string()));
            }
            let mut rows = tx.feed_after(village, after, limit + 1, device).await?;
            let more = rows.len() > limit;
            rows.truncate(limit);
            if rows.len() > SMALL_BATCH {
                tx.plan_each_statement().await?;
            }
            let changes = super::pg_feed::expand(tx, village, rows).await?;
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

    fn restock(&self, village: &str, device: &str, item: &str, qty: i64, by: &str) -> Result<CatalogueItemView> {
        if qty <= 0 {
            return Err(TownshipError::Invalid(
                "the township only adds to a kiosk's shelf; the kiosk's clerk writes off goods there".into(),
            ));
        }
        let now = self.clock.now();
        self.store.write(Some(village), async |tx| {
            if tx.device(device).await?.filter(|d| d.village == village).is_none() {
                return Err(unknown_device(village, device));
            }
            let found = tx
                .item(village, item)
                .await?
                .ok_or_else(|| TownshipError::App(AppError::UnknownItem(item.to_string())))?;
            if found.stock == Stock::Unlimited {
                return Err(TownshipError::Invalid(format!(
                    "{} is unlimited and has no stock to restock",
                    found.name
                )));
            }
            let m = StockMove {
                id: Uuid::now_v7(),
                item_code: item.to_string(),
                holder: device.to_string(),
                delta: qty,
                reason: StockMoveReason::Restock,
                reference: Some(by.to_string()),
                created_at: now,
            };
            tx.move_stock_batch(village, std::slice::from_ref(&m)).await?;
            tx.append_feed(village, &[("stock_moved", m.id.to_string())], None, now)
                .await?;
            let shelf = tx
                .shelves(village)
                .await?
                .into_iter()
                .find(|(i, h, _)| i == item && h == device)
                .map_or(0, |(_, _, n)| n);
            Ok(CatalogueItemView {
                stock: Some(shelf),
                ..CatalogueItemView::from(&found)
            })
        })
    }

    fn import_households(&self, village: &str, file: &str, bytes: &[u8]) -> Result<ImportReport> {
        self.households_file(village, file, bytes)
    }

    fn import_points(&self, village: &str, file: &str, bytes: &[u8]) -> Result<ImportReport> {
        self.scoring_sheet(village, file, bytes)
    }

    fn import_rules(&self, file: &str, bytes: &[u8]) -> Result<ImportReport> {
        self.rules_file(file, bytes)
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
                tx.evidence_of_household(village, code).await?,
                tx.disputes_of_household(village, code).await?,
            )))
        })?;
        let (household, balance, merit, earned_month, entries, evidence, disputes) =
            parts.ok_or_else(|| AppError::UnknownHousehold(code.to_string()))?;
        Ok(account_view_from(AccountParts {
            village_name: v.name,
            household,
            balance,
            merit: &merit,
            earned_month,
            entries,
            // The township holds every photo's bytes.
            evidence: evidence.into_iter().map(|e| (e, true)).collect(),
            disputes,
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
            period: quarter.to_string(),
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

    fn double_settlements(&self, village: &str) -> Result<Vec<DoubleSettlementRow>> {
        self.village_row(village)?;
        Ok(self.store.read(async |tx| tx.double_settlements(village).await)?)
    }

    fn sync_problems(&self, village: &str) -> Result<Vec<SetAsideRow>> {
        self.village_row(village)?;
        Ok(self.store.read(async |tx| tx.set_aside_rows(village).await)?)
    }

    fn verify(&self, village: &str) -> Result<Vec<String>> {
        self.village_row(village)?;
        Ok(self.store.read(async |tx| tx.problems(village).await)?)
    }

    fn summary(&self, village: &str) -> Result<VillageSummary> {
        self.village_row(village)?;
        Ok(self.store.read(async |tx| tx.summary(village).await)?)
    }

    fn merchants(&self, village: &str, month: Month) -> Result<Vec<MerchantMonth>> {
        self.village_row(village)?;
        let (from, to) = china_month_span(month);
        let rows = self
            .store
            .read(async |tx| tx.settled_vouchers(village, from, to).await)?;
        Ok(merchant_months(village, month, &rows))
    }

    fn console(&self) -> &dyn super::console::ConsoleStorage {
        self
    }

    fn honours(&self, village: &str, year: i32, rule: &HonoursRule) -> Result<HonoursView> {
        let row = self.village_row(village)?;
        let (from, to) = crate::app::year_months(year)?;
        // The rule names the area by its label; PostgreSQL keeps areas by key.
        let area = rule
            .checked()
            .ok()
            .and_then(|r| r.clean_area.parse::<crate::domain::rules::Area>().ok());
        let (merit, heads, deducted) = self.store.read(async |tx| {
            let deducted = match area {
                None => Vec::new(),
                Some(a) => tx.households_deducted_in_area(village, a, from, to).await?,
            };
            Ok((
                tx.merit_by_household(village, from, to).await?,
                tx.heads(village).await?,
                deducted,
            ))
        })?;
        let heads: HashMap<String, String> = heads.into_iter().collect();
        Ok(honours_of(rule, &row.name, year, &merit, &heads, &deducted)?)
    }

    fn sponsors(&self, village: &str) -> Result<Vec<SponsorView>> {
        self.village_row(village)?;
        let today = self.clock.today();
        let rows = self.store.read(async |tx| tx.sponsor_funds(village, today).await)?;
        Ok(rows
            .into_iter()
            .map(|(s, totals)| SponsorView::of(s.name, s.note, totals))
            .collect())
    }

    fn award(&self, village: &str, award: &super::TownshipAward) -> Result<crate::app::AwardReceipt> {
        self.award_with_photos(village, award)
    }

    fn held_voucher(&self, village: &str, serial: &str) -> Result<Option<crate::app::HeldVoucher>> {
        self.voucher_held(village, serial)
    }

    fn settle_at_township(&self, village: &str, serial: &str, merchant: &str, by: &str) -> Result<bool> {
        self.settle_on_console(village, serial, merchant, by)
    }

    fn photo(&self, village: &str, sha256: &str) -> Result<Option<Vec<u8>>> {
        self.photo_bytes(village, sha256)
    }

    fn put_photo(&self, village: &str, sha256: &str, bytes: &[u8]) -> Result<bool> {
        self.keep_photo(village, sha256, bytes)
    }

    fn disputes(&self, village: &str, open_only: bool) -> Result<Vec<crate::app::DisputeListing>> {
        self.village_row(village)?;
        self.dispute_list(village, open_only)
    }

    fn resolve_dispute(
        &self,
        id: &str,
        resolution: crate::app::Resolution,
        note: &str,
        by: &str,
    ) -> Result<crate::app::DisputeView> {
        self.answer_dispute(id, resolution, note, by)
    }
}

/// Up to this many events or feed rows, a batch's `= ANY` statements run on their cached
/// generic plans: planning some twenty statements afresh for every push of a busy
/// township's small rounds cost more CPU than the plans saved. Bigger batches (a
/// catch-up, a first push) plan each statement for their own arrays.
const SMALL_BATCH: usize = 32;

fn unknown_device(village: &str, device: &str) -> TownshipError {
    TownshipError::UnknownDevice {
        village: village.to_string(),
        device: device.to_string(),
    }
}
