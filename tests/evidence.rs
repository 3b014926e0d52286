//! Evidence photos and disputes (issue 17), on real SQLite files and a real township server
//! on loopback (PostgreSQL too when `JIFEN_TEST_DATABASE_URL` is set): a phone's photo is
//! kept without its GPS and within bounds, photos cross the link after the points, survive
//! a cut and are verified, the kiosk's cache stays within its bound, and a dispute opened
//! offline at the kiosk is answered at the township and shown back at the kiosk.

mod common;

use common::township::{sync, sync_until_ok, Fault, Route, TestTownship};
use common::{phone_photo, village, TestVillage, PHOTO_GPS};
use jifen::app::{Identity, Photo, Resolution};
use jifen::domain::evidence::OPENED_BY_HOUSEHOLD;
use jifen::picture::EVIDENCE_PHOTO;
use jifen::sync::photos::fetch_photo_now;
use jifen::township::TownshipAward;

/// A photo too full of detail to fit one chunk of the wire (64 KB): noise compresses badly.
fn detailed_photo(seed: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    let img = image::RgbImage::from_fn(900, 700, |_, _| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        image::Rgb([state as u8, (state >> 8) as u8, (state >> 16) as u8])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&img)
        .unwrap();
    out
}

fn photo(name: &str, bytes: Vec<u8>) -> Photo {
    Photo {
        name: name.into(),
        bytes,
    }
}

fn kiosk_of(township: &TestTownship, households: u32) -> TestVillage {
    let mut k = village();
    k.households(households);
    township.adopt(&mut k, households);
    township.register(&k, "一号机");
    k
}

fn township_award(township: &TestTownship, household: &str, photos: Vec<Photo>) -> jifen::app::AwardReceipt {
    township
        .storage
        .award(
            "YT",
            &TownshipAward {
                household: household.into(),
                rule: "T02".into(),
                points: Some(5),
                note: Some("督导单已拍照".into()),
                by: "网格员王".into(),
                photos,
                ..TownshipAward::default()
            },
        )
        .unwrap()
}

fn entry_of(k: &mut TestVillage, household: &str, entry: &str) -> jifen::app::EntryView {
    k.app
        .account_view(&Identity::HouseholdCode(household.into()))
        .unwrap()
        .entries
        .into_iter()
        .find(|e| e.id == entry)
        .expect("the entry is on the kiosk")
}

#[test]
fn a_phone_photo_is_kept_upright_within_bounds_and_without_its_gps() {
    let mut k = village();
    k.households(1);
    let original = phone_photo(3000, 2000);
    assert!(original.windows(PHOTO_GPS.len()).any(|w| w == PHOTO_GPS.as_bytes()));
    let receipt = k
        .app
        .award_with_photos(
            "H1",
            "T02",
            Some(5),
            Some("乱堆杂物"),
            None,
            "王",
            &[photo("scene.jpg", original)],
        )
        .unwrap();
    assert_eq!(receipt.entry.evidence.len(), 1);
    let kept = k.app.evidence_photo(&receipt.entry.evidence[0].id).unwrap();
    let jpeg = kept.jpeg.expect("the bytes are held where they were recorded");
    assert!(jpeg.len() <= EVIDENCE_PHOTO.max_bytes, "{} bytes", jpeg.len());
    assert!(!jpeg.windows(3).any(|w| w == b"GPS"), "the GPS block survived");
    assert!(!jpeg.windows(4).any(|w| w == b"Exif"), "an EXIF block survived");
    let img = image::load_from_memory(&jpeg).unwrap();
    // Orientation 6: the 3000×2000 landscape sensor image is a portrait photo, upright.
    assert_eq!((img.width(), img.height()), (853, 1280));
    assert_eq!(kept.record.sha256, jifen::picture::digest(&jpeg));
}

#[test]
fn an_entry_with_a_bad_photo_is_not_written_at_all() {
    let mut k = village();
    k.households(1);
    let before = k.app.summary().unwrap().entry_ids.len();
    let err = k
        .app
        .award_with_photos(
            "H1",
            "T02",
            Some(5),
            None,
            None,
            "王",
            &[
                photo("sheet.jpg", phone_photo(400, 300)),
                photo("notes.jpg", b"not a photo".to_vec()),
            ],
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("notes.jpg") && err.contains("not a JPEG or PNG"), "{err}");
    assert_eq!(
        k.app.summary().unwrap().entry_ids.len(),
        before,
        "the entry was written"
    );
    let four: Vec<Photo> = (0..4)
        .map(|i| photo(&format!("{i}.jpg"), phone_photo(100, 80)))
        .collect();
    let err = k
        .app
        .award_with_photos("H1", "T02", Some(5), None, None, "王", &four)
        .unwrap_err();
    assert!(err.to_string().contains("at most 3 photos"), "{err}");
}

#[test]
fn a_photo_reaches_the_kiosk_after_its_entry_survives_a_cut_link_and_is_verified() {
    let township = TestTownship::start();
    let mut k = kiosk_of(&township, 2);
    let client = township.client(&k);
    let receipt = township_award(&township, "H1", vec![photo("sheet.jpg", detailed_photo(1))]);
    let sha = receipt.entry.evidence[0].sha256.clone();
    let size = township.storage.photo("YT", &sha).unwrap().unwrap().len();
    assert!(
        size > 2 * 64 * 1024,
        "the photo must span several chunks, is {size} bytes"
    );
    // The link is cut while the second chunk comes: the round fails, the points are here.
    township.faults.next(Route::PhotoContinued, Fault::Fail500);
    assert!(
        sync(&mut k, &client).is_err(),
        "the cut link must show as a failed round"
    );
    township.faults.clear();
    let entry = entry_of(&mut k, "H1", &receipt.entry.id);
    assert_eq!(entry.delta, -5);
    assert_eq!(entry.evidence.len(), 1);
    assert!(!entry.evidence[0].held, "the photo cannot be here whole yet");
    // The link is back: the photo arrives, from where it stopped, and matches its digest.
    let report = sync_until_ok(&mut k, &client, 3);
    assert_eq!(report.photos_waiting, 0);
    let entry = entry_of(&mut k, "H1", &receipt.entry.id);
    assert!(entry.evidence[0].held);
    let got = k.app.evidence_photo(&entry.evidence[0].id).unwrap().jpeg.unwrap();
    assert_eq!(jifen::picture::digest(&got), sha);
    assert_eq!(got.len(), size);
    // Fewer photo requests than a fresh download after every cut would take.
    let photo_requests = township
        .faults
        .seen
        .lock()
        .unwrap()
        .iter()
        .filter(|(p, s)| p.contains("/evidence/") && *s == 200)
        .count();
    assert_eq!(photo_requests, size.div_ceil(64 * 1024), "chunks were fetched twice");
}

#[test]
fn a_township_that_asks_to_slow_down_leaves_photos_waiting_not_the_round_failed() {
    let township = TestTownship::start();
    let mut k = kiosk_of(&township, 2);
    let client = township.client(&k);
    let receipt = township_award(&township, "H1", vec![photo("sheet.jpg", detailed_photo(2))]);
    township.faults.next(Route::PhotoContinued, Fault::SlowDown);
    let report = sync(&mut k, &client).expect("a rate-limited photo is no failed round");
    assert_eq!(report.photos_waiting, 1, "the photo is still to come");
    assert_eq!(
        entry_of(&mut k, "H1", &receipt.entry.id).delta,
        -5,
        "the points crossed"
    );
    let report = sync(&mut k, &client).unwrap();
    assert_eq!((report.photos_fetched, report.photos_waiting), (1, 0));
    assert!(entry_of(&mut k, "H1", &receipt.entry.id).evidence[0].held);
}

#[test]
fn the_kiosk_keeps_photos_within_its_cache_bound_and_fetches_older_ones_on_demand() {
    let township = TestTownship::start();
    let mut k = kiosk_of(&township, 5);
    let client = township.client(&k);
    let mut shas = Vec::new();
    for i in 1..=5 {
        let r = township_award(&township, &format!("H{i}"), vec![photo("sheet.jpg", detailed_photo(i))]);
        shas.push(r.entry.evidence[0].sha256.clone());
    }
    let sizes: Vec<usize> = shas
        .iter()
        .map(|s| township.storage.photo("YT", s).unwrap().unwrap().len())
        .collect();
    let bound = (sizes[4] + sizes[3] + sizes[2]) as i64 + 1000;
    k.app.set_photo_cache_bytes(bound);
    let report = sync_until_ok(&mut k, &client, 2);
    assert!(k.app.photo_bytes_held().unwrap() <= bound);
    assert_eq!(report.photos_fetched, 3, "the newest three fit");
    assert_eq!(report.photos_waiting, 2);
    // The oldest one is fetched when its entry is opened, and the bound still holds.
    let got = fetch_photo_now(&mut k.app, &client, &shas[0]).unwrap().unwrap();
    assert_eq!(jifen::picture::digest(&got), shas[0]);
    assert!(k.app.photo_bytes_held().unwrap() <= bound);
}

#[test]
fn a_photo_recorded_at_the_kiosk_reaches_the_township() {
    let township = TestTownship::start();
    let mut k = kiosk_of(&township, 1);
    let client = township.client(&k);
    let receipt = k
        .app
        .award_with_photos(
            "H1",
            "T02",
            Some(3),
            None,
            None,
            "王",
            &[photo("a.png", phone_photo(800, 600))],
        )
        .unwrap();
    let sha = receipt.entry.evidence[0].sha256.clone();
    let report = sync_until_ok(&mut k, &client, 2);
    assert_eq!(report.photos_sent, 1);
    let there = township
        .storage
        .photo("YT", &sha)
        .unwrap()
        .expect("the township holds the photo");
    assert_eq!(jifen::picture::digest(&there), sha);
    let view = township.storage.household("YT", "H1").unwrap();
    let e = view.entries.iter().find(|e| e.id == receipt.entry.id).unwrap();
    assert_eq!(e.evidence.len(), 1);
    assert_eq!(e.evidence[0].recorded_by, "王");
}

#[test]
fn a_dispute_opened_offline_is_answered_with_a_correction_and_shown_back_at_the_kiosk() {
    let township = TestTownship::start();
    let mut k = kiosk_of(&township, 2);
    let client = township.client(&k);
    let receipt = township_award(&township, "H1", Vec::new());
    sync_until_ok(&mut k, &client, 2);
    let before = k.balance("H1");
    // The link is down: the household asks at the screen, twice.
    let dead = township.client_at("http://127.0.0.1:9", &k);
    let opened = k
        .app
        .open_dispute(&receipt.entry.id, OPENED_BY_HOUSEHOLD, None)
        .unwrap();
    assert!(!opened.already_open);
    let again = k
        .app
        .open_dispute(&receipt.entry.id, OPENED_BY_HOUSEHOLD, None)
        .unwrap();
    assert!(again.already_open);
    assert_eq!(again.dispute.id, opened.dispute.id);
    assert!(sync(&mut k, &dead).is_err());
    assert_eq!(entry_of(&mut k, "H1", &receipt.entry.id).dispute.unwrap().state, "open");
    // The link returns: the township sees one open dispute.
    sync_until_ok(&mut k, &client, 2);
    let open = township.storage.disputes("YT", true).unwrap();
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0].dispute.id, opened.dispute.id);
    assert_eq!(open[0].recorded_by, "网格员王");
    // A kiosk cannot answer; the township corrects by +5.
    assert!(k
        .app
        .resolve_dispute(&opened.dispute.id, Resolution::Uphold, "x", "y")
        .is_err());
    let answered = township
        .storage
        .resolve_dispute(&opened.dispute.id, Resolution::Correct(5), "核实有误，已更正", "乡镇李")
        .unwrap();
    assert_eq!(answered.state, "corrected");
    assert!(township
        .storage
        .resolve_dispute(&opened.dispute.id, Resolution::Uphold, "again", "乡镇李")
        .is_err());
    sync_until_ok(&mut k, &client, 2);
    let entry = entry_of(&mut k, "H1", &receipt.entry.id);
    let d = entry.dispute.unwrap();
    assert_eq!(d.state, "corrected");
    assert_eq!(d.answer.as_deref(), Some("核实有误，已更正"));
    assert_eq!(k.balance("H1"), before + 5);
    // Told once, the next time the household comes.
    let told = k.app.announce_outcomes("H1").unwrap();
    assert_eq!(told.len(), 1);
    assert!(k.app.announce_outcomes("H1").unwrap().is_empty());
    common::township::assert_converged(&township, &mut k);
}

#[test]
fn the_same_dispute_from_two_kiosks_is_one_dispute() {
    let township = TestTownship::start();
    let mut a = kiosk_of(&township, 1);
    let mut b = village();
    township.register(&b, "二号机");
    let (ca, cb) = (township.client(&a), township.client(&b));
    let receipt = township_award(&township, "H1", Vec::new());
    sync_until_ok(&mut a, &ca, 2);
    sync_until_ok(&mut b, &cb, 2);
    let da = a
        .app
        .open_dispute(&receipt.entry.id, OPENED_BY_HOUSEHOLD, None)
        .unwrap();
    let db = b
        .app
        .open_dispute(&receipt.entry.id, OPENED_BY_HOUSEHOLD, None)
        .unwrap();
    assert_eq!(
        da.dispute.id, db.dispute.id,
        "offline, both kiosks name the question alike"
    );
    sync_until_ok(&mut a, &ca, 2);
    sync_until_ok(&mut b, &cb, 2);
    assert_eq!(township.storage.disputes("YT", false).unwrap().len(), 1);
}
