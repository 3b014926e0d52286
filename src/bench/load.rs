//! `jifen bench --sync-load`: many simulated kiosks, each its own village, redeeming and
//! syncing against one township server on loopback for a while. Reports requests/s,
//! events/s, p50/p99 request latency and errors (issue 7's load test), on SQLite or, with
//! `--database-url`, PostgreSQL. `--county-ingest` times a county-month of scoring.

use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;
use serde::Serialize;

use super::engines::{on_each_engine, Engine, Figures};
use super::village::{households_csv, kiosk_client, points_csv, register, village_kiosk};
use super::BenchArgs;
use crate::domain::clock::Clock;
use crate::sync::server::{start_in_background, ServerState};
use crate::sync::sync_once;

/// Households per simulated village, and the local events a kiosk makes per round.
const HOUSEHOLDS: usize = 20;
const EVENTS_PER_ROUND: usize = 3;

#[derive(Serialize)]
struct LoadFigures {
    kiosks: usize,
    /// Mean pause between a kiosk's rounds (0: back to back, the server saturated).
    pause_ms: u64,
    seconds: f64,
    rounds: usize,
    requests: usize,
    requests_per_second: f64,
    events_pushed: usize,
    events_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: usize,
    setup_seconds: f64,
}

pub(super) fn run(args: &BenchArgs) -> anyhow::Result<ExitCode> {
    on_each_engine(args, |engine, _folder, clock| load(args, engine, clock))
}

fn load(args: &BenchArgs, engine: &Engine, clock: &Arc<dyn Clock>) -> anyhow::Result<LoadFigures> {
    let setup = Instant::now();
    let kiosks_dir = super::scratch::TempDir::in_memory()?;
    let clock = clock.clone();
    let township = engine.storage.clone();
    let (url, runtime) = start_in_background(ServerState::new(township.clone(), clock.clone())?)?;
    let key = township.township_key()?.verifying_key();
    let mut kiosks = Vec::with_capacity(args.load_kiosks);
    for i in 0..args.load_kiosks {
        let code = format!("L{i:03}");
        let (mut app, dir) = village_kiosk(&kiosks_dir.0, &code, HOUSEHOLDS, HOUSEHOLDS, &clock)?;
        app.add_item(crate::app::NewItem {
            code: "MQ".into(),
            name: "面券".into(),
            points_cost: 1,
            stock: crate::domain::catalogue::Stock::Unlimited,
            merchant: None,
            sponsor: None,
            valid_days: 30,
            picture: None,
        })?;
        register(township.as_ref(), &code, &mut app, HOUSEHOLDS)?;
        // The first round (everything set up so far) is not part of the figures.
        let client = kiosk_client(&url, &app, key)?;
        sync_once(&mut app, &client)?;
        kiosks.push((app, dir));
    }
    let setup_seconds = setup.elapsed().as_secs_f64();

    let timings = Arc::new(Mutex::new(Vec::new()));
    let deadline = Instant::now() + Duration::from_secs(args.load_seconds);
    let pause_ms = args.load_pause_ms;
    let started = Instant::now();
    let handles: Vec<_> = kiosks
        .into_iter()
        .map(|(mut app, _dir)| {
            let client = kiosk_client(&url, &app, key).map(|c| c.with_timings(timings.clone()));
            std::thread::spawn(move || {
                let (mut rounds, mut pushed) = (0usize, 0usize);
                let mut rng = rand::thread_rng();
                // Spread the kiosks' first rounds over a second, as real ones would be.
                std::thread::sleep(Duration::from_millis(rng.gen_range(0..1000)));
                while Instant::now() < deadline {
                    for _ in 0..EVENTS_PER_ROUND {
                        let h = format!("{}-{:05}", app.village().code, rng.gen_range(0..HOUSEHOLDS));
                        let _ = app.award(&h, "B16", Some(1), None, None, "网格员");
                    }
                    if let Ok(r) = client
                        .as_ref()
                        .map_err(|_| ())
                        .and_then(|c| sync_once(&mut app, c).map_err(|_| ()))
                    {
                        pushed += r.pushed;
                    }
                    rounds += 1;
                    if pause_ms > 0 {
                        std::thread::sleep(Duration::from_millis(rng.gen_range(pause_ms / 2..pause_ms * 3 / 2)));
                    }
                }
                (rounds, pushed)
            })
        })
        .collect();
    let (mut rounds, mut pushed) = (0, 0);
    for h in handles {
        let (r, p) = h.join().map_err(|_| anyhow::anyhow!("a kiosk thread panicked"))?;
        rounds += r;
        pushed += p;
    }
    let seconds = started.elapsed().as_secs_f64();
    let samples = std::mem::take(&mut *timings.lock().unwrap_or_else(|p| p.into_inner()));
    let errors = samples.iter().filter(|(_, ok)| !ok).count();
    let mut durations: Vec<Duration> = samples.iter().map(|(d, _)| *d).collect();
    durations.sort();
    let pct = |p: f64| {
        durations
            .get(((durations.len() as f64 * p) as usize).min(durations.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    // The server goes before its database.
    drop(runtime);
    Ok(LoadFigures {
        kiosks: args.load_kiosks,
        pause_ms: args.load_pause_ms,
        seconds,
        rounds,
        requests: samples.len(),
        requests_per_second: samples.len() as f64 / seconds,
        events_pushed: pushed,
        events_per_second: pushed as f64 / seconds,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        errors,
        setup_seconds,
    })
}

impl Figures for LoadFigures {
    fn print(&self) {
        println!(
            "{} kiosks pausing ~{} ms for {:.0} s: {} requests ({:.0}/s), {} events pushed ({:.0}/s), \
             latency p50 {:.1} ms p99 {:.1} ms (goal under 50 ms), {} errors (setup {:.0} s)",
            self.kiosks,
            self.pause_ms,
            self.seconds,
            self.requests,
            self.requests_per_second,
            self.events_pushed,
            self.events_per_second,
            self.p50_ms,
            self.p99_ms,
            self.errors,
            self.setup_seconds
        );
    }

    fn compared(&self) -> Vec<(&'static str, f64)> {
        vec![("p50", self.p50_ms), ("p99", self.p99_ms)]
    }
}

#[derive(Serialize)]
struct IngestFigures {
    /// Villages imported at once (staff of several villages working together).
    writers: usize,
    villages: usize,
    households: usize,
    entries: usize,
    households_seconds: f64,
    entries_seconds: f64,
    entries_per_second: f64,
}

/// One county-month: every village's register, then every village's scoring sheet of
/// three entries per household, through the same import the township staff use.
pub(super) fn county_ingest(args: &BenchArgs) -> anyhow::Result<ExitCode> {
    on_each_engine(args, |engine, _folder, _clock| county_month(args, engine))
}

fn county_month(args: &BenchArgs, engine: &Engine) -> anyhow::Result<IngestFigures> {
    let township = engine.storage.as_ref();
    let codes: Vec<String> = (0..args.county_villages).map(|i| format!("C{i:03}")).collect();
    for code in &codes {
        township.add_village(code, &format!("{code}村"), None)?;
    }
    let writers = args.county_writers.max(1);
    let started = Instant::now();
    in_parallel(&codes, writers, |code| {
        township.import_households(
            code,
            "households.csv",
            households_csv(code, args.county_households).as_bytes(),
        )
    })?;
    let households_seconds = started.elapsed().as_secs_f64();
    let sheets: Vec<String> = codes
        .iter()
        .map(|c| points_csv(c, args.county_households, args.county_households * 3))
        .collect();
    let started = Instant::now();
    let indexes: Vec<usize> = (0..codes.len()).collect();
    in_parallel(&indexes, writers, |&i| {
        township.import_points(&codes[i], "sheet.csv", sheets[i].as_bytes())
    })?;
    let entries_seconds = started.elapsed().as_secs_f64();
    let entries = args.county_villages * args.county_households * 3;
    Ok(IngestFigures {
        writers,
        villages: args.county_villages,
        households: args.county_villages * args.county_households,
        entries,
        households_seconds,
        entries_seconds,
        entries_per_second: entries as f64 / entries_seconds,
    })
}

impl Figures for IngestFigures {
    fn print(&self) {
        println!(
            "county-month with {} writers: {} households registered in {:.1} s; {} entries ingested in {:.1} s ({:.0}/s; goal under 15 s)",
            self.writers, self.households, self.households_seconds, self.entries, self.entries_seconds, self.entries_per_second
        );
    }

    fn compared(&self) -> Vec<(&'static str, f64)> {
        vec![
            ("households", self.households_seconds),
            ("entries", self.entries_seconds),
        ]
    }
}

/// Runs `f` over the items on `threads` threads, each taking every n-th item.
fn in_parallel<T: Sync, R>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> crate::township::Result<R> + Sync,
) -> anyhow::Result<()> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let f = &f;
                scope.spawn(move || -> crate::township::Result<()> {
                    for item in items.iter().skip(t).step_by(threads) {
                        f(item)?;
                    }
                    Ok(())
                })
            })
            .collect();
        for h in handles {
            h.join().map_err(|_| anyhow::anyhow!("an import thread panicked"))??;
        }
        Ok(())
    })
}
