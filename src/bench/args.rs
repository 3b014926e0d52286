//! The arguments of `jifen bench`: which figures, and how big a village or county.

use std::path::PathBuf;

use clap::{Args, Parser};

/// `jifen bench …`, parsed on its own: the binary hands it the arguments after `bench`,
/// so the command line's grammar never names the benchmarks.
#[derive(Debug, Parser)]
#[command(
    name = "jifen bench",
    bin_name = "jifen bench",
    about = "Measure the figures the issues ask for (account view, redemption commit, printing, sync, photos)"
)]
pub struct BenchCli {
    #[command(flatten)]
    pub args: BenchArgs,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Households in the benchmark village.
    #[arg(long, default_value_t = 1000)]
    pub households: usize,
    /// Years of monthly history.
    #[arg(long, default_value_t = 5)]
    pub years: u32,
    /// Account views to time.
    #[arg(long, default_value_t = 2000)]
    pub lookups: usize,
    /// Redemptions to time.
    #[arg(long, default_value_t = 200)]
    pub redemptions: usize,
    /// Vouchers rendered and encoded per print mode and paper width.
    #[arg(long, default_value_t = 200)]
    pub prints: usize,
    /// Keep the benchmark database here instead of a temporary directory.
    #[arg(long)]
    pub keep: Option<PathBuf>,
    /// Measure township sync over loopback instead (push, pull, many kiosks at once).
    #[arg(long)]
    pub sync: bool,
    /// Events one kiosk pushes in the sync benchmark.
    #[arg(long, default_value_t = 10_000)]
    pub sync_events: usize,
    /// Ledger entries a fresh kiosk pulls in the sync benchmark.
    #[arg(long, default_value_t = 300_000)]
    pub sync_entries: usize,
    /// Kiosks (each its own village) pushing at once.
    #[arg(long, default_value_t = 50)]
    pub sync_kiosks: usize,
    /// Events each of those kiosks pushes.
    #[arg(long, default_value_t = 1_000)]
    pub sync_kiosk_events: usize,
    /// Load test instead: simulated kiosks syncing for a while, each its own village.
    #[arg(long)]
    pub sync_load: bool,
    #[arg(long, default_value_t = 200)]
    pub load_kiosks: usize,
    #[arg(long, default_value_t = 60)]
    pub load_seconds: u64,
    /// Mean pause between a kiosk's sync rounds in the load test; 0 runs them back to back.
    #[arg(long, default_value_t = 1000)]
    pub load_pause_ms: u64,
    /// Time evidence photos instead: a village's photos fetched and verified by a kiosk, and
    /// a link cut halfway through them.
    #[arg(long)]
    pub photos: bool,
    /// Photos (one per household) in the photo benchmark.
    #[arg(long, default_value_t = 200)]
    pub photo_count: usize,
    /// Time the township's ingest of a county-month of scoring instead (villages ×
    /// households × 3 entries, imported as each village's sheet).
    #[arg(long)]
    pub county_ingest: bool,
    #[arg(long, default_value_t = 200)]
    pub county_villages: usize,
    #[arg(long, default_value_t = 1000)]
    pub county_households: usize,
    /// Villages imported at once in the ingest.
    #[arg(long, default_value_t = 4)]
    pub county_writers: usize,
    /// Run the township benchmarks on PostgreSQL: a scratch database is created on this
    /// server (the role needs CREATEDB) and dropped afterwards.
    #[arg(long)]
    pub database_url: Option<String>,
    #[arg(long)]
    pub json: bool,
}
