//! A village's fleet (DESIGN.md §8), over real HTTP on loopback with real data dirs: two
//! kiosks of one village, a replacement box, a retired one, a township restored from a
//! backup, records set aside and applied once their cause is gone, a key adopted by a
//! running kiosk, and a wire that survives a newer peer. On PostgreSQL too with
//! JIFEN_TEST_DATABASE_URL set (the restore test is of the SQLite engine's backups).

mod common;

use common::township::{assert_converged, new_kiosk, sync, township_with_village};
use common::{id_number, village, TestVillage};
use jifen::app::{AppError, Identity};
use jifen::domain::voucher::{verification_code, Serial};
use jifen::sync::SyncError;

fn catalogue_item(k: &mut TestVillage, item: &str) -> Option<jifen::app::CatalogueItemView> {
    k.app.catalogue().unwrap().into_iter().find(|i| i.code == item)
}

fn shelf(k: &mut TestVillage, item: &str) -> i64 {
    catalogue_item(k, item).and_then(|i| i.stock).unwrap_or(0)
}

#[test]
fn two_kiosks_of_one_village_redeem_settle_each_others_vouchers_and_sell_only_their_own_stock_offline() {
    let township = township_with_village();
    let (mut hall, hall_client, hall_id) = new_kiosk(&township, "村委会大厅");
    let (mut care, care_client, care_id) = new_kiosk(&township, "居家养老服务中心");
    // The hall adds the noodle coupon with 3 on its shelf; the care centre gets 2 of its own.
    hall.item("MQ", 20, Some(3));
    sync(&mut hall, &hall_client).unwrap();
    sync(&mut care, &care_client).unwrap();
    care.app.restock("MQ", 2, "养老中心管理员").unwrap();
    sync(&mut care, &care_client).unwrap();
    sync(&mut hall, &hall_client).unwrap();
    assert_eq!((shelf(&mut hall, "MQ"), shelf(&mut care, "MQ")), (3, 2));

    // Both go offline. Each hands out only what its own shelf holds.
    let h1 = hall.app.redeem("H1", "MQ", 1, "kiosk").unwrap();
    let h2 = hall.app.redeem("H2", "MQ", 1, "kiosk").unwrap();
    let h3 = hall.app.redeem("H3", "MQ", 1, "kiosk").unwrap();
    let refused = hall.app.redeem("H4", "MQ", 1, "kiosk").unwrap_err();
    assert!(matches!(refused, AppError::OutOfStock { left: 0, .. }), "{refused}");
    let c1 = care.app.redeem("H4", "MQ", 1, "kiosk").unwrap();
    let c2 = care.app.redeem("H1", "MQ", 1, "kiosk").unwrap();
    assert!(
        care.app.redeem("H2", "MQ", 1, "kiosk").is_err(),
        "five coupons exist, not six"
    );

    // Serials carry each kiosk's number: never the same twice in the village.
    let hall_no = hall.app.kiosk_number().unwrap().unwrap();
    let care_no = care.app.kiosk_number().unwrap().unwrap();
    assert_ne!(hall_no, care_no);
    for (r, n) in [
        (&h1, hall_no),
        (&h2, hall_no),
        (&h3, hall_no),
        (&c1, care_no),
        (&c2, care_no),
    ] {
        assert_eq!(r.serial.parse::<Serial>().unwrap().kiosk(), Some(n), "{}", r.serial);
    }

    // Online again: each learns the other's vouchers.
    for _ in 0..2 {
        sync(&mut hall, &hall_client).unwrap();
        sync(&mut care, &care_client).unwrap();
    }
    // Offline once more. The care centre settles the hall's voucher scanned, the hall
    // the care centre's typed (serial and code); and both settle h3, a double settlement.
    care.app.settle(&h1.qr_payload, None, None, "养老中心管理员").unwrap();
    let code = verification_code(&c1.qr_payload).unwrap();
    hall.app.settle(&c1.serial, Some(&code), None, "值班干部").unwrap();
    hall.app.settle(&h3.qr_payload, None, None, "值班干部").unwrap();
    care.app.settle(&h3.qr_payload, None, None, "养老中心管理员").unwrap();
    // Each refuses a second settlement of what it settled itself.
    assert!(matches!(
        care.app.settle(&h1.qr_payload, None, None, "养老中心管理员"),
        Err(AppError::AlreadySettled { .. })
    ));

    for _ in 0..2 {
        sync(&mut hall, &hall_client).unwrap();
        sync(&mut care, &care_client).unwrap();
    }
    let doubles = township.storage.double_settlements("YT").unwrap();
    assert_eq!(doubles.len(), 1, "{doubles:?}");
    let d = &doubles[0];
    assert_eq!(d.serial, h3.serial);
    let places = [d.kept_device.clone().unwrap(), d.other_device.clone().unwrap()];
    assert!(places.contains(&hall_id) && places.contains(&care_id), "{d:?}");
    let clerks = [d.kept_by.clone().unwrap(), d.other_by.clone().unwrap()];
    assert!(
        clerks.contains(&"值班干部".into()) && clerks.contains(&"养老中心管理员".into()),
        "{d:?}"
    );

    // Every serial once, each voucher settled once, stock never below zero, all agree.
    let summary = township.storage.summary("YT").unwrap();
    let settled: Vec<_> = summary.voucher_states.iter().filter(|(_, s)| s == "settled").collect();
    assert_eq!(settled.len(), 3, "{:?}", summary.voucher_states);
    assert_eq!(summary.vouchers, 5);
    let stock: i64 = summary.shelves.iter().map(|(_, _, n)| *n).sum();
    assert_eq!(stock, 0, "five coupons, five handed out: {:?}", summary.shelves);
    assert_converged(&township, &mut hall);
    assert_converged(&township, &mut care);
    let h = township.storage.household("YT", "H1").unwrap();
    assert_eq!(h.balance, 60, "100 scored, two coupons of 20");
    assert_eq!(hall.balance("H1"), 60);
    assert_eq!(care.balance("H1"), 60);
}

#[test]
fn a_township_restock_while_a_kiosk_is_offline_loses_no_redemption() {
    let township = township_with_village();
    let (mut k, client, device) = new_kiosk(&township, "大厅");
    k.item("MQ", 20, Some(2));
    sync(&mut k, &client).unwrap();
    // Offline: the kiosk hands out both; meanwhile the township puts 10 more on its shelf.
    k.app.redeem("H1", "MQ", 1, "kiosk").unwrap();
    k.app.redeem("H2", "MQ", 1, "kiosk").unwrap();
    let put = township.storage.restock("YT", &device, "MQ", 10, "乡镇").unwrap();
    assert_eq!(put.stock, Some(12), "the township's view before the kiosk's news");
    sync(&mut k, &client).unwrap();
    assert_eq!(shelf(&mut k, "MQ"), 10, "2 + 10 − 2: moves add up, nothing overwritten");
    assert_converged(&township, &mut k);
    // The township never takes goods off a kiosk's shelf.
    assert!(township.storage.restock("YT", &device, "MQ", -1, "乡镇").is_err());
}

#[test]
fn a_replacement_kiosk_settles_the_dead_ones_vouchers_and_a_retired_kiosk_is_refused() {
    let township = township_with_village();
    let (mut old, old_client, old_id) = new_kiosk(&township, "大厅（旧）");
    old.item("MQ", 20, None);
    let printed = old.app.redeem("H1", "MQ", 1, "kiosk").unwrap();
    let also = old.app.redeem("H2", "MQ", 1, "kiosk").unwrap();
    sync(&mut old, &old_client).unwrap();

    // The box dies. The township retires it; the clerk sets up a new one.
    township
        .storage
        .retire_device("YT", &old_id, "主板烧坏，已更换")
        .unwrap();
    let (mut new, new_client, _) = new_kiosk(&township, "大厅（新）");
    assert_eq!(new.balance("H1"), 80, "everything the village has reached the new box");
    let voucher = new.app.voucher(&printed.serial).unwrap();
    assert_eq!(voucher.status, "pending", "the old box's outstanding voucher is here");
    // It settles what the old box printed, scanned or typed with its code.
    new.app.settle(&printed.qr_payload, None, None, "值班干部").unwrap();
    let code = verification_code(&also.qr_payload).unwrap();
    new.app.settle(&also.serial, Some(&code), None, "值班干部").unwrap();
    // Its own serials are its own: no collision with the old box's.
    let own = new.app.redeem("H3", "MQ", 1, "kiosk").unwrap();
    assert_ne!(
        own.serial.parse::<Serial>().unwrap().kiosk(),
        printed.serial.parse::<Serial>().unwrap().kiosk()
    );
    sync(&mut new, &new_client).unwrap();
    assert_converged(&township, &mut new);

    // The retired box is refused, with the reason.
    let err = sync(&mut old, &old_client).unwrap_err();
    assert!(
        matches!(&err, SyncError::Refused { status: 401, reason } if reason.contains("主板烧坏")),
        "{err}"
    );
    assert!(err.words().contains("停用"), "{}", err.words());
    let listed = township.storage.devices().unwrap();
    let old_row = listed.iter().find(|d| d.id == old_id).unwrap();
    assert!(old_row.retired.is_some());
}

#[test]
fn a_township_restored_from_a_backup_taken_between_two_rounds_loses_nothing() {
    let mut township = township_with_village();
    if township.sqlite.is_none() {
        return; // PostgreSQL is backed up with pg_dump; see the README.
    }
    let (mut k, client, _) = new_kiosk(&township, "大厅");
    k.item("MQ", 20, None);
    k.app.redeem("H1", "MQ", 1, "kiosk").unwrap();
    sync(&mut k, &client).unwrap();
    let backup = township.backup();

    // After the backup: the kiosk redeems and syncs, the township scores a sheet.
    k.app.redeem("H2", "MQ", 1, "kiosk").unwrap();
    k.award("H3", 7);
    sync(&mut k, &client).unwrap();
    let late = "month,household_code,rule_code,points,note,recorded_by\n2026-11,H4,B16,5,,乡镇\n";
    township
        .storage
        .import_points("YT", "late.csv", late.as_bytes())
        .unwrap();
    sync(&mut k, &client).unwrap();
    assert_eq!(k.balance("H4"), 105);

    // The township's disk dies; last night's backup goes back.
    township.restore(&backup);
    let client = township.client(&k);
    let report = sync(&mut k, &client).unwrap();
    assert!(report.township_restored, "{report:?}");
    assert!(
        report.resent >= 2,
        "the redemption and the award are sent again: {report:?}"
    );
    let status = k.app.sync_status().unwrap();
    assert!(status.township_restored.is_some());
    // The sheet imported after the backup is the township's own to bring back: the same
    // file again (its rows are known by their sheet key, so nothing doubles).
    township
        .storage
        .import_points("YT", "late.csv", late.as_bytes())
        .unwrap();
    sync(&mut k, &client).unwrap();
    assert_eq!(k.balance("H4"), 105, "the sheet counts once");
    assert_converged(&township, &mut k);
    let h2 = township.storage.household("YT", "H2").unwrap();
    assert_eq!(
        h2.balance, 80,
        "the redemption after the backup is at the township again"
    );
}

#[test]
fn a_record_that_cannot_be_applied_is_set_aside_while_the_rest_flows_and_applied_once_its_cause_is_gone() {
    let township = township_with_village();
    let (mut k, client, _) = new_kiosk(&township, "大厅");
    // At the kiosk a clerk registers a household the township does not know (H9), and
    // a villager of it redeems; an award for H1 goes along in the same round.
    let csv = format!(
        "household_code,grid,name,id_number,role,qr_token\nH9,1,户主9,{},head,\n",
        id_number(9)
    );
    k.app.import_households("h9.csv", csv.as_bytes(), false).unwrap();
    k.award("H9", 50);
    k.item("MQ", 20, None);
    k.app.redeem("H9", "MQ", 1, "kiosk").unwrap();
    k.award("H1", 5);
    let err = sync(&mut k, &client).unwrap_err();
    assert!(
        matches!(&err, SyncError::Refused { status: 422, reason } if reason.contains("may not register")),
        "{err}"
    );
    assert_eq!(
        k.app.sync_status().unwrap().events_waiting,
        0,
        "held, not sent again and again"
    );
    let problems = township.storage.sync_problems("YT").unwrap();
    assert!(
        problems.len() >= 3,
        "the household, its award and its redemption wait: {problems:?}"
    );
    assert!(problems
        .iter()
        .any(|p| p.forbidden && p.reason.contains("may not register")));
    assert!(problems
        .iter()
        .any(|p| !p.forbidden && p.reason.contains("unknown household H9")));
    assert_eq!(
        township.storage.household("YT", "H1").unwrap().balance,
        105,
        "the rest flowed"
    );

    // Staff register H9 at the township from the same file: the next round applies what waited.
    township
        .storage
        .import_households("YT", "h9.csv", csv.as_bytes())
        .unwrap();
    sync(&mut k, &client).unwrap();
    assert!(township.storage.sync_problems("YT").unwrap().is_empty());
    assert_eq!(township.storage.household("YT", "H9").unwrap().balance, 30);
    assert_converged(&township, &mut k);
}

#[test]
fn a_running_kiosk_hashes_cards_with_a_key_adopted_by_its_sync_thread() {
    let township = township_with_village();
    let mut k = village();
    township.register(&k, "大厅");
    // The touch kiosk's worker is running before the first sync (a fresh box).
    let app = jifen::app::App::open(&k.dir, k.clock.clone()).unwrap();
    let (commands, from_ui) = std::sync::mpsc::channel();
    let (to_ui, replies) = std::sync::mpsc::channel();
    let printer = jifen::print::PrinterDevice {
        url: jifen::print::url::PrinterUrl::Preview(k.tmp.path().join("previews")),
        mode: jifen::print::PrintMode::Raster,
        width: Default::default(),
        templates: None,
    };
    let worker = jifen::ui::spawn_worker(app, printer, from_ui, to_ui, jifen::ui::Liveness::default());
    // Another app on the same data dir (the sync thread's) adopts the village's key.
    let client = township.client(&k);
    sync(&mut k, &client).unwrap();
    let card = common::card(2);
    commands
        .send(jifen::ui::Command::Identify {
            who: Identity::Card(card.id_number.clone()),
            card_name: Some(card.name.clone()),
        })
        .unwrap();
    match replies.recv_timeout(std::time::Duration::from_secs(10)).unwrap() {
        jifen::ui::Reply::Account(view, ..) => assert_eq!(view.household_code, "H2"),
        other => panic!("the card was not found with the adopted key: {other:?}"),
    }
    drop(commands);
    worker.join().unwrap();
}

#[test]
fn a_newer_peers_extra_fields_and_unknown_records_are_ignored_or_set_aside_never_fatal() {
    let township = township_with_village();
    let (mut k, _client, _) = new_kiosk(&township, "大厅");
    // A page from a newer township: an extra field everywhere, a record type this build
    // does not know, and a change it knows.
    let cursor = k.app.sync_cursor().unwrap();
    let entry_id = uuid::Uuid::now_v7();
    let page = format!(
        r#"{{"changes":[
            {{"id":"{a}","seq":{p1},"kind":"ledger_entry","subject":"x","created_at":"2026-11-15T04:00:00Z","colour":"red",
              "records":[{{"type":"sticker","shape":"star"}}]}},
            {{"id":"{b}","seq":{p2},"kind":"ledger_entry","subject":"{entry_id}","created_at":"2026-11-15T04:00:00Z",
              "records":[{{"type":"entry","id":"{entry_id}","household":"H1","delta":3,"kind":"award","rule_code":"B17",
                           "reason":"垃圾分类良好","month":"2026-11","source":"sheet","recorded_by":"乡镇",
                           "created_at":"2026-11-15T04:00:00Z","corrects":null,"dedupe_key":null,"photos":[]}}]}}],
           "next_cursor":{p2},"more":false,"served_by":"township-2"}}"#,
        a = uuid::Uuid::now_v7(),
        b = uuid::Uuid::now_v7(),
        p1 = cursor + 1,
        p2 = cursor + 2,
    );
    let body: jifen::sync::wire::PullBody = serde_json::from_str(&page).unwrap();
    let outcome = k.app.apply_pulled(&body.into_page().unwrap()).unwrap();
    assert_eq!((outcome.applied, outcome.set_aside), (1, 1));
    assert_eq!(k.balance("H1"), 103, "the known change was applied");
    let status = k.app.sync_status().unwrap();
    assert_eq!(status.quarantined, 1);
    assert!(
        status.quarantine[0].reason.contains("does not know records"),
        "{:?}",
        status.quarantine
    );

    // A hello answer with fields this build has never heard of still reads.
    let answer = r#"{"code":"YT","name":"堰头村","device":"kiosk-1","id_number_key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "kiosk_number":1,"generation":"g","acked_through":0,"feed_last":0,"server_time":"2026-11-15T04:00:00Z","motd":"hi"}"#;
    assert!(serde_json::from_str::<jifen::sync::wire::VillageResponse>(answer).is_ok());
    // And the health answer says which protocol versions the server speaks.
    let text = ureq::get(&format!("{}/v1/health", township.url))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    let health: jifen::sync::wire::HealthResponse = serde_json::from_str(&text).unwrap();
    assert_eq!(health.protocols, vec![1]);
}

fn picture_of(k: &mut TestVillage, item: &str) -> Option<String> {
    catalogue_item(k, item).and_then(|i| i.picture_sha256)
}

#[test]
fn an_item_picture_reaches_every_kiosk_of_the_village_and_a_new_one_follows() {
    let township = township_with_village();
    let (mut hall, hall_client, _) = new_kiosk(&township, "村委会大厅");
    let (mut care, care_client, _) = new_kiosk(&township, "居家养老服务中心");
    hall.item("MQ", 20, Some(3));
    sync(&mut hall, &hall_client).unwrap();
    sync(&mut care, &care_client).unwrap();
    let first = picture_of(&mut hall, "MQ").expect("the hall's item has a picture");
    assert_eq!(
        picture_of(&mut care, "MQ").as_ref(),
        Some(&first),
        "the same bytes on the other kiosk"
    );

    // The care centre's clerk photographs the coupon with a phone; the hall shows it next.
    care.app
        .edit_item(
            "MQ",
            jifen::app::ItemChanges {
                picture: Some(jifen::app::PictureChange::Set(common::phone_photo(900, 600))),
                ..Default::default()
            },
            "养老中心管理员",
        )
        .unwrap();
    sync(&mut care, &care_client).unwrap();
    sync(&mut hall, &hall_client).unwrap();
    let second = picture_of(&mut care, "MQ").unwrap();
    assert_ne!(second, first);
    assert_eq!(picture_of(&mut hall, "MQ"), Some(second));
    assert_converged(&township, &mut hall);
    assert_converged(&township, &mut care);
}
