//! The SQLite engine: a registry database at `--db PATH` and, in `PATH`'s sibling
//! folder `<name>.villages/`, one data directory per village with the kiosk's schema.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use ed25519_dalek::SigningKey;

use super::{
    kiosk_record, AreaPoints, DeviceHello, Result, TownshipAward, TownshipError, TownshipStorage, VillageFacts,
};
use crate::app::{merchant_months, HonoursView, MerchantMonth, SponsorView};
use crate::app::{
    AccountView, App, AppError, AwardReceipt, CatalogueItemView, ChangePage, DisputeListing, DisputeView, Identity,
    ImportReport, IncomingEvent, RankingView, ReceiveOutcome, Resolution, Role, Village,
};
use crate::domain::clock::Clock;
use crate::domain::honours::HonoursRule;
use crate::domain::kiosk::public_key_text;
use crate::domain::period::{Month, Quarter};
use crate::domain::rules::RuleItem;
use crate::installation::DataDir;
use crate::store::{DeviceRow, DoubleSettlementRow, OverdraftRow, Registry, SetAsideRow, VillageRow, VillageSummary};

/// Nonces are kept this long (twice the allowed clock skew) and then forgotten.
const NONCE_MEMORY_SECS: i64 = 600;

pub struct SqliteTownship {
    registry: Mutex<Registry>,
    pub(super) db: PathBuf,
    pub(super) villages_dir: PathBuf,
    /// Open village databases, each behind its own lock so villages work in parallel.
    open: Mutex<HashMap<String, Arc<Mutex<App>>>>,
    clock: Arc<dyn Clock>,
}

impl SqliteTownship {
    /// Opens (creating if needed) the township database at `db`.
    pub fn open(db: &Path, clock: Arc<dyn Clock>) -> Result<SqliteTownship> {
        if let Some(parent) = db.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| TownshipError::Invalid(format!("cannot create folder {}: {e}", parent.display())))?;
        }
        let registry = Registry::open(db)?;
        let villages_dir = db.with_extension("villages");
        Ok(SqliteTownship {
            registry: Mutex::new(registry),
            db: db.to_path_buf(),
            villages_dir,
            open: Mutex::new(HashMap::new()),
            clock,
        })
    }

    pub(super) fn registry(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn village_dir(&self, code: &str) -> DataDir {
        DataDir {
            root: self.villages_dir.join(code),
        }
    }

    fn app(&self, code: &str) -> Result<Arc<Mutex<App>>> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(app) = open.get(code) {
            return Ok(app.clone());
        }
        if self.registry().village(code)?.is_none() {
            return Err(TownshipError::UnknownVillage(code.to_string()));
        }
        let app = Arc::new(Mutex::new(App::open_as(
            &self.village_dir(code),
            self.clock.clone(),
            Role::TownshipVillage,
        )?));
        open.insert(code.to_string(), app.clone());
        Ok(app)
    }

    fn with_app<T>(&self, code: &str, f: impl FnOnce(&mut App) -> crate::app::Result<T>) -> Result<T> {
        let app = self.app(code)?;
        let mut app = app.lock().unwrap_or_else(|p| p.into_inner());
        Ok(f(&mut app)?)
    }

    fn now_text(&self) -> String {
        self.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }

    fn village_device(&self, village: &str, device: &str) -> Result<DeviceRow> {
        self.registry()
            .device(device)?
            .filter(|d| d.village == village)
            .ok_or_else(|| TownshipError::UnknownDevice {
                village: village.to_string(),
                device: device.to_string(),
            })
    }

    /// The file holding the township's signing key, beside the registry database.
    pub fn key_path(&self) -> PathBuf {
        self.db.with_extension("township.key")
    }

    /// Where the village databases live.
    pub fn villages_dir(&self) -> &Path {
        &self.villages_dir
    }

    pub(super) fn backup_registry(&self, to: &Path) -> Result<()> {
        Ok(self.registry().backup_into(to)?)
    }

    /// A village's database and keys, copied while its lock is held (no write between).
    pub(super) fn backup_village(&self, code: &str, to: &Path) -> Result<()> {
        let from = self.village_dir(code);
        self.with_app(code, |app| app.backup_into(&to.join("jifen.sqlite3")))?;
        let keys = from.root.join("keys");
        for entry in std::fs::read_dir(&keys)
            .map_err(|e| TownshipError::Invalid(format!("cannot read {}: {e}", keys.display())))?
            .flatten()
        {
            let target = to.join("keys").join(entry.file_name());
            std::fs::copy(entry.path(), &target)
                .map_err(|e| TownshipError::Invalid(format!("cannot copy {}: {e}", entry.path().display())))?;
        }
        Ok(())
    }
}

impl TownshipStorage for SqliteTownship {
    fn villages(&self) -> Result<Vec<VillageRow>> {
        Ok(self.registry().villages()?)
    }

    fn village(&self, code: &str) -> Result<Option<VillageRow>> {
        Ok(self.registry().village(code)?)
    }

    fn add_village(&self, code: &str, name: &str, id_number_key: Option<[u8; 32]>) -> Result<VillageRow> {
        let code = code.trim().to_ascii_uppercase();
        if self.registry().village(&code)?.is_some() {
            return Err(TownshipError::VillageExists(code));
        }
        let dir = self.village_dir(&code);
        if let Some(key) = id_number_key {
            std::fs::create_dir_all(dir.root.join("keys"))
                .map_err(|e| TownshipError::Invalid(format!("cannot create {}: {e}", dir.root.display())))?;
            dir.replace_id_number_key(&key)?;
        }
        let mut app = App::init(
            &dir,
            Village {
                code: code.clone(),
                name: name.to_string(),
            },
            self.clock.clone(),
        )?;
        app.feed_generation()?;
        for (file, csv) in self.registry().rule_imports()? {
            app.import_rules(&file, &csv)?;
        }
        let row = VillageRow {
            code: app.village().code.clone(),
            name: app.village().name.clone(),
        };
        self.registry().add_village(&row.code, &row.name, &self.now_text())?;
        Ok(row)
    }

    fn id_number_key(&self, village: &str) -> Result<[u8; 32]> {
        if self.registry().village(village)?.is_none() {
            return Err(TownshipError::UnknownVillage(village.to_string()));
        }
        Ok(self.village_dir(village).load_keys()?.id_number_secret)
    }

    fn device(&self, id: &str) -> Result<Option<DeviceRow>> {
        Ok(self.registry().device(id)?)
    }

    fn devices(&self) -> Result<Vec<DeviceRow>> {
        Ok(self.registry().devices()?)
    }

    fn add_device(&self, village: &str, name: &str, public_key: &str, number: Option<u32>) -> Result<DeviceRow> {
        let key = crate::domain::kiosk::parse_public_key(public_key).map_err(TownshipError::Invalid)?;
        if name.trim().is_empty() {
            return Err(TownshipError::Invalid("the device name is empty".into()));
        }
        let row = {
            let registry = self.registry();
            if registry.village(village)?.is_none() {
                return Err(TownshipError::UnknownVillage(village.to_string()));
            }
            let id = crate::domain::kiosk::device_id(&key);
            if registry.device(&id)?.is_some() {
                return Err(TownshipError::DeviceExists(id));
            }
            let number = match number {
                Some(n) => {
                    super::check_number(n)?;
                    if let Some(other) = registry
                        .devices()?
                        .into_iter()
                        .find(|d| d.village == village && d.number == n)
                    {
                        return Err(TownshipError::NumberTaken {
                            village: village.to_string(),
                            number: n,
                            device: other.id,
                        });
                    }
                    n
                }
                None => registry.next_device_number(village)?,
            };
            super::check_number(number)?;
            let row = DeviceRow::registered(id, village, name, public_key_text(&key), number);
            registry.add_device(&row, &self.now_text())?;
            row
        };
        self.with_app(village, |app| app.record_kiosk(&kiosk_record(&row)))?;
        Ok(row)
    }

    fn retire_device(&self, village: &str, device: &str, reason: &str) -> Result<DeviceRow> {
        self.village_device(village, device)?;
        let reason = if reason.trim().is_empty() {
            "停用"
        } else {
            reason.trim()
        };
        self.registry().retire_device(device, reason, self.clock.now())?;
        let row = self.village_device(village, device)?;
        self.with_app(village, |app| app.record_kiosk(&kiosk_record(&row)))?;
        Ok(row)
    }

    fn hello(&self, village: &str, device: &str, hello: Option<&DeviceHello>) -> Result<VillageFacts> {
        let v = self
            .registry()
            .village(village)?
            .ok_or_else(|| TownshipError::UnknownVillage(village.to_string()))?;
        self.village_device(village, device)?;
        match hello {
            Some(h) => self.registry().device_said_hello(
                device,
                &public_key_text(&h.voucher_key),
                h.legacy_serials,
                h.outbox_last,
                self.clock.now(),
            )?,
            None => self.registry().device_seen(device, self.clock.now())?,
        }
        let row = self.village_device(village, device)?;
        let id_number_key = self.id_number_key(village)?;
        let (generation, acked_through, feed_last) = self.with_app(village, |app| {
            app.record_kiosk(&kiosk_record(&row))?;
            Ok((app.feed_generation()?, app.last_received_seq(device)?, app.feed_last()?))
        })?;
        Ok(VillageFacts {
            village: v,
            id_number_key,
            kiosk_number: row.number,
            generation,
            acked_through,
            feed_last,
        })
    }

    fn acked_through(&self, village: &str, device: &str) -> Result<i64> {
        self.with_app(village, |app| app.last_received_seq(device))
    }

    fn township_key(&self) -> Result<SigningKey> {
        Ok(SigningKey::from_bytes(&crate::installation::load_or_create_secret(
            &self.key_path(),
        )?))
    }

    fn mark_restored(&self) -> Result<()> {
        for v in self.villages()? {
            self.with_app(&v.code, |app| app.renew_feed_generation())?;
        }
        Ok(())
    }

    fn remember_nonce(&self, device: &str, nonce: &str, now_unix: i64) -> Result<bool> {
        Ok(self
            .registry()
            .remember_nonce(device, nonce, now_unix, now_unix - NONCE_MEMORY_SECS)?)
    }

    fn receive(&self, village: &str, device: &str, batch: &[IncomingEvent]) -> Result<ReceiveOutcome> {
        self.with_app(village, |app| app.receive_events(device, batch))
    }

    fn retry_set_aside(&self, village: &str, decode: &dyn Fn(&str) -> Option<IncomingEvent>) -> Result<usize> {
        self.with_app(village, |app| app.retry_received(decode))
    }

    fn restock(&self, village: &str, device: &str, item: &str, qty: i64, by: &str) -> Result<CatalogueItemView> {
        self.village_device(village, device)?;
        self.with_app(village, |app| app.restock_for(item, device, qty, by))
    }

    fn changes(&self, village: &str, device: &str, after: i64, limit: usize) -> Result<ChangePage> {
        self.with_app(village, |app| app.changes_after(after, limit, device))
    }

    fn import_households(&self, village: &str, file: &str, bytes: &[u8]) -> Result<ImportReport> {
        self.with_app(village, |app| app.import_households(file, bytes, false))
    }

    fn import_points(&self, village: &str, file: &str, bytes: &[u8]) -> Result<ImportReport> {
        self.with_app(village, |app| app.import_points(file, bytes, false))
    }

    fn import_rules(&self, file: &str, bytes: &[u8]) -> Result<ImportReport> {
        // Checked once on its own first, so a bad file changes no village.
        crate::app::check_rules_csv(file, bytes)?;
        let mut total = ImportReport {
            file: file.to_string(),
            ..ImportReport::default()
        };
        for v in self.villages()? {
            let r = self.with_app(&v.code, |app| app.import_rules(file, bytes))?;
            total.rows = r.rows;
            total.applied += r.applied;
            total.unchanged += r.unchanged;
        }
        self.registry().add_rule_import(file, bytes, &self.now_text())?;
        Ok(total)
    }

    fn rules(&self) -> Result<Vec<RuleItem>> {
        match self.villages()?.first() {
            Some(v) => self.with_app(&v.code, |app| app.rules()),
            None => super::township_rules(self.registry().rule_imports()?),
        }
    }

    fn household(&self, village: &str, code: &str) -> Result<AccountView> {
        self.with_app(village, |app| {
            app.account_view(&Identity::HouseholdCode(code.to_string()))
        })
    }

    fn ranking(&self, village: &str, quarter: Quarter) -> Result<RankingView> {
        self.with_app(village, |app| app.ranking(quarter, None))
    }

    fn areas(&self, village: &str, quarter: Quarter) -> Result<Vec<AreaPoints>> {
        let rows = self.with_app(village, |app| app.merit_by_area(quarter))?;
        Ok(AreaPoints::of(village, rows))
    }

    fn overdrafts(&self, village: &str) -> Result<Vec<OverdraftRow>> {
        self.with_app(village, |app| app.overdrafts())
    }

    fn double_settlements(&self, village: &str) -> Result<Vec<DoubleSettlementRow>> {
        self.with_app(village, |app| app.double_settlements())
    }

    fn sync_problems(&self, village: &str) -> Result<Vec<SetAsideRow>> {
        self.with_app(village, |app| app.set_aside_events())
    }

    fn verify(&self, village: &str) -> Result<Vec<String>> {
        let report = self.with_app(village, |app| app.verify())?;
        Ok(report
            .problems
            .into_iter()
            .map(|p| format!("{}: {}", p.check, p.detail))
            .collect())
    }

    fn summary(&self, village: &str) -> Result<VillageSummary> {
        self.with_app(village, |app| app.summary())
    }

    fn merchants(&self, village: &str, month: Month) -> Result<Vec<MerchantMonth>> {
        self.with_app(village, |app| {
            Ok(merchant_months(village, month, &app.settled_vouchers(month)?))
        })
    }

    fn console(&self) -> &dyn super::console::ConsoleStorage {
        self
    }

    fn honours(&self, village: &str, year: i32, rule: &HonoursRule) -> Result<HonoursView> {
        self.with_app(village, |app| {
            app.set_honours_rule(rule.clone());
            app.honours(year)
        })
    }

    fn sponsors(&self, village: &str) -> Result<Vec<SponsorView>> {
        self.with_app(village, |app| app.sponsors())
    }

    fn award(&self, village: &str, a: &TownshipAward) -> Result<AwardReceipt> {
        self.with_app(village, |app| app.award_ordered(a))
    }

    fn held_voucher(&self, village: &str, serial: &str) -> Result<Option<crate::app::HeldVoucher>> {
        self.with_app(village, |app| app.held_voucher(serial))
    }

    fn settle_at_township(&self, village: &str, serial: &str, merchant: &str, by: &str) -> Result<bool> {
        self.with_app(village, |app| app.settle_at_township(serial, merchant, by))
    }

    fn photo(&self, village: &str, sha256: &str) -> Result<Option<Vec<u8>>> {
        self.with_app(village, |app| app.photo_bytes(sha256))
    }

    fn put_photo(&self, village: &str, sha256: &str, bytes: &[u8]) -> Result<bool> {
        self.with_app(village, |app| app.keep_photo(sha256, bytes))
    }

    fn disputes(&self, village: &str, open_only: bool) -> Result<Vec<DisputeListing>> {
        self.with_app(village, |app| app.dispute_list(open_only))
    }

    fn resolve_dispute(&self, id: &str, resolution: Resolution, note: &str, by: &str) -> Result<DisputeView> {
        for v in self.villages()? {
            if self.with_app(&v.code, |app| app.holds_dispute(id))? {
                return self.with_app(&v.code, |app| app.resolve_dispute(id, resolution, note, by));
            }
        }
        Err(AppError::UnknownDispute(id.trim().to_string()).into())
    }
}
