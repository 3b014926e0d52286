//! Trust (DESIGN.md §9), each attack tried and seen refused with the right reason and
//! nothing written: a kiosk overstepping its authority, a tampered answer on the path,
//! plain HTTP to a remote host, an old household card, clerk commands outside clerk mode,
//! an unauthenticated body, slow clients holding connections, and random requests.
//! On PostgreSQL too with JIFEN_TEST_DATABASE_URL set.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use common::http::{headers_only, send_with};
use common::township::{sync, TestTownship};
use common::{households_csv, qr_token, village, TestVillage};
use jifen::app::{App, AppError, Identity, Village};
use jifen::domain::ledger::{EntryKind, LedgerEntry};
use jifen::domain::records::{EntryRecord, Record, RedemptionRecord, SyncEvent, VoucherRecord};
use jifen::domain::rules::{Area, RuleItem, RuleKind};
use jifen::domain::voucher::VoucherStatus;
use jifen::sync::{ClientOptions, SyncClient, SyncError};
use proptest::prelude::*;

fn township_with_households() -> TestTownship {
    let township = TestTownship::start();
    township.village("YT", "堰头村");
    township.village("DQ", "东桥村");
    township
        .storage
        .import_households("YT", "households.csv", households_csv(1, 3).as_bytes())
        .unwrap();
    township
}

/// A kiosk with nothing in its outbox yet, so the tests choose every event it sends.
fn bare_kiosk(township: &TestTownship) -> (TestVillage, SyncClient) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = jifen::installation::DataDir {
        root: tmp.path().join("data"),
    };
    let clock = Arc::new(common::FixedClock::new(Utc::now()));
    let app = App::init(
        &dir,
        Village {
            code: "YT".into(),
            name: "堰头村".into(),
        },
        clock.clone(),
    )
    .unwrap();
    let k = TestVillage { tmp, dir, clock, app };
    township.register(&k, "大厅");
    let client = township.client(&k);
    (k, client)
}

fn event(seq: i64, kind: &str, subject: &str, records: Vec<Record>) -> SyncEvent {
    SyncEvent {
        id: uuid::Uuid::now_v7(),
        seq,
        kind: kind.into(),
        subject: subject.into(),
        created_at: Utc::now(),
        records,
    }
}

fn entry(household: &str, kind: EntryKind, rule: Option<&str>, delta: i64) -> LedgerEntry {
    LedgerEntry {
        id: uuid::Uuid::now_v7(),
        household: household.into(),
        delta,
        kind,
        rule_code: rule.map(str::to_string),
        reason: "垃圾分类优秀".into(),
        month: "2026-11".parse().unwrap(),
        source: "clerk".into(),
        recorded_by: "值班干部".into(),
        created_at: Utc::now(),
        corrects: None,
    }
}

#[test]
fn a_kiosk_may_push_only_what_a_kiosk_originates_and_nothing_else_is_written() {
    let township = township_with_households();
    let (mut k, client) = bare_kiosk(&township);
    sync(&mut k, &client).unwrap();
    let before = township.storage.summary("YT").unwrap();
    let rules_before = township.storage.rules().unwrap();

    // An award of 50 under a rule that gives at most 5.
    let award = entry("H1", EntryKind::Award, Some("B16"), 50);
    let big = event(
        1,
        "ledger_entry",
        &award.id.to_string(),
        vec![Record::Entry(EntryRecord {
            entry: award,
            dedupe_key: None,
        })],
    );
    // A rule made richer.
    let rule = RuleItem::new("B16", Area::GarbageSorting, RuleKind::Bonus, 50, "垃圾分类优秀").unwrap();
    let richer = event(2, "rule_changed", "B16", vec![Record::Rule(rule)]);
    // A redemption under another village's serial.
    let debit = entry("H2", EntryKind::Redemption, None, -20);
    let redemption = RedemptionRecord {
        id: uuid::Uuid::now_v7().to_string(),
        household: "H2".into(),
        item_code: "MQ".into(),
        qty: 1,
        points: 20,
        ledger_id: debit.id.to_string(),
        recorded_by: "kiosk".into(),
        created_at: Utc::now(),
        voucher: VoucherRecord {
            serial: jifen::domain::voucher::Serial::new("DQ", Some(1), 1).to_string(),
            status: VoucherStatus::Pending,
            qr_payload: "JFV1|x".into(),
            issued_at: Utc::now(),
            expires_on: "2027-01-01".parse().unwrap(),
            settled_at: None,
            settled_merchant: None,
            settled_by: None,
            settled_device: None,
            void_reason: None,
            refund_ledger_id: None,
        },
        fund: None,
    };
    let foreign = event(
        3,
        "redemption",
        &redemption.id.clone(),
        vec![
            Record::Entry(EntryRecord {
                entry: debit,
                dedupe_key: None,
            }),
            Record::Redemption(redemption),
        ],
    );
    // And one a kiosk may send: a clerk's award within its rule.
    let fair = entry("H3", EntryKind::Award, Some("B16"), 5);
    let fair = event(
        4,
        "ledger_entry",
        &fair.id.to_string(),
        vec![Record::Entry(EntryRecord {
            entry: fair,
            dedupe_key: None,
        })],
    );

    let answer = client.push(&[big, richer, foreign, fair]).unwrap();
    let refused = answer.refused.expect("the push is refused (422)");
    assert!(refused.reason.contains("gives at most 5 points"), "{}", refused.reason);
    let reasons: Vec<&str> = answer.set_aside.iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(reasons[1].contains("may not change the rules"), "{reasons:?}");
    assert!(reasons[2].contains("not of village YT"), "{reasons:?}");
    assert_eq!(answer.acked_through, 4, "held, so the kiosk does not send them forever");

    // Nothing of the three was written; the fair award was.
    let after = township.storage.summary("YT").unwrap();
    assert_eq!(after.entry_ids.len(), before.entry_ids.len() + 1);
    assert_eq!(township.storage.household("YT", "H1").unwrap().balance, 0);
    assert_eq!(township.storage.household("YT", "H2").unwrap().balance, 0);
    assert_eq!(township.storage.household("YT", "H3").unwrap().balance, 5);
    assert_eq!(township.storage.rules().unwrap(), rules_before);
    assert_eq!(after.vouchers, 0);
    let problems = township.storage.sync_problems("YT").unwrap();
    assert_eq!(problems.iter().filter(|p| p.forbidden).count(), 3, "{problems:?}");
    assert!(township.storage.verify("YT").unwrap().is_empty());
}

/// A man in the middle: forwards each request to the township and rewrites its answer.
fn rewriting_proxy(upstream: &str, rewrite: fn(Vec<u8>) -> Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let upstream = upstream.trim_start_matches("http://").to_string();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let upstream = upstream.clone();
            std::thread::spawn(move || {
                let _ = proxy_one(client, &upstream, rewrite);
            });
        }
    });
    url
}

fn read_message(r: &mut BufReader<TcpStream>) -> std::io::Result<(Vec<String>, Vec<u8>)> {
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        head.push(line.trim_end().to_string());
    }
    let length = head
        .iter()
        .find_map(|h| {
            h.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap_or(0))
        })
        .unwrap_or(0);
    let mut body = vec![0; length];
    r.read_exact(&mut body)?;
    Ok((head, body))
}

fn proxy_one(client: TcpStream, upstream: &str, rewrite: fn(Vec<u8>) -> Vec<u8>) -> std::io::Result<()> {
    let mut from_client = BufReader::new(client.try_clone()?);
    let (head, body) = read_message(&mut from_client)?;
    let mut server = TcpStream::connect(upstream)?;
    for h in head
        .iter()
        .filter(|h| !h.to_ascii_lowercase().starts_with("connection:"))
    {
        write!(server, "{h}\r\n")?;
    }
    write!(server, "connection: close\r\n\r\n")?;
    server.write_all(&body)?;
    let (head, body) = read_message(&mut BufReader::new(server))?;
    let body = rewrite(body);
    let mut client = client;
    for h in head.iter().filter(|h| {
        let h = h.to_ascii_lowercase();
        !h.starts_with("content-length:") && !h.starts_with("connection:")
    }) {
        write!(client, "{h}\r\n")?;
    }
    write!(client, "content-length: {}\r\nconnection: close\r\n\r\n", body.len())?;
    client.write_all(&body)
}

#[test]
fn a_page_rewritten_on_the_path_is_refused_and_nothing_is_applied() {
    let township = township_with_households();
    let sheet = "month,household_code,rule_code,points,note,recorded_by\n2026-11,H1,B16,5,,网格员\n";
    township.storage.import_points("YT", "s.csv", sheet.as_bytes()).unwrap();
    let mut k = village();
    township.register(&k, "大厅");
    // Whoever sits on the path turns the 5 points into 500.
    let proxy = rewriting_proxy(&township.url, |body| {
        String::from_utf8_lossy(&body)
            .replace("\"delta\":5", "\"delta\":500")
            .into_bytes()
    });
    let client = township.client_at(&proxy, &k);
    let err = sync(&mut k, &client).unwrap_err();
    assert!(matches!(err, SyncError::Unsigned(_)), "{err}");
    assert!(err.words().contains("不是乡镇服务器签发的"), "{}", err.words());
    assert_eq!(k.app.sync_cursor().unwrap(), 0, "nothing applied");
    assert!(k.app.households().unwrap().is_empty());
    // Straight to the township, the same round goes through.
    let direct = township.client(&k);
    sync(&mut k, &direct).unwrap();
    assert_eq!(k.balance("H1"), 5);
}

#[test]
fn plain_http_goes_only_to_this_machine_unless_the_config_allows_it() {
    let township = township_with_households();
    let k = village();
    let options = |allow| ClientOptions {
        timeout: Duration::from_secs(1),
        township_key: township.key(),
        allow_plain_http: allow,
    };
    let remote = "http://192.0.2.10:8080";
    let err = SyncClient::new(remote, k.app.device_signing_key(), "YT", &options(false))
        .err()
        .unwrap();
    assert!(matches!(err, SyncError::PlainHttp(_)), "{err}");
    assert!(err.to_string().contains("allow_plain_http"), "{err}");
    assert!(SyncClient::new(remote, k.app.device_signing_key(), "YT", &options(true)).is_ok());
    // The CLI says so in one line.
    let key = jifen::sync::auth::public_key_text(&township.key());
    let out = common::jifen(&k.dir.root, &["sync", "once", "--url", remote, "--township-key", &key]);
    assert!(!out.status.success());
    assert!(
        common::stderr(&out).contains("refusing plain http://"),
        "{}",
        common::stderr(&out)
    );
}

#[test]
fn an_old_household_card_stops_working_at_once_and_at_every_kiosk_after_sync() {
    let township = township_with_households();
    let mut hall = village();
    township.register(&hall, "大厅");
    let hall_client = township.client(&hall);
    sync(&mut hall, &hall_client).unwrap();
    let mut care = village();
    township.register(&care, "养老中心");
    let care_client = township.client(&care);
    sync(&mut care, &care_client).unwrap();
    let old = qr_token(1);
    assert_eq!(care.app.identify(&Identity::QrToken(old.clone())).unwrap(), "H1");

    // H1's card is lost; the hall's clerk issues a new one.
    let card = hall.app.household_card("H1", true, "值班干部").unwrap();
    let new = card.fields.get("qr").unwrap().clone();
    assert!(new.len() >= 20 && new != old);
    assert!(matches!(
        hall.app.identify(&Identity::QrToken(old.clone())),
        Err(AppError::UnknownQrToken)
    ));
    assert_eq!(hall.app.identify(&Identity::QrToken(new.clone())).unwrap(), "H1");
    sync(&mut hall, &hall_client).unwrap();
    sync(&mut care, &care_client).unwrap();
    assert!(matches!(
        care.app.identify(&Identity::QrToken(old)),
        Err(AppError::UnknownQrToken)
    ));
    assert_eq!(care.app.identify(&Identity::QrToken(new)).unwrap(), "H1");
    let actions = hall.app.clerk_actions(10).unwrap();
    assert!(
        actions.iter().any(|a| a.action == "card" && a.clerk == "值班干部"),
        "{actions:?}"
    );
}

#[test]
fn the_kiosk_worker_runs_clerk_commands_only_in_an_unlocked_clerk_session() {
    use jifen::ui::{Command, Reply};
    let mut v = village();
    v.households(1);
    v.item("MQ", 20, Some(5));
    v.app.add_clerk("值班干部", "201911").unwrap();
    let app = App::open(&v.dir, v.clock.clone()).unwrap();
    let (commands, from_ui) = std::sync::mpsc::channel();
    let (to_ui, replies) = std::sync::mpsc::channel();
    let printer = jifen::print::PrinterDevice {
        url: jifen::print::url::PrinterUrl::Preview(v.tmp.path().join("previews")),
        mode: jifen::print::PrintMode::Raster,
        width: Default::default(),
        templates: None,
    };
    let worker = jifen::ui::spawn_worker(app, printer, from_ui, to_ui, jifen::ui::Liveness::default());
    let ask = |c: Command| {
        commands.send(c).unwrap();
        replies.recv_timeout(Duration::from_secs(10)).unwrap()
    };
    let restock = || Command::Restock {
        code: "MQ".into(),
        add: 10,
    };
    assert!(matches!(ask(restock()), Reply::ClerkRefused { .. }), "no PIN yet");
    assert!(matches!(
        ask(Command::Settle {
            presented: "JFV1|x".into()
        }),
        Reply::ClerkRefused { .. }
    ));
    assert!(matches!(ask(Command::UnlockClerk("201911".into())), Reply::ClerkIn(_)));
    assert!(matches!(ask(restock()), Reply::Done(_)));
    commands.send(Command::LockClerk).unwrap();
    assert!(matches!(ask(restock()), Reply::ClerkRefused { .. }), "locked again");
    drop(commands);
    worker.join().unwrap();
    let shelf = v.app.catalogue().unwrap()[0].stock;
    assert_eq!(shelf, Some(15), "restocked once, in the session only");
    let actions = v.app.clerk_actions(10).unwrap();
    assert!(
        actions.iter().any(|a| a.action == "restock" && a.clerk == "值班干部"),
        "{actions:?}"
    );
}

/// The real server (its own accept loop, limits and all) on the township's storage.
fn hardened(township: &TestTownship) -> (String, tokio::runtime::Runtime) {
    let state =
        jifen::sync::server::ServerState::new(township.storage.clone(), Arc::new(jifen::domain::clock::SystemClock))
            .unwrap();
    jifen::sync::server::start_in_background(state).unwrap()
}

#[test]
fn an_unauthenticated_big_body_is_answered_401_before_it_is_sent() {
    let township = township_with_households();
    let (url, _server) = hardened(&township);
    let answer = headers_only(&url, "POST", "/v1/villages/YT/events", 4 * 1024 * 1024, &[]);
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(answer.contains("not signed"), "{answer}");
}

#[test]
fn three_hundred_slow_clients_do_not_keep_a_signed_kiosk_from_syncing() {
    let township = township_with_households();
    let (url, _server) = hardened(&township);
    let addr = url.trim_start_matches("http://").to_string();
    // Each opens a connection and sends half a request line, then nothing.
    let slow: Vec<TcpStream> = (0..300)
        .map(|_| {
            let mut s = TcpStream::connect(&addr).unwrap();
            s.write_all(b"POST /v1/villages/YT/events HTTP/1.1\r\nhost: x\r\n")
                .unwrap();
            s
        })
        .collect();
    let mut k = village();
    township.register(&k, "大厅");
    let client = township.client_at(&url, &k);
    let started = Instant::now();
    sync(&mut k, &client).unwrap();
    let took = started.elapsed();
    println!("a kiosk's round beside 300 slow clients: {took:?}");
    assert!(
        took < Duration::from_secs(3),
        "{took:?}: the slow clients held the server up"
    );
    assert_eq!(k.app.households().unwrap().len(), 3);
    drop(slow);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Random methods, paths, headers and bodies: never a panic or a 5xx, and nothing is
    /// written without a valid signature.
    #[test]
    fn random_requests_never_break_the_server_or_write_anything(
        requests in proptest::collection::vec((
            prop_oneof![Just("GET"), Just("POST")],
            prop_oneof![
                Just("/v1/health".to_string()),
                Just("/v1/villages/YT".to_string()),
                Just("/v1/villages/YT/hello".to_string()),
                Just("/v1/villages/YT/events".to_string()),
                Just("/v1/villages/YT/changes?after=0&limit=5".to_string()),
                "/v1/villages/[A-Z]{0,3}/[a-z]{0,8}",
                "/[a-zA-Z0-9_./=&?-]{0,24}",
            ],
            proptest::collection::vec((
                prop_oneof![
                    Just("jifen-device"), Just("jifen-timestamp"), Just("jifen-nonce"),
                    Just("content-digest"), Just("jifen-signature"), Just("x-other")
                ],
                "[!-~]{1,40}",
            ), 0..6),
            proptest::collection::vec(any::<u8>(), 0..300),
        ), 1..8)
    ) {
        let township = township_with_households();
        let (url, _server) = hardened(&township);
        let before = township.storage.summary("YT").unwrap();
        for (method, path, headers, body) in &requests {
            let headers: Vec<(&'static str, String)> = headers.iter().map(|(k, v)| (*k, v.clone())).collect();
            let r = send_with(&url, method, path, body, &headers);
            prop_assert!(r.status < 500, "{} {} answered {}: {}", method, path, r.status, r.body);
        }
        let after = township.storage.summary("YT").unwrap();
        prop_assert_eq!(after, before);
    }
}

#[test]
fn the_township_reaches_postgresql_over_tls_checked_against_its_own_ca() {
    let (Ok(admin), Ok(tls_url), Ok(other_ca)) = (
        std::env::var(common::township::POSTGRES_ENV),
        std::env::var("JIFEN_TEST_DATABASE_TLS_URL"),
        std::env::var("JIFEN_TEST_OTHER_CA"),
    ) else {
        return; // Only beside the throw-away PostgreSQL of .ci/with-postgres.
    };
    let ca = tls_url.split("sslrootcert=").nth(1).unwrap().to_string();
    let scratch = jifen::store::pg::ScratchDatabase::create(&admin, "jifen_tls").unwrap();
    let at = |query: &str| format!("{}?{query}", scratch.url.replace("127.0.0.1", "localhost"));
    let clock = Arc::new(jifen::domain::clock::SystemClock);
    let connect = |url: String| jifen::township::PgTownship::connect(&url, 2, clock.clone());

    let township = connect(at(&format!("sslmode=verify-full&sslrootcert={ca}"))).unwrap();
    use jifen::township::TownshipStorage;
    township.add_village("YT", "堰头村", None).unwrap();
    assert_eq!(township.villages().unwrap().len(), 1);
    assert!(connect(at("sslmode=require")).is_ok(), "encrypted, unverified");

    let err = connect(at(&format!("sslmode=verify-full&sslrootcert={other_ca}")))
        .err()
        .unwrap();
    assert!(err.to_string().to_lowercase().contains("certificate"), "{err}");
    let err = connect(at("sslmode=disable")).err().unwrap();
    assert!(
        err.to_string().contains("no encryption") || err.to_string().contains("pg_hba"),
        "{err}"
    );
    // A local socket needs no TLS, whatever the URL says.
    if let Ok(socket) = std::env::var("JIFEN_TEST_DATABASE_SOCKET_URL") {
        let db = scratch.url.rsplit('/').next().unwrap();
        let local = format!("{}/{db}?sslmode=require", socket.trim_end_matches("/postgres"));
        let township = connect(local.clone()).unwrap_or_else(|e| panic!("{local}: {e:?}"));
        assert_eq!(township.villages().unwrap().len(), 1);
    }
    // The name checked: the certificate is for localhost, not for this address.
    let by_ip = format!(
        "{}?sslmode=verify-full&sslrootcert={ca}",
        scratch.url.replace("127.0.0.1", "127.0.0.2")
    );
    assert!(connect(by_ip).is_err());
}
