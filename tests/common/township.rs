//! A real township server on loopback for sync tests, behind a fault layer that can
//! fail, delay or duplicate the next requests, and kiosks registered with it.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use jifen::domain::clock::SystemClock;
use jifen::store::pg::ScratchDatabase;
use jifen::sync::server::{router, ServerState};
use jifen::sync::{sync_once, ClientOptions, SyncClient, SyncError, SyncReport};
use jifen::township::{PgTownship, SqliteTownship, TownshipStorage};
use tower::ServiceExt;

use super::TestVillage;

/// The client's timeout in these tests; `Fault::Lost` waits longer than this.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Push,
    Pull,
    /// A photo's bytes, fetched or sent.
    Photo,
    /// A photo's download continued past its first chunk (a cut here is mid-transfer).
    PhotoContinued,
    Any,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 500 before the server sees the request: nothing committed.
    Fail500,
    /// The server commits, then the answer never arrives in time (connection lost).
    Lost,
    /// The request reaches the server twice; the client gets the second answer.
    Twice,
    /// 429 before the server sees the request, as its per-kiosk rate limit answers.
    SlowDown,
}

#[derive(Default)]
pub struct Faults {
    queue: Mutex<VecDeque<(Route, Fault)>>,
    pub seen: Mutex<Vec<(String, u16)>>,
}

impl Faults {
    pub fn next(&self, route: Route, fault: Fault) {
        self.queue.lock().unwrap().push_back((route, fault));
    }

    /// Drops faults that found no request to act on.
    pub fn clear(&self) {
        self.queue.lock().unwrap().clear();
    }

    fn take(&self, path: &str) -> Option<Fault> {
        let bare = path.split('?').next().unwrap_or(path);
        let route = if bare.ends_with("/events") {
            Route::Push
        } else if bare.ends_with("/changes") {
            Route::Pull
        } else if bare.contains("/evidence/") && path.contains("from=") && !path.contains("from=0") {
            Route::PhotoContinued
        } else if bare.contains("/evidence/") {
            Route::Photo
        } else {
            return None;
        };
        let mut q = self.queue.lock().unwrap();
        let i = q.iter().position(|(r, _)| *r == route || *r == Route::Any)?;
        q.remove(i).map(|(_, f)| f)
    }
}

/// With this set to a PostgreSQL URL (a role that may create databases), every township in
/// the tests runs on PostgreSQL, each in a database of its own; otherwise on SQLite.
pub const POSTGRES_ENV: &str = "JIFEN_TEST_DATABASE_URL";

pub struct TestTownship {
    pub tmp: tempfile::TempDir,
    pub storage: Arc<dyn TownshipStorage>,
    pub url: String,
    pub faults: Arc<Faults>,
    /// The SQLite engine itself (None on PostgreSQL), for backups and restores.
    pub sqlite: Option<Arc<SqliteTownship>>,
    runtime: Option<tokio::runtime::Runtime>,
    /// The throw-away PostgreSQL database, dropped with the township (after the server).
    pub postgres: Option<ScratchDatabase>,
}

impl TestTownship {
    pub fn start() -> TestTownship {
        let tmp = tempfile::tempdir().unwrap();
        let faults = Arc::new(Faults::default());
        let (storage, sqlite, postgres): (Arc<dyn TownshipStorage>, _, _) = match std::env::var(POSTGRES_ENV) {
            Ok(admin) => {
                let scratch = ScratchDatabase::create(&admin, "jifen_test").unwrap();
                let storage = PgTownship::connect(&scratch.url, 8, Arc::new(SystemClock)).unwrap();
                (Arc::new(storage), None, Some(scratch))
            }
            Err(_) => {
                let db = tmp.path().join("township.sqlite3");
                let t = Arc::new(SqliteTownship::open(&db, Arc::new(SystemClock)).unwrap());
                (t.clone(), Some(t), None)
            }
        };
        let mut township = TestTownship {
            tmp,
            storage,
            url: String::new(),
            faults,
            sqlite,
            runtime: None,
            postgres,
        };
        township.serve();
        township
    }

    /// Serves the storage on a new port behind the fault layer.
    fn serve(&mut self) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let inner = router(ServerState::new(self.storage.clone(), Arc::new(SystemClock)).unwrap());
        let f = self.faults.clone();
        let app = axum::Router::new().fallback(move |req: Request<Body>| {
            let inner = inner.clone();
            let faults = f.clone();
            async move { with_faults(inner, faults, req).await }
        });
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        self.url = format!("http://{}", listener.local_addr().unwrap());
        runtime.spawn(async move { axum::serve(listener, app).await });
        self.runtime = Some(runtime);
    }

    /// The township's database file (SQLite engine).
    pub fn db(&self) -> std::path::PathBuf {
        self.tmp.path().join("township.sqlite3")
    }

    /// An online backup into a new folder (SQLite engine).
    pub fn backup(&self) -> std::path::PathBuf {
        let out = self.tmp.path().join(format!("backup-{}", uuid::Uuid::now_v7()));
        self.sqlite
            .as_ref()
            .expect("backups are of the SQLite engine")
            .backup(&out)
            .unwrap();
        out
    }

    /// Stops the server, puts the backup back, and serves again (on a new port: make new
    /// clients with `client`).
    pub fn restore(&mut self, from: &std::path::Path) {
        self.runtime = None;
        SqliteTownship::restore(from, &self.db()).unwrap();
        let t = Arc::new(SqliteTownship::open(&self.db(), Arc::new(SystemClock)).unwrap());
        self.storage = t.clone();
        self.sqlite = Some(t);
        self.serve();
    }

    /// Registers a village with the standard rules and the tests' own (`TEST_RULES_CSV`).
    pub fn village(&self, code: &str, name: &str) {
        self.storage.add_village(code, name, None).unwrap();
        self.storage
            .import_rules("test-rules.csv", super::TEST_RULES_CSV.as_bytes())
            .unwrap();
    }

    /// Registers the village of a kiosk that began on its own, as such a village joins:
    /// with the kiosk's ID-number key, and its `households` (H1..Hn of
    /// `TestVillage::households`) imported here from the same file.
    pub fn adopt(&self, kiosk: &mut TestVillage, households: u32) {
        let code = kiosk.app.village().code.clone();
        let key = kiosk.app.id_number_secret().unwrap();
        self.storage
            .add_village(&code, &format!("{code}村"), Some(key))
            .unwrap();
        self.storage
            .import_rules("test-rules.csv", super::TEST_RULES_CSV.as_bytes())
            .unwrap();
        if households > 0 {
            self.storage
                .import_households(&code, "households.csv", super::households_csv(1, households).as_bytes())
                .unwrap();
        }
    }

    pub fn register(&self, kiosk: &TestVillage, name: &str) -> String {
        let key = kiosk.app.device_signing_key().verifying_key();
        let text = jifen::sync::auth::public_key_text(&key);
        self.storage
            .add_device(&kiosk.app.village().code, name, &text, None)
            .unwrap()
            .id
    }

    /// The township's public key, as a kiosk is given it at enrolment.
    pub fn key(&self) -> ed25519_dalek::VerifyingKey {
        self.storage.township_key().unwrap().verifying_key()
    }

    pub fn client(&self, kiosk: &TestVillage) -> SyncClient {
        self.client_at(&self.url, kiosk)
    }

    /// A kiosk's client for another address (a dead link, a proxy).
    pub fn client_at(&self, url: &str, kiosk: &TestVillage) -> SyncClient {
        let options = ClientOptions {
            timeout: CLIENT_TIMEOUT,
            township_key: self.key(),
            allow_plain_http: false,
        };
        SyncClient::new(url, kiosk.app.device_signing_key(), &kiosk.app.village().code, &options).unwrap()
    }

    /// A one-row scoring sheet for `household` under `rule`, imported at the township.
    pub fn score(&self, village: &str, month: &str, household: &str, rule: &str, points: i64) {
        let csv = format!(
            "month,household_code,rule_code,points,note,recorded_by\n{month},{household},{rule},{points},,乡镇\n"
        );
        let file = format!("{month}-{household}-{rule}.csv");
        self.storage.import_points(village, &file, csv.as_bytes()).unwrap();
    }
}

/// A township village YT with households H1..H4 of 100 points each, scored at the township.
pub fn township_with_village() -> TestTownship {
    let township = TestTownship::start();
    township.village("YT", "堰头村");
    township
        .storage
        .import_households("YT", "households.csv", super::households_csv(1, 4).as_bytes())
        .unwrap();
    let mut sheet = String::from("month,household_code,rule_code,points,note,recorded_by\n");
    for h in 1..=4 {
        sheet.push_str(&format!("2026-10,H{h},T01,100,,乡镇\n"));
    }
    township
        .storage
        .import_points("YT", "2026-10.csv", sheet.as_bytes())
        .unwrap();
    township
}

/// A new kiosk box of YT, registered at the township and synced once.
pub fn new_kiosk(township: &TestTownship, name: &str) -> (TestVillage, SyncClient, String) {
    let mut k = super::village();
    let device = township.register(&k, name);
    let client = township.client(&k);
    sync(&mut k, &client).unwrap();
    (k, client, device)
}

pub fn sync(kiosk: &mut TestVillage, client: &SyncClient) -> Result<SyncReport, SyncError> {
    sync_once(&mut kiosk.app, client)
}

/// Syncs until a round succeeds (at most `rounds`), as the kiosk's loop would.
pub fn sync_until_ok(kiosk: &mut TestVillage, client: &SyncClient, rounds: usize) -> SyncReport {
    let mut last = None;
    for _ in 0..rounds {
        match sync(kiosk, client) {
            Ok(r) => return r,
            Err(e) => last = Some(e),
        }
    }
    panic!("sync did not succeed in {rounds} rounds: {last:?}");
}

/// Each ledger entry once on both sides, equal balances, vouchers and shelves, no shelf
/// below zero, `verify` clean on both.
pub fn assert_converged(township: &TestTownship, kiosk: &mut TestVillage) {
    let code = kiosk.app.village().code.clone();
    let here = kiosk.app.summary().unwrap();
    let there = township.storage.summary(&code).unwrap();
    let mut unique = here.entry_ids.clone();
    unique.dedup();
    assert_eq!(unique.len(), here.entry_ids.len(), "an entry is twice on the kiosk");
    let mut unique = there.entry_ids.clone();
    unique.dedup();
    assert_eq!(unique.len(), there.entry_ids.len(), "an entry is twice at the township");
    assert_eq!(
        here.entry_ids, there.entry_ids,
        "kiosk and township hold different entries"
    );
    assert_eq!(here.balances, there.balances, "balances differ");
    assert_eq!(here.voucher_states, there.voucher_states, "vouchers differ");
    assert_eq!(here.shelves, there.shelves, "shelves differ");
    assert!(
        here.shelves.iter().all(|(_, _, n)| *n >= 0),
        "a shelf below zero: {:?}",
        here.shelves
    );
    let v = kiosk.app.verify().unwrap();
    assert!(v.ok, "kiosk verify: {:?}", v.problems);
    let problems = township.storage.verify(&code).unwrap();
    assert!(problems.is_empty(), "township verify: {problems:?}");
}

async fn with_faults(inner: axum::Router, faults: Arc<Faults>, req: Request<Body>) -> Response {
    let path = req.uri().path().to_string();
    let target = req.uri().path_and_query().map_or(path.clone(), |p| p.to_string());
    let fault = faults.take(&target);
    let response = match fault {
        None => inner.oneshot(req).await.into_response(),
        Some(Fault::Fail500) => (StatusCode::INTERNAL_SERVER_ERROR, "injected failure").into_response(),
        Some(Fault::SlowDown) => (StatusCode::TOO_MANY_REQUESTS, "too many requests from this kiosk").into_response(),
        Some(Fault::Lost) => {
            let r = inner.oneshot(req).await.into_response();
            tokio::time::sleep(CLIENT_TIMEOUT + Duration::from_secs(1)).await;
            r
        }
        Some(Fault::Twice) => {
            let (parts, body) = req.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
            let first = Request::from_parts(parts.clone(), Body::from(bytes.clone()));
            let _ = inner.clone().oneshot(first).await;
            let second = Request::from_parts(parts, Body::from(bytes));
            inner.oneshot(second).await.into_response()
        }
    };
    faults.seen.lock().unwrap().push((path, response.status().as_u16()));
    response
}
