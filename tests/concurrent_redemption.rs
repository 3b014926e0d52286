//! Two processes redeem from the same data directory at the same time: the write lock
//! serialises them, so there is no overdraw, no lost update, and `verify` passes.

mod common;

use std::process::{Command, Stdio};

use common::*;

#[test]
fn two_processes_redeeming_at_once_never_overdraw_or_lose_an_update() {
    let mut v = village();
    v.households(1);
    v.award("H1", 100);
    v.item("NOODLE", 10, Some(1000));
    drop(v.app);
    let data = v.dir.root.clone();
    // Each process tries 8 redemptions of 10 points: 16 tries, room for exactly 10.
    let script = format!(
        "for i in 1 2 3 4 5 6 7 8; do '{}' --data-dir '{}' admin redeem --household H1 --item NOODLE --json || true; done",
        env!("CARGO_BIN_EXE_jifen"),
        data.display()
    );
    let spawn = || {
        Command::new("sh")
            .arg("-c")
            .arg(&script)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let serials: Vec<String> = [&a, &b]
        .iter()
        .flat_map(|o| {
            serde_json::Deserializer::from_slice(&o.stdout)
                .into_iter::<serde_json::Value>()
                .map(|v| v.unwrap()["serial"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    let refusals = stderr(&a).matches("not enough points").count()
        + stderr(&b).matches("not enough points").count()
        + stderr(&a).matches("below zero").count()
        + stderr(&b).matches("below zero").count();
    assert_eq!(serials.len(), 10, "exactly the balance's worth of redemptions");
    assert_eq!(refusals, 6, "{}{}", stderr(&a), stderr(&b));
    let mut unique = serials.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 10, "no serial issued twice");
    let view = json(&jifen(&data, &["admin", "household", "show", "H1", "--json"]));
    assert_eq!(view["balance"], 0);
    let stock = json(&jifen(&data, &["admin", "catalogue", "list", "--json"]));
    assert_eq!(stock[0]["stock"], 990);
    assert_eq!(json(&jifen(&data, &["admin", "verify", "--json"]))["ok"], true);
}
