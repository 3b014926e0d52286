//! The SQLite engine: a registry database at `--db PATH` and, in `PATH`'s sibling
//! folder `<name>.villages/`, one data directory per village with the kiosk's schema.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use super::{AreaPoints, Result, TownshipError, TownshipStorage};
use crate::app::{
    AccountView, App, ChangePage, Identity, ImportReport, IncomingEvent, RankingView, ReceiveOutcome, Village,
};
use crate::domain::clock::Clock;
use crate::domain::period::Quarter;
use crate::domain::rules::RuleItem;
use crate::installation::DataDir;
use crate::store::pg::VillageSummary;
use crate::store::{DeviceRow, OverdraftRow, Registry, VillageRow};

/// Nonces are kept this long (twice the allowed clock skew) and then forgotten.
const NONCE_MEMORY_SECS: i64 = 600;

pub struct SqliteTownship {
    registry: Mutex<Registry>,
    villages_dir: PathBuf,
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
            villages_dir,
            open: Mutex::new(HashMap::new()),
            clock,
        })
    }

    fn registry(&self) -> MutexGuard<'_, Registry> {
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
        let app = Arc::new(Mutex::new(App::open(&self.village_dir(code), self.clock.clone())?));
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

    fn add_device(&self, village: &str, name: &str, public_key: &str) -> Result<DeviceRow> {
        let key = crate::sync::auth::parse_public_key(public_key).map_err(TownshipError::Invalid)?;
        let registry = self.registry();
        if registry.village(village)?.is_none() {
            return Err(TownshipError::UnknownVillage(village.to_string()));
        }
        let id = crate::sync::auth::device_id(&key);
        if registry.device(&id)?.is_some() {
            return Err(TownshipError::DeviceExists(id));
        }
        if name.trim().is_empty() {
            return Err(TownshipError::Invalid("the device name is empty".into()));
        }
        let row = DeviceRow {
            id,
            village: village.to_string(),
            name: name.trim().to_string(),
            public_key: crate::sync::auth::public_key_text(&key),
        };
        registry.add_device(&row, &self.now_text())?;
        Ok(row)
    }

    fn remember_nonce(&self, device: &str, nonce: &str, now_unix: i64) -> Result<bool> {
        Ok(self
            .registry()
            .remember_nonce(device, nonce, now_unix, now_unix - NONCE_MEMORY_SECS)?)
    }

    fn receive(&self, village: &str, device: &str, batch: &[IncomingEvent]) -> Result<ReceiveOutcome> {
        self.with_app(village, |app| app.receive_events(device, batch))
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

    fn verify(&self, village: &str) -> Result<Vec<String>> {
        let report = self.with_app(village, |app| app.verify())?;
        Ok(report
            .problems
            .into_iter()
            .map(|p| format!("{}: {}", p.check, p.detail))
            .collect())
    }

    fn summary(&self, village: &str) -> Result<VillageSummary> {
        self.with_app(village, |app| {
            let data = app.export_data()?;
            let feed = app.sync_status()?;
            Ok(VillageSummary {
                entry_ids: data.entries.iter().map(|e| e.id).collect(),
                balances: data
                    .households
                    .iter()
                    .map(|(h, _)| (h.code.clone(), h.balance))
                    .collect(),
                vouchers: app.vouchers(None)?.len() as i64,
                feed_last: feed.pushed_through + feed.events_waiting,
            })
        })
    }
}
