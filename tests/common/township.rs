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
use jifen::sync::{sync_once, SyncClient, SyncError, SyncReport};
use jifen::township::{PgTownship, SqliteTownship, TownshipStorage};
use tower::ServiceExt;

use super::TestVillage;

/// The client's timeout in these tests; `Fault::Lost` waits longer than this.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Push,
    Pull,
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
        let route = if path.ends_with("/events") {
            Route::Push
        } else if path.ends_with("/changes") {
            Route::Pull
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
    _runtime: tokio::runtime::Runtime,
    /// The throw-away PostgreSQL database, dropped with the township (after the server).
    _postgres: Option<ScratchDatabase>,
}

impl TestTownship {
    pub fn start() -> TestTownship {
        let tmp = tempfile::tempdir().unwrap();
        let faults = Arc::new(Faults::default());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (storage, postgres): (Arc<dyn TownshipStorage>, _) = match std::env::var(POSTGRES_ENV) {
            Ok(admin) => {
                let scratch = ScratchDatabase::create(&admin, "jifen_test").unwrap();
                let storage = PgTownship::connect(&scratch.url, 8, Arc::new(SystemClock)).unwrap();
                (Arc::new(storage), Some(scratch))
            }
            Err(_) => {
                let db = tmp.path().join("township.sqlite3");
                (
                    Arc::new(SqliteTownship::open(&db, Arc::new(SystemClock)).unwrap()),
                    None,
                )
            }
        };
        let inner = router(ServerState {
            storage: storage.clone(),
            clock: Arc::new(SystemClock),
        });
        let f = faults.clone();
        let app = axum::Router::new().fallback(move |req: Request<Body>| {
            let inner = inner.clone();
            let faults = f.clone();
            async move { with_faults(inner, faults, req).await }
        });
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        runtime.spawn(async move { axum::serve(listener, app).await });
        TestTownship {
            tmp,
            storage,
            url,
            faults,
            _runtime: runtime,
            _postgres: postgres,
        }
    }

    /// Registers a village; with `kiosk`, takes that kiosk's ID-number key.
    pub fn village(&self, code: &str, name: &str, kiosk: Option<&TestVillage>) {
        let key = kiosk.map(|k| k.app.id_number_secret());
        self.storage.add_village(code, name, key).unwrap();
    }

    pub fn register(&self, kiosk: &TestVillage, name: &str) -> String {
        let key = kiosk.app.device_signing_key().verifying_key();
        let text = jifen::sync::auth::public_key_text(&key);
        self.storage
            .add_device(&kiosk.app.village().code, name, &text)
            .unwrap()
            .id
    }

    pub fn client(&self, kiosk: &TestVillage) -> SyncClient {
        SyncClient::new(
            &self.url,
            kiosk.app.device_signing_key(),
            &kiosk.app.village().code,
            CLIENT_TIMEOUT,
        )
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

pub fn sync(kiosk: &mut TestVillage, client: &SyncClient) -> Result<SyncReport, SyncError> {
    sync_once(&mut kiosk.app, &kiosk.dir, client)
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

/// Each ledger entry once on both sides, equal balances, `verify` clean on both.
pub fn assert_converged(township: &TestTownship, kiosk: &mut TestVillage) {
    let code = kiosk.app.village().code.clone();
    let here = kiosk.app.export_data().unwrap();
    let there = township.storage.summary(&code).unwrap();
    let mut ids_here: Vec<_> = here.entries.iter().map(|e| e.id).collect();
    let mut ids_there: Vec<_> = there.entry_ids.clone();
    let n_here = ids_here.len();
    let n_there = ids_there.len();
    ids_here.sort();
    ids_here.dedup();
    ids_there.sort();
    ids_there.dedup();
    assert_eq!(ids_here.len(), n_here, "an entry is twice on the kiosk");
    assert_eq!(ids_there.len(), n_there, "an entry is twice at the township");
    assert_eq!(ids_here, ids_there, "kiosk and township hold different entries");
    let mut balances_here: Vec<_> = here
        .households
        .iter()
        .map(|(h, _)| (h.code.clone(), h.balance))
        .collect();
    let mut balances_there = there.balances.clone();
    balances_here.sort();
    balances_there.sort();
    assert_eq!(balances_here, balances_there, "balances differ");
    let v = kiosk.app.verify().unwrap();
    assert!(v.ok, "kiosk verify: {:?}", v.problems);
    let problems = township.storage.verify(&code).unwrap();
    assert!(problems.is_empty(), "township verify: {problems:?}");
}

async fn with_faults(inner: axum::Router, faults: Arc<Faults>, req: Request<Body>) -> Response {
    let path = req.uri().path().to_string();
    let fault = faults.take(&path);
    let response = match fault {
        None => inner.oneshot(req).await.into_response(),
        Some(Fault::Fail500) => (StatusCode::INTERNAL_SERVER_ERROR, "injected failure").into_response(),
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
