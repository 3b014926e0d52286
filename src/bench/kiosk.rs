//! `jifen bench`: builds a village of realistic size and times what villagers wait for.
//! Figures: account view by ID number (median, p99) and redemption commit with
//! `synchronous=FULL` (median, p99), on a real SQLite file; card reply to account view;
//! and the printing figures of `print`.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use super::scratch::{bench_id_number, median_p99, TempDir};
use super::BenchArgs;
use crate::app::{App, Identity, NewItem, Village};
use crate::devices::idcard::simulator::SimulatedReader;
use crate::devices::idcard::{CardPoller, CardText, FrameDecoder, PollStep};
use crate::devices::InputEvent;
use crate::domain::catalogue::Stock;
use crate::domain::clock::SystemClock;
use crate::domain::id_number::IdNumber;
use crate::installation::DataDir;

#[derive(Serialize)]
struct Figures {
    households: usize,
    ledger_entries: usize,
    setup_seconds: f64,
    account_view_median_us: u128,
    account_view_p99_us: u128,
    redemption_commit_median_us: u128,
    redemption_commit_p99_us: u128,
    card_to_account_median_us: u128,
    card_to_account_p99_us: u128,
    print: Vec<super::print::PrintFigure>,
}

pub(super) fn run(args: &BenchArgs) -> anyhow::Result<ExitCode> {
    let tmp;
    let root = match &args.keep {
        Some(p) => p.clone(),
        None => {
            tmp = TempDir::new()?;
            tmp.0.clone()
        }
    };
    let dir = DataDir {
        root: root.join("bench"),
    };
    let started = Instant::now();
    let village = Village {
        code: "BM".into(),
        name: "基准村".into(),
    };
    let mut app = App::init(&dir, village, Arc::new(SystemClock)).context("cannot create the benchmark village")?;
    let ids: Vec<String> = (0..args.households).map(bench_id_number).collect();
    let mut csv = String::from("household_code,grid,name,id_number,role,qr_token\n");
    for (h, id) in ids.iter().enumerate() {
        csv.push_str(&format!("BM-{h:04},{},测试户主{h},{id},head,\n", h % 5 + 1));
    }
    app.import_households("bench-households.csv", csv.as_bytes(), false)?;
    let mut rng = StdRng::seed_from_u64(1);
    let rules = ["B16", "B17", "B11", "B13", "D16", "D11", "B24"];
    let this_month = app.this_month();
    let mut entries = 0;
    for back in (0..args.years * 12).rev() {
        let month = this_month.minus(back);
        let mut sheet = String::from("month,household_code,rule_code,points,note,recorded_by\n");
        for h in 0..args.households {
            // Five distinct rules a month per household: ~300k entries for 1000 households × 5 years.
            let start = rng.gen_range(0..rules.len());
            for k in 0..5 {
                sheet.push_str(&format!(
                    "{month},BM-{h:04},{},,,网格员\n",
                    rules[(start + k) % rules.len()]
                ));
                entries += 1;
            }
        }
        app.import_points(&format!("bench-{month}.csv"), sheet.as_bytes(), false)?;
    }
    app.add_item(NewItem {
        code: "NOODLE".into(),
        name: "面券".into(),
        points_cost: 1,
        stock: Stock::Limited(1_000_000),
        merchant: Some("面馆".into()),
        sponsor: None,
        valid_days: 90,
        picture: None,
    })?;
    let setup = started.elapsed();

    let mut views = Vec::with_capacity(args.lookups);
    for _ in 0..args.lookups {
        let who = Identity::IdNumber(ids[rng.gen_range(0..ids.len())].clone());
        let t = Instant::now();
        let view = app.account_view(&who)?;
        views.push(t.elapsed());
        std::hint::black_box(view);
    }
    let mut commits = Vec::with_capacity(args.redemptions);
    let mut serial = None;
    for _ in 0..args.redemptions {
        let household = format!("BM-{:04}", rng.gen_range(0..args.households));
        let t = Instant::now();
        let receipt = app.redeem(&household, "NOODLE", 1, "bench");
        commits.push(t.elapsed());
        if let Ok(r) = std::hint::black_box(receipt) {
            serial = Some(r.serial);
        }
    }
    let mut card_latency = Vec::with_capacity(args.lookups);
    for _ in 0..args.lookups {
        let id = IdNumber::parse(&ids[rng.gen_range(0..ids.len())])?;
        card_latency.push(card_to_account(&mut app, id)?);
    }
    let print = match serial {
        Some(s) => super::print::measure(&mut app, &s, args.prints)?,
        None => Vec::new(),
    };
    let (lm, lp) = median_p99(&mut card_latency);
    let (vm, vp) = median_p99(&mut views);
    let (cm, cp) = median_p99(&mut commits);
    let figures = Figures {
        households: args.households,
        ledger_entries: entries,
        setup_seconds: setup.as_secs_f64(),
        account_view_median_us: vm,
        account_view_p99_us: vp,
        redemption_commit_median_us: cm,
        redemption_commit_p99_us: cp,
        card_to_account_median_us: lm,
        card_to_account_p99_us: lp,
        print,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&figures)?);
    } else {
        println!(
            "village: {} households, {} ledger entries (built in {:.1} s)",
            figures.households, figures.ledger_entries, figures.setup_seconds
        );
        println!(
            "account view by ID number: median {} µs, p99 {} µs ({} lookups)",
            vm, vp, args.lookups
        );
        println!("card read reply's last byte to account view ready: median {lm} µs, p99 {lp} µs");
        println!(
            "redemption commit (synchronous=FULL): median {} µs, p99 {} µs ({} redemptions)",
            cm, cp, args.redemptions
        );
        for f in &figures.print {
            print!("{}", super::print::describe(f));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One card on the simulated reader: find and select run through the real frames, then
/// the time is taken from the read reply's last byte to the account view being ready.
fn card_to_account(app: &mut App, id: IdNumber) -> anyhow::Result<Duration> {
    let mut reader = SimulatedReader::default();
    reader.place(CardText {
        name: "测试户主".into(),
        sex: "1".into(),
        ethnicity: "01".into(),
        birth_date: String::new(),
        address: String::new(),
        id_number: id,
        issuer: String::new(),
        valid_from: String::new(),
        valid_to: "长期".into(),
    });
    let mut poller = CardPoller::new("bench");
    let mut decoder = FrameDecoder::default();
    loop {
        let reply = reader.feed(&poller.request());
        let Some((last, head)) = reply.split_last() else {
            anyhow::bail!("the simulated reader did not answer");
        };
        let mut bodies = decoder.push(head);
        let t = Instant::now();
        bodies.extend(decoder.push(std::slice::from_ref(last)));
        let body = bodies.pop().context("no frame decoded")?;
        match poller.on_reply(&body) {
            PollStep::Continue => continue,
            PollStep::Event(InputEvent::CardRead { id_number, .. }) => {
                std::hint::black_box(app.account_view(&Identity::Card(id_number))?);
                return Ok(t.elapsed());
            }
            other => anyhow::bail!("unexpected reader step {other:?}"),
        }
    }
}
