//! The `jifen township …` commands and `jifen sync once` / `admin device show`, on the
//! real binary: a township set up from the command line, served on loopback, and a
//! kiosk syncing with it.

mod common;

use std::process::Output;

use common::township_cli::{engine, enrolled_kiosk, serve, township, village_with_households};
use common::{id_number, jifen, json, stderr, stdout};

#[test]
fn a_township_set_up_from_the_command_line_serves_a_kiosk() {
    let tmp = tempfile::tempdir().unwrap();
    let db = engine(tmp.path());
    let ok = |o: Output| {
        assert!(o.status.success(), "{}", stderr(&o));
        o
    };
    ok(township(&db, &["village", "add", "--code", "YT", "--name", "堰头村"]));
    let dup = township(&db, &["village", "add", "--code", "YT", "--name", "堰头村"]);
    assert!(!dup.status.success());
    assert!(stderr(&dup).contains("already registered"), "{}", stderr(&dup));

    // Households and a month's scores, same columns as the admin imports.
    let households = tmp.path().join("households.csv");
    let mut csv = String::from("household_code,grid,name,id_number,role,qr_token\n");
    for i in 1..=4 {
        csv.push_str(&format!(
            "H{i},{},户主{i},{},head,QRH{i:04}-K7M3PRW9T4CX\n",
            (i - 1) % 2 + 1,
            id_number(i)
        ));
    }
    std::fs::write(&households, csv).unwrap();
    ok(township(
        &db,
        &["households", "import", "--village", "YT", households.to_str().unwrap()],
    ));
    let sheet = tmp.path().join("2026-10.csv");
    std::fs::write(
        &sheet,
        "month,household_code,rule_code,points,note,recorded_by\n2026-10,H1,B16,5,,网格员\n2026-10,H2,D16,3,,网格员\n2026-10,H9,B16,5,,网格员\n",
    )
    .unwrap();
    let bad = township(&db, &["points", "import", "--village", "YT", sheet.to_str().unwrap()]);
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("line 4: unknown household H9"),
        "{}",
        stderr(&bad)
    );
    std::fs::write(
        &sheet,
        "month,household_code,rule_code,points,note,recorded_by\n2026-10,H1,B16,5,,网格员\n2026-10,H2,D16,3,,网格员\n",
    )
    .unwrap();
    ok(township(
        &db,
        &["points", "import", "--village", "YT", sheet.to_str().unwrap()],
    ));

    let rules = json(&township(&db, &["rules", "list", "--json"]));
    assert_eq!(rules.as_array().unwrap().len(), 51, "the standard 26 + 25 items");

    // A kiosk set up on its own, registered by its public key, syncs.
    let kiosk_dir = tmp.path().join("kiosk");
    ok(jifen(
        &kiosk_dir,
        &["admin", "init", "--village-code", "YT", "--village-name", "堰头村"],
    ));
    let device = json(&jifen(&kiosk_dir, &["admin", "device", "show", "--json"]));
    let key = device["public_key"].as_str().unwrap();
    let added = json(&township(
        &db,
        &[
            "device",
            "add",
            "--village",
            "YT",
            "--name",
            "大厅",
            "--public-key",
            key,
            "--json",
        ],
    ));
    assert_eq!(added["id"], device["device_id"]);
    let bad_key = township(
        &db,
        &[
            "device",
            "add",
            "--village",
            "YT",
            "--name",
            "x",
            "--public-key",
            "AAAA",
        ],
    );
    assert!(stderr(&bad_key).contains("32 bytes"), "{}", stderr(&bad_key));

    let (_server, url) = serve(&db);
    let health: serde_json::Value = serde_json::from_str(
        &ureq::get(&format!("{url}/v1/health"))
            .call()
            .unwrap()
            .into_string()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["protocols"], serde_json::json!([1]));
    // Without the township's key the kiosk takes no answer at all.
    let unkeyed = jifen(&kiosk_dir, &["sync", "once", "--url", &url]);
    assert!(stderr(&unkeyed).contains("no township key"), "{}", stderr(&unkeyed));
    let township_key = json(&township(&db, &["key", "show", "--json"]));
    let township_key = township_key["public_key"].as_str().unwrap().to_string();
    let wrong_key =
        jifen::domain::kiosk::public_key_text(&ed25519_dalek::SigningKey::from_bytes(&[4; 32]).verifying_key());
    let impostor = jifen(
        &kiosk_dir,
        &["sync", "once", "--url", &url, "--township-key", &wrong_key],
    );
    assert!(
        stderr(&impostor).contains("did not come from the township"),
        "{}",
        stderr(&impostor)
    );
    let report = json(&jifen(
        &kiosk_dir,
        &["sync", "once", "--url", &url, "--township-key", &township_key, "--json"],
    ));
    assert!(report["pulled"].as_i64().unwrap() >= 4 + 2, "{report}");
    assert_eq!(report["kiosk_number"], 1);
    // The key is remembered from enrolment on.
    let again = json(&jifen(&kiosk_dir, &["sync", "once", "--url", &url, "--json"]));
    assert_eq!(again["events_waiting"], 0);
    let devices = json(&township(&db, &["device", "list", "--json"]));
    let d = &devices[0];
    assert_eq!(
        (d["number"].as_i64(), d["events_waiting"].as_i64()),
        (Some(1), Some(0)),
        "{d}"
    );
    assert!(d["last_contact"].is_string() && d["retired_at"].is_null(), "{d}");
    let problems = township(&db, &["report", "sync-problems"]);
    assert!(stdout(&problems).contains("没有搁置"), "{}", stdout(&problems));
    let doubles = township(&db, &["report", "double-settlements", "--json"]);
    assert_eq!(json(&doubles), serde_json::json!([]));

    // The kiosk and the township show the same household with the same JSON keys.
    let here = json(&jifen(&kiosk_dir, &["admin", "household", "show", "H2", "--json"]));
    let there = json(&township(
        &db,
        &["household", "show", "--village", "YT", "H2", "--json"],
    ));
    assert_eq!(here, there);
    assert_eq!(here["balance"], -3);

    // Reports.
    let ranking = json(&township(&db, &["report", "ranking", "--quarter", "2026Q4", "--json"]));
    assert_eq!(ranking[0]["household_code"], "H1");
    assert_eq!(ranking[0]["earned"], 5);
    let areas = json(&township(&db, &["report", "areas", "--quarter", "2026Q4", "--json"]));
    let areas = areas.as_array().unwrap();
    let total: i64 = areas.iter().map(|a| a["points"].as_i64().unwrap()).sum();
    let entries: i64 = areas.iter().map(|a| a["entries"].as_i64().unwrap()).sum();
    assert_eq!((total, entries), (5 - 3, 2), "{areas:?}");
    assert!(areas.iter().all(|a| a["village"] == "YT"));
    let overdrafts = json(&township(&db, &["report", "overdrafts", "--json"]));
    assert_eq!(
        overdrafts.as_array().unwrap().len(),
        0,
        "a deduction at the township is not an overdraft"
    );
    let verify = township(&db, &["verify"]);
    assert!(verify.status.success(), "{}", stdout(&verify));

    // A backup is taken while the server runs; a restore is refused until it stops.
    let sqlite = db.flag == "--db";
    let backup = tmp.path().join("backup");
    if sqlite {
        ok(township(&db, &["backup", "--out", backup.to_str().unwrap()]));
        let busy = township(&db, &["restore", "--from", backup.to_str().unwrap()]);
        assert!(!busy.status.success());
        assert!(stderr(&busy).contains("stop it first"), "{}", stderr(&busy));
    }

    // The box is stolen: the township retires it and it is refused from then on.
    let retired = township(
        &db,
        &[
            "device",
            "retire",
            "--village",
            "YT",
            "--device",
            device["device_id"].as_str().unwrap(),
            "--reason",
            "被盗",
        ],
    );
    assert!(retired.status.success(), "{}", stderr(&retired));
    let refused = jifen(&kiosk_dir, &["sync", "once", "--url", &url]);
    assert!(
        stderr(&refused).contains("retired") && stderr(&refused).contains("被盗"),
        "{}",
        stderr(&refused)
    );
    let devices = json(&township(&db, &["device", "list", "--json"]));
    assert_eq!(devices[0]["retired_reason"], "被盗");

    // With the server gone, `sync once` fails in words and the status says so.
    drop(_server);
    if sqlite {
        let restored = township(&db, &["restore", "--from", backup.to_str().unwrap()]);
        assert!(restored.status.success(), "{}", stderr(&restored));
        assert!(stdout(&restored).contains("恢复"), "{}", stdout(&restored));
        let devices = json(&township(&db, &["device", "list", "--json"]));
        assert!(
            devices[0]["retired_at"].is_null(),
            "the backup is from before the retirement"
        );
    }
    let down = jifen(&kiosk_dir, &["sync", "once", "--url", &url]);
    assert!(!down.status.success());
    assert!(
        stderr(&down).contains("cannot reach the township server"),
        "{}",
        stderr(&down)
    );
    let status = json(&jifen(&kiosk_dir, &["sync", "status", "--json"]));
    assert!(status["last_error"].as_str().unwrap().contains("连不上乡镇服务器"));
    assert!(status["last_success"].is_string());
}

/// Photos on scores and a household's dispute, from the command line at both ends: a sheet
/// with a `photos` column goes in whole or not at all, the photos reach the kiosk, a
/// dispute opened there is answered with a correction at the township and comes back.
#[test]
fn evidence_and_disputes_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let db = engine(tmp.path());
    let ok = |o: Output| {
        assert!(o.status.success(), "{}", stderr(&o));
        o
    };
    village_with_households(&db, tmp.path(), 2);
    // A sheet whose second row names a text file called .jpg: nothing of it goes in.
    std::fs::write(tmp.path().join("sheet1.jpg"), common::phone_photo(1600, 1200)).unwrap();
    std::fs::write(tmp.path().join("scene.jpg"), common::phone_photo(900, 700)).unwrap();
    std::fs::write(tmp.path().join("notes.jpg"), "巡查记录：已整改").unwrap();
    let sheet = tmp.path().join("2026-11.csv");
    let header = "month,household_code,rule_code,points,note,recorded_by,photos\n";
    std::fs::write(
        &sheet,
        format!("{header}2026-11,H1,D16,3,,网格员王,sheet1.jpg;scene.jpg\n2026-11,H2,B16,5,,网格员王,notes.jpg\n"),
    )
    .unwrap();
    let bad = township(&db, &["points", "import", "--village", "YT", sheet.to_str().unwrap()]);
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("line 3: photo notes.jpg: not a JPEG or PNG picture"),
        "{}",
        stderr(&bad)
    );
    let h1 = json(&township(
        &db,
        &["household", "show", "--village", "YT", "H1", "--json"],
    ));
    assert_eq!(
        h1["entries"].as_array().unwrap().len(),
        0,
        "nothing of the sheet went in"
    );
    std::fs::write(
        &sheet,
        format!("{header}2026-11,H1,D16,3,,网格员王,sheet1.jpg;scene.jpg\n2026-11,H2,B16,5,,网格员王,\n"),
    )
    .unwrap();
    let report = json(&township(
        &db,
        &["points", "import", "--village", "YT", sheet.to_str().unwrap(), "--json"],
    ));
    assert_eq!(report["photos"], 2);
    let h1 = json(&township(
        &db,
        &["household", "show", "--village", "YT", "H1", "--json"],
    ));
    assert_eq!(h1["entries"][0]["evidence"].as_array().unwrap().len(), 2);
    // Township staff record a deduction with its photo.
    let phone = tmp.path().join("phone.jpg");
    std::fs::write(&phone, common::phone_photo(3000, 2000)).unwrap();
    let award = json(&township(
        &db,
        &[
            "points",
            "award",
            "--village",
            "YT",
            "--household",
            "H2",
            "--rule",
            "D11",
            "--note",
            "柴草乱堆",
            "--photo",
            phone.to_str().unwrap(),
            "--by",
            "网格员李",
            "--json",
        ],
    ));
    let disputed = award["entry"]["id"].as_str().unwrap().to_string();
    assert_eq!(award["entry"]["evidence"].as_array().unwrap().len(), 1);

    // A kiosk of the village syncs: the photos come after the points, verified.
    let (kiosk, _server, url, key) = enrolled_kiosk(&db, tmp.path());
    let sync = || {
        json(&jifen(
            &kiosk,
            &["sync", "once", "--url", &url, "--township-key", &key, "--json"],
        ))
    };
    let round = sync();
    assert_eq!(round["photos_fetched"], 3, "{round}");
    assert_eq!(round["photos_waiting"], 0);
    let h2 = json(&jifen(&kiosk, &["admin", "household", "show", "H2", "--json"]));
    let entry = h2["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == disputed.as_str())
        .unwrap()
        .clone();
    assert_eq!(entry["evidence"][0]["recorded_by"], "网格员李");
    assert_eq!(entry["evidence"][0]["held"], true);
    let out = tmp.path().join("out.jpg");
    ok(jifen(
        &kiosk,
        &[
            "admin",
            "evidence",
            "show",
            entry["evidence"][0]["id"].as_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    ));
    let bytes = std::fs::read(&out).unwrap();
    assert!(!bytes
        .windows(common::PHOTO_GPS.len())
        .any(|w| w == common::PHOTO_GPS.as_bytes()));
    assert_eq!(&bytes[..2], &[0xFF, 0xD8], "a JPEG");

    // At the kiosk a text file named .jpg is refused, by name, and nothing is written.
    let text = tmp.path().join("notes.jpg");
    let refused = jifen(
        &kiosk,
        &[
            "admin",
            "points",
            "award",
            "--household",
            "H1",
            "--rule",
            "D11",
            "--photo",
            text.to_str().unwrap(),
        ],
    );
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("notes.jpg: not a JPEG or PNG picture; nothing was written"),
        "{}",
        stderr(&refused)
    );
    let h1 = json(&jifen(&kiosk, &["admin", "household", "show", "H1", "--json"]));
    assert_eq!(h1["entries"].as_array().unwrap().len(), 1);

    // The household disputes the deduction (twice: one dispute), the township corrects it.
    let opened = json(&jifen(
        &kiosk,
        &["admin", "dispute", "open", "--entry", &disputed, "--json"],
    ));
    let again = json(&jifen(
        &kiosk,
        &["admin", "dispute", "open", "--entry", &disputed, "--json"],
    ));
    assert_eq!(again["already_open"], true);
    assert_eq!(again["dispute"]["id"], opened["dispute"]["id"]);
    sync();
    let listed = json(&township(&db, &["dispute", "list", "--open", "--json"]));
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["village"], "YT");
    assert_eq!(listed[0]["recorded_by"], "网格员李");
    let id = opened["dispute"]["id"].as_str().unwrap();
    let answered = json(&township(
        &db,
        &[
            "dispute",
            "resolve",
            id,
            "--correct",
            "3",
            "--note",
            "核实后柴草已清理，更正",
            "--by",
            "乡镇李",
            "--json",
        ],
    ));
    assert_eq!(answered["state"], "corrected");
    let report = json(&township(&db, &["report", "disputes", "--json"]));
    assert_eq!(report["all"]["total"]["corrected"], 1, "{report}");
    assert_eq!(report["all"]["by_recorder"][0]["key"], "网格员李");
    assert_eq!(report["all"]["by_rule"][0]["key"], "D11");
    sync();
    let h2 = json(&jifen(&kiosk, &["admin", "household", "show", "H2", "--json"]));
    let entry = h2["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == disputed.as_str())
        .unwrap()
        .clone();
    assert_eq!(entry["dispute"]["state"], "corrected");
    assert_eq!(entry["dispute"]["answer"], "核实后柴草已清理，更正");
    assert!(h2["entries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["corrects"] == disputed.as_str() && e["delta"] == 3));
}

/// A sponsor's gift, an item's cost and a settled voucher, recorded at a kiosk from the
/// command line, are what the township's reports say after one sync: what each merchant
/// is owed this month and what each fund holds, the kiosk's own figures to the fen.
#[test]
fn what_merchants_are_owed_and_what_funds_hold_at_the_township_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let db = engine(tmp.path());
    let ok = |o: Output| {
        assert!(o.status.success(), "{}", stderr(&o));
        o
    };
    village_with_households(&db, tmp.path(), 2);
    let sheet = tmp.path().join("sheet.csv");
    std::fs::write(
        &sheet,
        "month,household_code,rule_code,points,note,recorded_by\n2026-10,H1,B16,5,,网格员\n2026-10,H2,B01,5,,网格员\n2026-11,H1,B16,5,,网格员\n2026-11,H2,B16,5,,网格员\n",
    )
    .unwrap();
    ok(township(
        &db,
        &["points", "import", "--village", "YT", sheet.to_str().unwrap()],
    ));
    let (kiosk, _server, url, key) = enrolled_kiosk(&db, tmp.path());
    ok(jifen(&kiosk, &["sync", "once", "--url", &url, "--township-key", &key]));

    let admin = |args: &[&str]| ok(jifen(&kiosk, &[&["admin", "--by", "会计"][..], args].concat()));
    admin(&["sponsor", "add", "--name", "乡贤沈建国"]);
    admin(&["sponsor", "fund", "--name", "乡贤沈建国", "--amount", "50.00"]);
    admin(&[
        "catalogue",
        "add",
        "--code",
        "NOODLE",
        "--name",
        "面条券",
        "--points",
        "5",
        "--unlimited",
        "--merchant",
        "堰头面馆",
        "--sponsor",
        "乡贤沈建国",
        "--cost",
        "8.00",
    ]);
    let previews = format!("preview:{}", tmp.path().join("previews").display());
    let mut settled = 0;
    for h in ["H1", "H2"] {
        let voucher = json(&admin(&["redeem", "--household", h, "--item", "NOODLE", "--json"]));
        if h == "H1" {
            let qr = voucher["qr_payload"].as_str().unwrap();
            admin(&["voucher", "settle", "--qr", qr, "--printer", &previews]);
            settled += 1;
        }
    }
    ok(jifen(&kiosk, &["sync", "once", "--url", &url]));

    let owed = json(&township(&db, &["report", "merchants", "--village", "YT", "--json"]));
    assert_eq!(owed.as_array().unwrap().len(), 1, "{owed}");
    assert_eq!(
        (owed[0]["merchant"].as_str(), owed[0]["vouchers"].as_i64()),
        (Some("堰头面馆"), Some(settled))
    );
    assert_eq!(owed[0]["total"], "8.00");
    assert_eq!(owed[0]["by_fund"][0]["sponsor"], "乡贤沈建国");
    let text = stdout(&township(&db, &["report", "merchants"]));
    assert!(text.contains("堰头面馆  收券 1 张（5 分）  应付 8.00 元"), "{text}");
    let bad_month = township(&db, &["report", "merchants", "--month", "2026-13"]);
    assert!(
        stderr(&bad_month).contains("'2026-13' is not a month"),
        "{}",
        stderr(&bad_month)
    );

    let there = json(&township(&db, &["report", "sponsors", "--json"]));
    let here = json(&jifen(&kiosk, &["admin", "sponsor", "list", "--json"]));
    for field in ["received", "committed", "spent", "remaining"] {
        assert_eq!(there[0][field], here[0][field], "{field}: {there} / {here}");
    }
    assert_eq!(
        (there[0]["received"].as_str(), there[0]["remaining"].as_str()),
        (Some("50.00"), Some("34.00"))
    );
    let problems = township(&db, &["report", "sync-problems"]);
    assert!(stdout(&problems).contains("没有搁置"), "{}", stdout(&problems));

    // The year's star households, by the township's rule: H1 and H2 tie at 10 points.
    let honours = json(&township(&db, &["report", "honours", "--year", "2026", "--json"]));
    let stars = honours[0]["stars"].as_array().unwrap();
    assert_eq!(stars.len(), 2, "{honours}");
    assert!(stars.iter().all(|s| s["place"] == 1 && s["earned"] == 10), "{honours}");
    let bad = township(&db, &["report", "honours", "--clean-area", "卫生"]);
    assert!(
        stderr(&bad).contains("clean_area '卫生' is not an area"),
        "{}",
        stderr(&bad)
    );
}
