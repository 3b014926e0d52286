//! `jifen bench`: the figures the issues ask for, measured on real files, real HTTP on
//! loopback and, with `--database-url`, a scratch PostgreSQL database. An edge of its own
//! beside the front ends: no front end imports it (the binary's `main` hands it the
//! arguments after `bench`), and the appliance's binary is built without it
//! (`--no-default-features`), scratch databases and all.

mod args;
mod engines;
mod kiosk;
mod load;
mod photos;
mod print;
mod scratch;
mod sync;
mod village;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

pub use args::{BenchArgs, BenchCli};

/// `jifen bench ARGS…`: `args` are the process arguments from `bench` on.
pub fn run_from(args: impl IntoIterator<Item = OsString>) -> anyhow::Result<ExitCode> {
    let cli = BenchCli::parse_from(args);
    // The servers a bench starts log through tracing, as `township serve` does (JIFEN_LOG).
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("JIFEN_LOG"))
        .with_writer(std::io::stderr)
        .init();
    run(cli.args)
}

/// Runs the bench the arguments choose; the kiosk's own figures when none is chosen.
pub fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    if args.photos {
        photos::run(&args)
    } else if args.county_ingest {
        load::county_ingest(&args)
    } else if args.sync_load {
        load::run(&args)
    } else if args.sync {
        sync::run(&args)
    } else {
        kiosk::run(&args)
    }
}
