//! The command line, the binary's edge: parse arguments, open the installation, call a
//! service, print the answer as text or JSON. Errors become one line on stderr.

mod admin;
mod admin_catalogue;
mod admin_sponsors;
mod admin_vouchers;
pub mod args;
mod args_admin;
mod args_evidence;
mod args_sponsors;
mod args_township;
mod console_kiosk;
mod console_users;
mod devices;
mod evidence;
mod export;
mod printing;
mod sync;
mod text;
mod touch_kiosk;
mod township;
mod township_fleet;
mod township_reports;
mod voice;

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;

use crate::app::{App, Village};
use crate::domain::clock::SystemClock;
use crate::installation::{Config, DataDir};
use args::{Cli, Command, KioskArgs};

/// Runs the `jifen` command line with the process arguments.
pub fn run() -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    PROCESS_START.get_or_init(|| started);
    let cli = Cli::parse();
    // The township server logs each request at info unless told otherwise.
    let serving =
        matches!(&cli.command, Some(Command::Township(t)) if matches!(t.command, args::TownshipCommand::Serve { .. }));
    let filter = match std::env::var("JIFEN_LOG") {
        Err(_) if serving => tracing_subscriber::EnvFilter::new("info"),
        _ => tracing_subscriber::EnvFilter::from_env("JIFEN_LOG"),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let config = Config::load(cli.config.as_deref())?;
    let printer = printing::PrinterChoice {
        config: config.printer.clone(),
        url_override: cli.printer.clone(),
    };
    match cli.command.unwrap_or(Command::Kiosk(KioskArgs::default())) {
        Command::Kiosk(k) => {
            let explicit = cli.data_dir.is_some();
            let mut dir = DataDir::resolve(cli.data_dir);
            if k.demo && !explicit {
                dir.root = dir.root.join("demo");
            }
            let app = if k.demo && !dir.exists() {
                let mut app = init_demo_village(&dir)?;
                app.seed_demo()?;
                app
            } else {
                open(&dir)?
            };
            // A wrong [honours] rule is said now, not on the home screen.
            let mut app = app;
            app.set_honours_rule(config.honours.checked()?);
            if config.proxy.deliverers.is_empty() && k.demo {
                app.set_deliverers(&crate::app::demo::demo_deliverers())?;
            } else {
                app.set_deliverers(&config.proxy.deliverers)?;
            }
            app.set_township_link(config.sync.url.as_deref());
            let device = printer.device(&dir)?;
            if k.console {
                console_kiosk::run(app, config.devices, device)
            } else {
                touch_kiosk::run(app, &dir, config.devices, config.sync, &config.voice, device, &k)
            }
        }
        Command::Admin(a) => admin::run(&DataDir::resolve(cli.data_dir), &printer, &config, a),
        Command::Print(p) => printing::run(&DataDir::resolve(cli.data_dir), &printer, &config.honours, p),
        Command::Devices(d) => devices::run(d),
        Command::Sync(s) => sync::run(&DataDir::resolve(cli.data_dir), &config, s),
        Command::Township(t) => township::run(t),
        Command::Voice(v) => voice::run(&DataDir::resolve(cli.data_dir), &config.voice, v),
    }
}

/// When `run` began: the start of the "first frame" figure.
static PROCESS_START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

fn open(dir: &DataDir) -> anyhow::Result<App> {
    Ok(App::open(dir, Arc::new(SystemClock))?)
}

fn init_demo_village(dir: &DataDir) -> anyhow::Result<App> {
    let village = Village {
        code: "YT".into(),
        name: "堰头村".into(),
    };
    App::init(dir, village, Arc::new(SystemClock))
        .with_context(|| format!("cannot create the demo village in {}", dir.root.display()))
}

/// Prints `value` as one JSON document, or as the text `render` makes of it.
fn emit<T: serde::Serialize>(json: bool, value: &T, render: impl FnOnce(&T) -> String) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        print!("{}", render(value));
    }
    Ok(())
}
