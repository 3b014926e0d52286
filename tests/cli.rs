//! The admin CLI as operators and scripts use it: JSON documents, one-line errors with
//! a non-zero exit, and `verify` catching a database corrupted by hand.

mod common;

use common::*;

fn demo_dir() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let out = jifen(&dir, &["admin", "demo", "--json"]);
    let summary = json(&out);
    assert_eq!(summary["households"], 60);
    (tmp, dir)
}

#[test]
fn the_demo_village_has_sixty_households_in_three_grids_and_the_full_rule_set() {
    let (_tmp, dir) = demo_dir();
    let rules = json(&jifen(&dir, &["admin", "rules", "list", "--json"]));
    let rules = rules.as_array().unwrap();
    let bonus = rules.iter().filter(|r| r["kind"] == "bonus").count();
    let deduction = rules.iter().filter(|r| r["kind"] == "deduction").count();
    assert_eq!((bonus, deduction), (26, 25));
    for area in ["遵纪守法", "平安创建", "环境整治", "垃圾分类", "家风家训"] {
        assert!(rules.iter().any(|r| r["area"] == area), "no rule in {area}");
    }
    let households = json(&jifen(&dir, &["admin", "household", "list", "--json"]));
    let grids: std::collections::BTreeSet<String> = households
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["grid"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(grids.len(), 3);
    // Twelve months of history up to the current month.
    let view = json(&jifen(&dir, &["admin", "household", "show", "YT-001", "--json"]));
    let months: std::collections::BTreeSet<&str> = view["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["month"].as_str().unwrap())
        .collect();
    assert!(months.len() >= 10, "{months:?}");
    let catalogue = json(&jifen(&dir, &["admin", "catalogue", "list", "--json"]));
    assert!(catalogue
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["name"] == "面券" && i["merchant"] == "堰头面馆"));
    let verify = jifen(&dir, &["admin", "verify", "--json"]);
    assert_eq!(json(&verify)["ok"], true);
}

#[test]
fn household_show_finds_a_household_by_code_qr_token_or_id_number_from_stdin() {
    let (_tmp, dir) = demo_dir();
    let by_code = json(&jifen(&dir, &["admin", "household", "show", "YT-001", "--json"]));
    for key in [
        "household_code",
        "balance",
        "earned_month",
        "earned_quarter",
        "rank",
        "entries",
    ] {
        assert!(by_code.get(key).is_some(), "account view lacks {key}");
    }
    let token = jifen::app::demo::demo_qr_token(0);
    let by_qr = json(&jifen(&dir, &["admin", "household", "show", "--qr", &token, "--json"]));
    assert_eq!(by_qr["household_code"], "YT-001");
    let id = jifen::app::demo::demo_id_number(0, 0);
    let by_id = json(&jifen_with_stdin(
        &dir,
        &["admin", "household", "show", "--id-number", "-", "--json"],
        &id,
    ));
    assert_eq!(by_id["household_code"], "YT-001");
    assert_eq!(by_id["balance"], by_code["balance"]);
    // Names are masked, and the ID number appears only as its last four characters.
    let text = stdout(&jifen_with_stdin(
        &dir,
        &["admin", "household", "show", "--id-number", "-"],
        &id,
    ));
    assert!(text.contains("积分余额"), "{text}");
    assert!(!text.contains(&id[..14]));
}

#[test]
fn redeem_and_settle_through_the_cli_then_refuse_the_second_settlement() {
    let (_tmp, dir) = demo_dir();
    let rich = json(&jifen(&dir, &["admin", "ranking", "--json"]));
    let household = rich["rows"][0]["household_code"].as_str().unwrap().to_string();
    jifen(
        &dir,
        &[
            "admin",
            "points",
            "award",
            "--household",
            &household,
            "--rule",
            "B22",
            "--points",
            "40",
        ],
    );
    let r = json(&jifen(
        &dir,
        &[
            "admin",
            "--by",
            "值班干部",
            "redeem",
            "--household",
            &household,
            "--item",
            "NOODLE",
            "--json",
        ],
    ));
    for key in ["serial", "points", "balance_after"] {
        assert!(r.get(key).is_some(), "redemption lacks {key}");
    }
    let serial = r["serial"].as_str().unwrap();
    let qr = r["qr_payload"].as_str().unwrap();
    let settled = json(&jifen(
        &dir,
        &[
            "admin",
            "voucher",
            "settle",
            "--qr",
            qr,
            "--merchant",
            "堰头面馆",
            "--json",
        ],
    ));
    assert_eq!(settled["serial"], serial);
    let code = jifen::domain::voucher::verification_code(qr).unwrap();
    let again = jifen(&dir, &["admin", "voucher", "settle", serial, "--code", &code]);
    assert!(!again.status.success());
    let err = stderr(&again);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(
        err.starts_with("error: refused: voucher") && err.contains("already settled"),
        "{err}"
    );
    let shown = json(&jifen(&dir, &["admin", "voucher", "show", serial, "--json"]));
    assert_eq!(shown["status"], "settled");
}

#[test]
fn errors_are_one_clear_line_with_a_non_zero_exit() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("empty");
    let out = jifen(&dir, &["admin", "household", "show", "YT-001"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no village is set up"), "{}", stderr(&out));
    assert!(!dir.join("jifen.sqlite3").exists(), "a failed command creates nothing");

    let (_tmp, dir) = demo_dir();
    let out = jifen(
        &dir,
        &[
            "admin",
            "redeem",
            "--household",
            "YT-001",
            "--item",
            "OIL",
            "--qty",
            "50",
        ],
    );
    assert!(!out.status.success());
    assert_eq!(stderr(&out).lines().count(), 1);
    let out = jifen(&dir, &["admin", "ranking", "--quarter", "2026Q7"]);
    assert!(stderr(&out).contains("is not a quarter"), "{}", stderr(&out));
    let out = jifen(
        &dir,
        &["admin", "init", "--village-code", "YT", "--village-name", "堰头村"],
    );
    assert!(stderr(&out).contains("already holds a village"), "{}", stderr(&out));
}

#[test]
fn a_bad_import_through_the_cli_lists_every_bad_line_and_exits_non_zero() {
    let (tmp, dir) = demo_dir();
    let file = tmp.path().join("sheet.csv");
    std::fs::write(&file, "month,household_code,rule_code,points,note,recorded_by\n2026-10,YT-001,B16,,,网格员\n2026-13,YT-001,B16,,,网格员\n2026-10,YT-999,B16,,,网格员\n").unwrap();
    let out = jifen(&dir, &["admin", "points", "import", file.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("nothing was imported because 2 row(s) are wrong"), "{err}");
    assert!(err.contains("line 3: '2026-13' is not a month"), "{err}");
    assert!(err.contains("line 4: unknown household YT-999"), "{err}");
}

#[test]
fn verify_catches_a_database_corrupted_by_hand() {
    let (_tmp, dir) = demo_dir();
    let db = rusqlite::Connection::open(dir.join("jifen.sqlite3")).unwrap();
    db.execute(
        "UPDATE households SET balance = balance + 100 WHERE code = 'YT-002'",
        [],
    )
    .unwrap();
    db.execute("UPDATE catalogue SET stock = stock + 5 WHERE code = 'RICE5'", [])
        .unwrap();
    db.execute(
        "DELETE FROM vouchers WHERE serial = (SELECT min(serial) FROM vouchers)",
        [],
    )
    .unwrap();
    db.execute(
        "UPDATE merit_monthly SET earned = earned + 50 WHERE household_code = 'YT-003'",
        [],
    )
    .unwrap();
    // The ledger itself refuses to be edited, even by hand.
    assert!(db.execute("UPDATE ledger SET delta = 100", []).is_err());
    assert!(db.execute("DELETE FROM ledger", []).is_err());
    drop(db);
    let out = jifen(&dir, &["admin", "verify", "--json"]);
    assert_eq!(out.status.code(), Some(2));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let checks: Vec<&str> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["check"].as_str().unwrap())
        .collect();
    assert!(checks.contains(&"balance_equals_ledger"), "{checks:?}");
    assert!(checks.contains(&"stock_conserved"), "{checks:?}");
    assert!(checks.contains(&"merit_equals_ledger"), "{checks:?}");
    assert!(checks.contains(&"redemption_has_one_voucher"), "{checks:?}");
    let text = stdout(&jifen(&dir, &["admin", "verify"]));
    assert!(text.contains("household YT-002 shows balance"), "{text}");
}

#[test]
fn catalogue_restock_void_and_export_work_from_the_cli() {
    let (tmp, dir) = demo_dir();
    let item = json(&jifen(
        &dir,
        &[
            "admin",
            "catalogue",
            "restock",
            "--code",
            "RICE5",
            "--add",
            "10",
            "--json",
        ],
    ));
    assert_eq!(item["stock"], 50);
    let added = json(&jifen(
        &dir,
        &[
            "admin",
            "catalogue",
            "add",
            "--code",
            "TOWEL",
            "--name",
            "毛巾",
            "--points",
            "12",
            "--stock",
            "30",
            "--json",
        ],
    ));
    assert_eq!(added["stock"], 30);
    let outstanding = json(&jifen(
        &dir,
        &["admin", "voucher", "list", "--status", "printed", "--json"],
    ));
    let serial = outstanding[0]["serial"].as_str().unwrap().to_string();
    let voided = json(&jifen(
        &dir,
        &["admin", "voucher", "void", &serial, "--reason", "村民退回", "--json"],
    ));
    assert_eq!(voided["status"], "void");
    let out = tmp.path().join("export");
    let o = jifen(&dir, &["admin", "export", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let ledger = std::fs::read_to_string(out.join("ledger.csv")).unwrap();
    assert!(ledger.contains("作废兑换券"), "the refund is exported");
    let households = std::fs::read_to_string(out.join("households.csv")).unwrap();
    assert_eq!(
        households.lines().next().unwrap(),
        "household_code,grid,balance,name,role,id_last4"
    );
    assert_eq!(json(&jifen(&dir, &["admin", "verify", "--json"]))["ok"], true);
}

#[test]
fn a_clerk_pin_is_read_from_stdin_checked_under_the_lockout_and_a_clerk_can_be_deactivated() {
    let (_tmp, dir) = demo_dir();
    let clerk = |args: &[&str], stdin: &str| {
        let mut all = vec!["admin", "clerk"];
        all.extend_from_slice(args);
        jifen_with_stdin(&dir, &all, stdin)
    };
    let listed_clerk = |name: &str| {
        let listed = json(&clerk(&["list", "--json"], ""));
        let rows = listed.as_array().expect("clerk list is a JSON array");
        rows.iter()
            .find(|c| c["name"] == name)
            .expect("the clerk is listed")
            .clone()
    };
    let out = clerk(&["add", "--name", "村主任", "--pin-stdin"], "654321\n");
    assert!(out.status.success(), "{}", stderr(&out));
    let bad = clerk(&["add", "--name", "村主任", "--pin-stdin"], "4321\n");
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("a PIN is 6 to 12 digits"), "{}", stderr(&bad));
    assert!(clerk(&["verify", "--name", "村主任", "--pin-stdin"], "654321\n")
        .status
        .success());
    for _ in 0..2 {
        let wrong = clerk(&["verify", "--name", "村主任", "--pin-stdin"], "111111\n");
        assert_eq!(wrong.status.code(), Some(1));
        assert!(stderr(&wrong).contains("wrong PIN"), "{}", stderr(&wrong));
    }
    // The third wrong PIN locks, in another process: the count is in the database.
    let third = clerk(&["verify", "--name", "村主任", "--pin-stdin"], "111111\n");
    assert!(
        stderr(&third).contains("locked for 5 more minutes"),
        "{}",
        stderr(&third)
    );
    let right = clerk(&["verify", "--name", "村主任", "--pin-stdin"], "654321\n");
    assert_eq!(right.status.code(), Some(1), "locked, even with the right PIN");
    let row = listed_clerk("村主任");
    assert!(row["locked_until"].is_string(), "{row}");
    assert!(clerk(&["deactivate", "--name", "村主任"], "").status.success());
    let row = listed_clerk("村主任");
    assert_eq!(row["active"], false);
    let gone = clerk(&["verify", "--name", "村主任", "--pin-stdin"], "654321\n");
    assert!(stderr(&gone).contains("no active clerk"), "{}", stderr(&gone));
}

#[test]
fn an_item_picture_from_the_cli_is_kept_upright_small_and_without_where_it_was_taken() {
    let (tmp, dir) = demo_dir();
    let photo = tmp.path().join("noodles.jpg");
    std::fs::write(&photo, phone_photo(1200, 800)).unwrap();
    let stored = |dir: &std::path::Path| -> Option<Vec<u8>> {
        let db = rusqlite::Connection::open(dir.join("jifen.sqlite3")).unwrap();
        db.query_row("SELECT picture FROM catalogue WHERE code = 'NOODLE'", [], |r| r.get(0))
            .unwrap()
    };
    let edit = |file: &std::path::Path| {
        let file = file.to_str().unwrap();
        jifen(
            &dir,
            &[
                "admin",
                "catalogue",
                "edit",
                "--code",
                "NOODLE",
                "--picture",
                file,
                "--json",
            ],
        )
    };
    let before = stored(&dir).expect("the demo's noodle coupon has a picture");
    let item = json(&edit(&photo));
    let kept = stored(&dir).unwrap();
    assert_ne!(kept, before);
    assert_eq!(item["picture_sha256"].as_str().unwrap().len(), 64);
    assert!(kept.len() <= 64 * 1024, "{} bytes", kept.len());
    assert!(!kept.windows(4).any(|w| w == b"Exif"), "no EXIF block is kept");
    assert!(!kept.windows(PHOTO_GPS.len()).any(|w| w == PHOTO_GPS.as_bytes()));
    let shown = image::load_from_memory(&kept).unwrap();
    assert_eq!(
        (shown.width(), shown.height()),
        (240, 360),
        "turned upright as the phone said, 360 px at most"
    );

    // Not a picture: refused with the file's name, the kept picture untouched.
    let text = tmp.path().join("notes.jpg");
    std::fs::write(&text, "面券的照片明天拍").unwrap();
    let o = edit(&text);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("notes.jpg") && err.contains("not a JPEG or PNG picture"),
        "{err}"
    );
    assert_eq!(stored(&dir).unwrap(), kept, "nothing was changed");

    let o = jifen(
        &dir,
        &[
            "admin",
            "catalogue",
            "edit",
            "--code",
            "NOODLE",
            "--no-picture",
            "--json",
        ],
    );
    assert!(json(&o)["picture_sha256"].is_null());
    assert_eq!(stored(&dir), None);
}

#[test]
fn jifen_bench_still_answers_with_its_figures_after_the_global_options() {
    // The binary hands `bench` its arguments; `--data-dir` before it (as scripts give it)
    // must not turn it into an unknown command.
    let tmp = tempfile::tempdir().unwrap();
    let out = jifen(
        &tmp.path().join("data"),
        &[
            "bench",
            "--households",
            "10",
            "--years",
            "1",
            "--lookups",
            "3",
            "--redemptions",
            "2",
            "--prints",
            "1",
            "--json",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let figures = json(&out);
    assert_eq!(figures["households"], 10);
    assert_eq!(figures["ledger_entries"], 10 * 12 * 5);
    assert!(figures["print"].as_array().is_some_and(|p| !p.is_empty()));
    let unknown = jifen(&tmp.path().join("data"), &["bench", "--bogus"]);
    assert!(!unknown.status.success());
    assert!(stderr(&unknown).contains("Usage: jifen bench"), "{}", stderr(&unknown));
}
