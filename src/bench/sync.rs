//! `jifen bench --sync`: township sync over loopback with real SQLite files on both
//! ends. Figures: one kiosk pushing 10,000 events, a fresh kiosk pulling 300,000
//! ledger entries, and the server's ingest rate with 50 kiosks pushing at once.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use super::engines::{on_each_engine, Engine, Figures};
use super::village::{households_csv, kiosk_client, new_kiosk, points_csv, register, village_kiosk};
use super::BenchArgs;
use crate::domain::clock::Clock;
use crate::sync::server::{start_in_background, ServerState};
use crate::sync::{auth, sync_once};

#[derive(Serialize)]
struct SyncFigures {
    push_events: usize,
    push_seconds: f64,
    push_events_per_second: f64,
    pull_entries: usize,
    pull_seconds: f64,
    pull_entries_per_second: f64,
    concurrent_kiosks: usize,
    concurrent_events: usize,
    concurrent_seconds: f64,
    concurrent_events_per_second: f64,
    setup_seconds: f64,
}

pub(super) fn run(args: &BenchArgs) -> anyhow::Result<ExitCode> {
    on_each_engine(args, |engine, folder, clock| measure(args, engine, folder, clock))
}

fn measure(args: &BenchArgs, engine: &Engine, folder: &Path, clock: &Arc<dyn Clock>) -> anyhow::Result<SyncFigures> {
    let setup = Instant::now();
    let clock = clock.clone();
    let township = engine.storage.clone();
    let (url, runtime) = start_in_background(ServerState::new(township.clone(), clock.clone())?)?;
    let key = township.township_key()?.verifying_key();

    // 1. One kiosk with `sync_events` events waiting (households, then scores).
    let households = (args.sync_events / 20).max(1);
    let mut kiosk = village_kiosk(folder, "PU", households, args.sync_events - households, &clock)?;
    register(township.as_ref(), "PU", &mut kiosk.0, households)?;
    let mut setup_secs = setup.elapsed().as_secs_f64();
    let client = kiosk_client(&url, &kiosk.0, key)?;
    let started = Instant::now();
    let report = sync_once(&mut kiosk.0, &client)?;
    let push_seconds = started.elapsed().as_secs_f64();
    anyhow::ensure!(report.events_waiting == 0, "the push left events waiting");

    // 2. The township scores `sync_entries` entries; a fresh kiosk pulls them all.
    let setup2 = Instant::now();
    let pull_households = (args.sync_entries / 60).max(1);
    township.add_village("PL", "拉取村", None)?;
    township.import_households("PL", "households.csv", households_csv("PL", pull_households).as_bytes())?;
    let sheet = points_csv("PL", pull_households, args.sync_entries);
    township.import_points("PL", "sheet.csv", sheet.as_bytes())?;
    let mut fresh = new_kiosk(folder, "PL", &clock)?;
    let device_key = auth::public_key_text(&fresh.0.device_signing_key().verifying_key());
    township.add_device("PL", "新机", &device_key, None)?;
    setup_secs += setup2.elapsed().as_secs_f64();
    let client = kiosk_client(&url, &fresh.0, key)?;
    let started = Instant::now();
    let report = sync_once(&mut fresh.0, &client)?;
    let pull_seconds = started.elapsed().as_secs_f64();
    let pulled_entries = report.pulled.saturating_sub(pull_households);

    // 3. Many kiosks, each its own village, pushing at once.
    let setup3 = Instant::now();
    let mut kiosks = Vec::new();
    for i in 0..args.sync_kiosks {
        let code = format!("K{i:02}");
        let h = (args.sync_kiosk_events / 20).max(1);
        let mut k = village_kiosk(folder, &code, h, args.sync_kiosk_events - h, &clock)?;
        register(township.as_ref(), &code, &mut k.0, h)?;
        kiosks.push(k);
    }
    setup_secs += setup3.elapsed().as_secs_f64();
    let started = Instant::now();
    let handles: Vec<_> = kiosks
        .into_iter()
        .map(|(mut app, _dir)| {
            let client = kiosk_client(&url, &app, key);
            std::thread::spawn(move || Ok::<_, anyhow::Error>(sync_once(&mut app, &client?)?.pushed))
        })
        .collect();
    let mut concurrent_events = 0;
    for h in handles {
        concurrent_events += h.join().map_err(|_| anyhow::anyhow!("a kiosk thread panicked"))??;
    }
    let concurrent_seconds = started.elapsed().as_secs_f64();

    // The server goes before its database.
    drop(runtime);
    Ok(SyncFigures {
        push_events: args.sync_events,
        push_seconds,
        push_events_per_second: args.sync_events as f64 / push_seconds,
        pull_entries: pulled_entries,
        pull_seconds,
        pull_entries_per_second: pulled_entries as f64 / pull_seconds,
        concurrent_kiosks: args.sync_kiosks,
        concurrent_events,
        concurrent_seconds,
        concurrent_events_per_second: concurrent_events as f64 / concurrent_seconds,
        setup_seconds: setup_secs,
    })
}

impl Figures for SyncFigures {
    fn print(&self) {
        println!(
            "push   {} events in {:.2} s ({:.0} events/s; goal under 1 s)",
            self.push_events, self.push_seconds, self.push_events_per_second
        );
        println!(
            "pull   {} ledger entries in {:.2} s ({:.0} entries/s; goal under 10 s)",
            self.pull_entries, self.pull_seconds, self.pull_entries_per_second
        );
        println!(
            "ingest {} kiosks pushing {} events at once in {:.2} s ({:.0} events/s)",
            self.concurrent_kiosks, self.concurrent_events, self.concurrent_seconds, self.concurrent_events_per_second
        );
        println!("(setup {:.1} s, not counted)", self.setup_seconds);
    }

    fn compared(&self) -> Vec<(&'static str, f64)> {
        vec![
            ("push", self.push_seconds),
            ("pull", self.pull_seconds),
            ("ingest", self.concurrent_seconds),
        ]
    }
}
