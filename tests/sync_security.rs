//! The township server refuses what it must, with the right status and a reason, and
//! writes nothing when it does.

mod common;

use common::http::{headers_only, send, send_with, set, signed_headers};
use common::township::TestTownship;
use common::village;
use ed25519_dalek::SigningKey;
use jifen::sync::auth;

#[test]
fn unsigned_forged_replayed_foreign_oversized_and_malformed_requests_are_refused_and_write_nothing() {
    let township = TestTownship::start();
    let mut k = village();
    k.households(3);
    k.award("H1", 50);
    township.adopt(&mut k, 3);
    township.village("DQ", "东桥村");
    township.register(&k, "大厅");
    let key = k.app.device_signing_key();
    let events = k.app.unpushed_events(100).unwrap();
    let body = serde_json::to_vec(&jifen::sync::wire::PushRequest::new(&events)).unwrap();
    let push = "/v1/villages/YT/events";
    let url = township.url.clone();

    let r = send(&url, "POST", push, &body, None, |_| {});
    assert_eq!(r.status, 401);
    assert!(r.body.contains("not signed"), "{}", r.body);

    // Signed by a key the township never registered, claiming the registered device id.
    let stranger = SigningKey::from_bytes(&[7u8; 32]);
    let r = send(&url, "POST", push, &body, Some(&stranger), |h| {
        set(h, auth::DEVICE, auth::device_id(&key.verifying_key()))
    });
    assert_eq!(r.status, 401);
    let forged_words = r.body.clone();
    assert!(
        forged_words.contains("not signed by a kiosk registered"),
        "{forged_words}"
    );

    // The stranger under its own id: the same words, so nobody learns which ids exist.
    let r = send(&url, "POST", push, &body, Some(&stranger), |_| {});
    assert_eq!(r.status, 401);
    assert_eq!(r.body, forged_words);

    // A body changed after signing.
    let mut tampered = body.clone();
    tampered.extend_from_slice(b" ");
    let mut signed = Vec::new();
    let r = send(&url, "POST", push, &body, Some(&key), |h| signed = h.clone());
    assert_eq!(r.status, 200, "{}", r.body);
    let r = send_with(&url, "POST", push, &tampered, &signed);
    assert_eq!(r.status, 401);
    // Replay of the exact request that was accepted.
    let r = send_with(&url, "POST", push, &body, &signed);
    assert_eq!(r.status, 401);
    assert!(r.body.contains("already received"), "{}", r.body);

    // A request signed an hour ago.
    let old = auth::sign(
        &key,
        "GET",
        "/v1/villages/YT",
        b"",
        chrono::Utc::now().timestamp() - 3600,
        "0123456789abcdef0123",
    );
    let r = send_with(&url, "GET", "/v1/villages/YT", b"", &old.pairs());
    assert_eq!(r.status, 401);
    assert!(r.body.contains("stale"), "{}", r.body);

    let before = township.storage.summary("YT").unwrap();

    // Another village's data.
    let r = send(&url, "POST", "/v1/villages/DQ/events", &body, Some(&key), |_| {});
    assert_eq!(r.status, 403);
    assert!(r.body.contains("belongs to village YT"), "{}", r.body);

    // Over the body limit: refused from the headers, before the body is sent.
    let huge = vec![b' '; jifen::sync::server::MAX_BODY_BYTES + 1];
    let signed = signed_headers(&key, "POST", push, &huge);
    let answer = headers_only(&url, "POST", push, huge.len(), &signed);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    // Not JSON, and JSON that is not an event batch.
    let r = send(&url, "POST", push, b"{\"events\": [", Some(&key), |_| {});
    assert_eq!(r.status, 400);
    assert!(r.body.contains("malformed JSON"), "{}", r.body);
    let bad = br#"{"events":[{"id":"not-a-uuid","seq":1,"kind":"ledger_entry","subject":"x","created_at":"2026-11-15T04:00:00Z","records":[]}]}"#;
    let r = send(&url, "POST", push, bad, Some(&key), |_| {});
    assert_eq!(r.status, 400);
    assert!(r.body.contains("not a UUID"), "{}", r.body);

    let after = township.storage.summary("YT").unwrap();
    assert_eq!(after.entry_ids, before.entry_ids, "nothing written");
    assert_eq!(after.feed_last, before.feed_last, "nothing in the feed");
    assert!(township.storage.verify("YT").unwrap().is_empty());
}

#[test]
fn a_resident_id_number_in_clear_is_refused_at_the_wire() {
    let township = TestTownship::start();
    let mut k = village();
    township.adopt(&mut k, 0);
    township.register(&k, "大厅");
    let id = common::id_number(5);
    let body = format!(
        r#"{{"events":[{{"id":"0190c4c6-0000-7000-8000-000000000001","seq":1,"kind":"household_changed","subject":"H9","created_at":"2026-11-15T04:00:00Z","records":[{{"type":"household","code":"H9","grid":"1","qr_token":null,"residents":[{{"id_hash":"{id}","name":"某","role":"head","id_last4":"{}"}}]}}]}}]}}"#,
        &id[14..]
    );
    let r = send(
        &township.url,
        "POST",
        "/v1/villages/YT/events",
        body.as_bytes(),
        Some(&k.app.device_signing_key()),
        |_| {},
    );
    assert_eq!(r.status, 400);
    assert!(r.body.contains("never the number itself"), "{}", r.body);
    assert!(!r.body.contains(&id), "the refusal does not echo the number");
}
