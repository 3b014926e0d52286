//! `jifen kiosk`: the touch screen. With `--demo` and no card reader configured, a
//! simulated reader runs on a pty inside the process and takes `place N` / `lift` on the
//! terminal; a household card's token typed in the window acts as a keyboard-wedge scan.
//! `--screenshots DIR` draws every screen headless and prints the figures.

use std::process::ExitCode;

use anyhow::{anyhow, Context};

use super::args::KioskArgs;
use crate::app::App;
use crate::devices::hub::InputHub;
use crate::devices::idcard::simulator::PtyReader;
use crate::installation::{DataDir, DevicesConfig, SyncConfig};
use crate::print::url::PrinterUrl;
use crate::print::PrinterDevice;

pub(super) fn run(
    mut app: App,
    dir: &DataDir,
    mut devices: DevicesConfig,
    sync: SyncConfig,
    voice: &crate::voice::VoiceConfig,
    printer: PrinterDevice,
    args: &KioskArgs,
) -> anyhow::Result<ExitCode> {
    let lang: crate::ui::Language = args.lang.parse().map_err(|e: String| anyhow!(e))?;
    if let Some(out) = &args.screenshots {
        return screenshots(app, dir, out, args, lang, voice);
    }
    // In the demo, a simulated reader stands in for the real one; the terminal places cards.
    let _simulator = if args.demo && devices.idcard.is_none() {
        let sim = PtyReader::start().context("cannot open a pseudo-terminal for the simulated reader")?;
        devices.idcard = Some(sim.path().to_path_buf());
        let cards = demo_cards(&mut app)?;
        let commands = sim.reader.clone();
        eprintln!(
            "演示：在这里输入 place 1 … place 5 放一张演示身份证，lift 拿走；\n\
             或在窗口里输入户卡 {} 再按回车（YT-058 户，像扫码枪一样）。工作人员密码 {}",
            crate::app::demo::demo_qr_token(57),
            crate::app::demo::DEMO_CLERK_PIN
        );
        std::thread::spawn(move || {
            let _ = super::devices::serve_reader_commands(&commands, &cards, std::io::stdin().lock());
        });
        Some(sim)
    } else {
        None
    };
    // Sync in the background when a township is configured; the screen never waits for it.
    let _sync = sync.url.is_some().then(|| {
        let interval = std::time::Duration::from_secs(sync.interval_secs.unwrap_or(60).max(5));
        crate::sync::SyncLoop::start(
            dir.clone(),
            sync.clone(),
            interval,
            std::sync::Arc::new(crate::domain::clock::SystemClock),
        )
    });
    if sync.url.is_some() {
        app.join_fleet()?;
    }
    let speaker = crate::voice::Speaker::start(voice);
    // A clerk's choice in clerk mode outlives the config's default.
    if let Some(p) = app.voice_preference()? {
        speaker.set_enabled(p.enabled);
        speaker.set_volume(p.volume);
    }
    let mut hub = InputHub::start(&devices);
    let events = std::mem::replace(&mut hub.events, std::sync::mpsc::channel().1);
    let setup = crate::ui::ScreenSetup {
        lang,
        reader_on_left: devices.reader_side != Some(crate::installation::ReaderSide::Right),
    };
    // Photos older than the cache are fetched when a villager opens their entry.
    if let Some(bytes) = sync.photo_cache_bytes() {
        app.set_photo_cache_bytes(bytes);
    }
    let photos: Option<Box<dyn crate::app::PhotoFetcher>> = match &sync.url {
        Some(url) => {
            let options = crate::sync::client_options(&mut app, &sync, None)?;
            let client = crate::sync::SyncClient::new(url, app.device_signing_key(), &app.village().code, &options)?;
            Some(Box::new(crate::sync::photos::OnDemand(client)))
        }
        None => None,
    };
    crate::ui::run(app, printer, events, setup, speaker, photos)
        .context("the touch screen cannot start (is there a display?)")?;
    Ok(ExitCode::SUCCESS)
}

/// The demo's five cards, in the names of the first five households' heads (masked: the
/// greeting uses only the surname).
fn demo_cards(app: &mut App) -> anyhow::Result<Vec<crate::devices::idcard::CardText>> {
    (0..5)
        .map(|h| {
            let id = crate::domain::id_number::IdNumber::parse(&crate::app::demo::demo_id_number(h, 0))?;
            let code = format!("YT-{:03}", h + 1);
            let view = app.account_view(&crate::app::Identity::HouseholdCode(code))?;
            Ok(super::devices::card(&view.head.unwrap_or_else(|| "村民".into()), id))
        })
        .collect()
}

fn screenshots(
    app: App,
    dir: &DataDir,
    out: &std::path::Path,
    args: &KioskArgs,
    lang: crate::ui::Language,
    voice: &crate::voice::VoiceConfig,
) -> anyhow::Result<ExitCode> {
    let (w, h) = args
        .size
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)))
        .filter(|(w, h)| (640..=7680).contains(w) && (480..=4320).contains(h))
        .with_context(|| format!("--size must look like 1920x1080, not '{}'", args.size))?;
    // Work on a copy: the screenshots redeem and print, the village's data stays as it was.
    // The config's settings go with it.
    let (rule, deliverers) = (app.honours_rule().clone(), app.deliverers().to_vec());
    let township = app.township_link().map(str::to_string);
    drop(app);
    let scratch = tempfile_dir()?;
    let copy = DataDir {
        root: scratch.join("data"),
    };
    let copying = std::time::Instant::now();
    copy_data_dir(dir, &copy)?;
    let copy_ms = copying.elapsed().as_secs_f64() * 1000.0;
    let mut app = super::open(&copy)?;
    app.set_honours_rule(rule);
    app.set_deliverers(&deliverers)?;
    app.set_township_link(township.as_deref());
    let printer = PrinterDevice {
        url: PrinterUrl::Preview(scratch.join("previews")),
        mode: Default::default(),
        width: Default::default(),
        templates: None,
    };
    let started = *super::PROCESS_START.get_or_init(std::time::Instant::now);
    // The quarter's top household has the fullest history to show.
    let mut app = app;
    let quarter = app.this_month().quarter();
    let ranking = app.ranking(quarter, None)?.rows;
    let (Some(rich), Some(poor)) = (ranking.first(), ranking.last()) else {
        anyhow::bail!("the village has no households to show");
    };
    // On the scratch copy: deductions take the last household below zero, to show how
    // the account screen explains it (each within its rule's points, as a clerk's are).
    let balance = |app: &mut App| -> anyhow::Result<i64> {
        Ok(app
            .account_view(&crate::app::Identity::HouseholdCode(poor.household_code.clone()))?
            .balance)
    };
    // A photographed deduction, so the entry detail shows its supervision sheet.
    let sheet = crate::app::Photo {
        name: "督导单.png".into(),
        bytes: crate::app::demo_evidence::sheet_picture(1),
    };
    app.award_with_photos(
        &poor.household_code,
        "D16",
        None,
        Some("督导单已拍照"),
        None,
        "网格员沈",
        &[sheet],
    )?;
    while balance(&mut app)? >= 0 {
        app.award(&poor.household_code, "D21", None, None, None, "screenshots")?;
    }
    // Their household cards' tokens, as a villager would scan them (issued on the
    // scratch copy if a household has none).
    let mut token = |code: &str| -> anyhow::Result<String> {
        let card = app.household_card(code, false, "screenshots")?;
        Ok(card.fields.get("qr").cloned().unwrap_or_default())
    };
    let households = crate::ui::screenshots::ShownHouseholds {
        rich: token(&rich.household_code)?,
        below_zero: token(&poor.household_code)?,
    };
    let voice = crate::voice::Voice::from_config(voice);
    let sitting = crate::ui::screenshots::Sitting {
        dir: out,
        size: (w, h),
        lang,
        voice: &voice,
    };
    let figures = crate::ui::screenshots::capture(app, printer, sitting, households, started);
    let _ = std::fs::remove_dir_all(&scratch);
    let figures = figures?;
    println!(
        "{} screens at {w}x{h} ({}) in {}",
        figures.screens.len(),
        args.lang,
        out.display()
    );
    if !figures.wav_written {
        println!(
            "no synthesiser: each screen's words are in <screen>.say.txt, without a .wav (apt-get install espeak-ng)"
        );
    }
    println!(
        "first frame drawn {:.0} ms after start ({:.0} ms without copying the data to the scratch directory, \
         which the kiosk itself does not do); card to account screen drawn {:.1} ms; resident memory {:.1} MB",
        figures.first_frame_ms,
        figures.first_frame_ms - copy_ms,
        figures.card_to_account_ms,
        figures.resident_memory_mb
    );
    Ok(ExitCode::SUCCESS)
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let p = std::env::temp_dir().join(format!("jifen-screens-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&p).with_context(|| format!("cannot create {}", p.display()))?;
    Ok(p)
}

/// Copies the database (with its WAL) and the keys.
fn copy_data_dir(from: &DataDir, to: &DataDir) -> anyhow::Result<()> {
    for sub in ["", "keys"] {
        let src = from.root.join(sub);
        let dst = to.root.join(sub);
        std::fs::create_dir_all(&dst).with_context(|| format!("cannot create {}", dst.display()))?;
        for entry in std::fs::read_dir(&src).with_context(|| format!("cannot read {}", src.display()))? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                std::fs::copy(entry.path(), dst.join(entry.file_name()))
                    .with_context(|| format!("cannot copy {}", entry.path().display()))?;
            }
        }
    }
    Ok(())
}
