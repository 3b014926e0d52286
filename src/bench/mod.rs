//! `jifen bench`: the figures the issues ask for, measured on real files, real HTTP on
//! loopback and, with `--database-url`, a scratch PostgreSQL database. An edge of its own
//! beside the front ends: no front end imports it (the command line's grammar names its
//! arguments and hands them over, behind the `bench` feature), and the appliance's binary
//! is built without it (`--no-default-features`), scratch databases and all.

mod args;
mod engines;
mod kiosk;
mod load;
mod photos;
mod print;
mod scratch;
mod sync;
mod village;

use std::process::ExitCode;

pub use args::BenchArgs;

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
