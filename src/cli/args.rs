//! The command-line grammar (DESIGN.md §4). Names here are a stable interface.

use std::path::PathBuf;

pub use super::args_evidence::*;
use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "jifen",
    version,
    about = "村级积分兑换一体机 — village points kiosk, township server and admin CLI"
)]
pub struct Cli {
    /// Data directory (database, keys, printer previews).
    #[arg(long, global = true, env = "JIFEN_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Config file (TOML); /etc/jifen/jifen.toml when present.
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Printer address, overriding the config file: usb:/dev/usb/lp0,
    /// serial:/dev/ttyUSB0?baud=9600, tcp://host:9100 or preview:DIR.
    #[arg(long, global = true, env = "JIFEN_PRINTER")]
    pub printer: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The kiosk (the default command).
    Kiosk(KioskArgs),
    /// Clerk and operator commands.
    Admin(AdminArgs),
    /// Printer checks and documents: test page, previews, statements, unconfirmed vouchers.
    #[command(subcommand)]
    Print(PrintCommand),
    /// Card readers and scanners: list ports, read a card, simulate a reader.
    #[command(subcommand)]
    Devices(DevicesCommand),
    /// Measure the figures the issues ask for (account view, redemption commit, printing, sync).
    Bench(BenchArgs),
    /// Sync with the township server.
    #[command(subcommand)]
    Sync(SyncCommand),
    /// The township server and its staff's commands (villages, kiosks, imports, reports).
    Township(TownshipArgs),
    /// The kiosk's voice: say a text as the kiosk would, check a recorded voice pack.
    #[command(subcommand)]
    Voice(super::voice::VoiceCommand),
}

#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// One round: push waiting events, pull the township's changes. Exit 1 on failure.
    Once {
        /// The township server; `[sync] url` from the config when omitted.
        #[arg(long)]
        url: Option<String>,
        /// The township's public key (`jifen township key show`), given at enrolment and
        /// remembered; `[sync] township_key` from the config when omitted.
        #[arg(long)]
        township_key: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Last success, events waiting, last error.
    Status {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, clap::Args)]
pub struct TownshipArgs {
    /// The township database (SQLite); village databases go beside it in `<name>.villages/`.
    #[arg(long, env = "JIFEN_TOWNSHIP_DB", global = true)]
    pub db: Option<PathBuf>,
    /// The township on PostgreSQL instead, for a county: postgres://USER[:PASSWORD]@HOST[:PORT]/DB
    /// (or `host=/run/postgresql dbname=jifen user=jifen`).
    #[arg(long, env = "JIFEN_DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// PostgreSQL connections the server keeps open.
    #[arg(long, default_value_t = 16, global = true)]
    pub connections: usize,
    #[command(subcommand)]
    pub command: TownshipCommand,
}

#[derive(Debug, Subcommand)]
pub enum TownshipCommand {
    /// Run the sync server.
    Serve {
        /// Address to listen on, e.g. 0.0.0.0:8080 (port 0 picks a free port and prints it).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
    },
    #[command(subcommand)]
    Village(TownshipVillageCommand),
    #[command(subcommand)]
    Device(TownshipDeviceCommand),
    /// The township's signing key: kiosks are given its public half at enrolment.
    #[command(subcommand)]
    Key(TownshipKeyCommand),
    /// An online, consistent copy of the registry and every village (SQLite engine),
    /// safe while `serve` runs.
    Backup {
        #[arg(long)]
        out: PathBuf,
    },
    /// Put a backup back (SQLite: `--from DIR`, with `serve` stopped). On PostgreSQL,
    /// run it without `--from` after `pg_restore`. Either way every village's feed gets a
    /// new generation, so the kiosks send again what the township lost and pull again.
    Restore {
        #[arg(long)]
        from: Option<PathBuf>,
    },
    /// Goods the township puts on a kiosk's shelf.
    #[command(subcommand)]
    Catalogue(TownshipCatalogueCommand),
    #[command(subcommand)]
    Households(TownshipImportCommand),
    #[command(subcommand)]
    Points(TownshipPointsCommand),
    /// Households' disputes of entries and their answers.
    #[command(subcommand)]
    Dispute(TownshipDisputeCommand),
    #[command(subcommand)]
    Rules(RulesCommand),
    #[command(subcommand)]
    Household(TownshipHouseholdCommand),
    /// Reports across villages.
    Report {
        #[command(subcommand)]
        report: TownshipReport,
    },
    /// Integrity check of every village database (exit 2 when a problem is found).
    Verify {
        #[arg(long)]
        village: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TownshipVillageCommand {
    /// Register a village (with the standard rule set and the township's rule imports).
    Add {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        /// A kiosk's `keys/id-number.key`, for a village whose kiosk registered residents
        /// before the township did; a new key is made otherwise.
        #[arg(long)]
        id_key_file: Option<PathBuf>,
    },
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TownshipDeviceCommand {
    /// Register a kiosk by its public key (`jifen admin device show` prints it); it gets
    /// the next number of its village, part of every serial it prints.
    Add {
        #[arg(long)]
        village: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        public_key: String,
        /// Register a box again under the number its serials already carry (after a restore).
        #[arg(long)]
        number: Option<u32>,
        #[arg(long)]
        json: bool,
    },
    /// A lost or stolen box: refused from now on; what it printed before still settles.
    Retire {
        #[arg(long)]
        village: String,
        #[arg(long)]
        device: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Every kiosk: its number, last contact, events waiting, retired or not.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TownshipKeyCommand {
    Show {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TownshipCatalogueCommand {
    /// Put goods on a kiosk's shelf (only that kiosk hands them out).
    Restock {
        #[arg(long)]
        village: String,
        /// The kiosk's device id (`township device list`).
        #[arg(long)]
        device: String,
        #[arg(long)]
        code: String,
        #[arg(long)]
        add: i64,
        #[arg(long, default_value = "乡镇")]
        by: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TownshipImportCommand {
    /// Import a CSV (same columns as the admin import) for one village; it flows to its kiosks.
    Import {
        #[arg(long)]
        village: String,
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TownshipHouseholdCommand {
    /// A household's balance and entries as the township sees them (same JSON as admin).
    Show {
        #[arg(long)]
        village: String,
        code: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TownshipReport {
    /// Households of every village (or one) ranked together by points earned in the quarter.
    Ranking {
        #[arg(long)]
        village: Option<String>,
        #[arg(long)]
        quarter: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Points by area per village: villages where only the easy items get scored stand out.
    Areas {
        #[arg(long)]
        village: Option<String>,
        #[arg(long)]
        quarter: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Households taken below zero by synced entries (offline redemption meeting a deduction).
    Overdrafts {
        #[arg(long)]
        village: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Disputes by state, per rule and per recorder: a rule or a recorder with many
    /// corrections is what staff look at.
    Disputes {
        #[arg(long)]
        village: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Vouchers settled at two kiosks while offline (or settled after a void).
    DoubleSettlements {
        #[arg(long)]
        village: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Events from kiosks set aside with their reasons (waiting, or not a kiosk's to send).
    SyncProblems {
        #[arg(long)]
        village: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum PrintCommand {
    /// Print the test page (text sizes, alignments, a QR) on the configured printer.
    TestPage,
    /// Write a voucher's PNG and the exact ESC/POS bytes into a folder; nothing is printed
    /// and the voucher is not marked.
    Preview {
        #[arg(long)]
        voucher: String,
        #[arg(long)]
        out: PathBuf,
        /// raster or text; the configured mode when omitted.
        #[arg(long)]
        mode: Option<String>,
        /// 384 or 576 dots; the configured width when omitted.
        #[arg(long)]
        width: Option<u32>,
    },
    /// Print a household's points statement (balance, rank, 12 months by area, signed QR).
    Statement {
        #[arg(long)]
        household: String,
    },
    /// Check a statement's QR text: exits 0 and shows its figures when this kiosk signed it.
    VerifyStatement {
        qr: String,
        #[arg(long)]
        json: bool,
    },
    /// Reprint every voucher whose paper was never confirmed (the kiosk itself reprints a
    /// household's only when that household's card is read, never at start-up).
    Pending {
        #[arg(long)]
        json: bool,
    },
    /// Record that a voucher sent to a printer that cannot report did come out.
    Confirm { serial: String },
    /// Ask the printer for its status (paper, cover, online).
    Status {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args, Default)]
pub struct KioskArgs {
    /// Run on a demo village, created in <data dir>/demo on first run.
    #[arg(long)]
    pub demo: bool,
    /// The line-oriented kiosk on the terminal instead of the touch screen.
    #[arg(long)]
    pub console: bool,
    /// Draw every screen into PNGs in DIR (no display needed), print the figures, exit.
    #[arg(long)]
    pub screenshots: Option<PathBuf>,
    /// Screen size for --screenshots, e.g. 1920x1080 or 1280x800.
    #[arg(long, default_value = "1920x1080")]
    pub size: String,
    /// Language of the screens: zh_CN (default) or en.
    #[arg(long, default_value = "zh_CN")]
    pub lang: String,
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

#[derive(Debug, Args)]
pub struct AdminArgs {
    /// Who is doing this, recorded beside every change.
    #[arg(long, global = true, env = "JIFEN_CLERK", default_value = "admin")]
    pub by: String,
    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Set up a new village in the data directory, with the standard rule set.
    Init {
        #[arg(long)]
        village_code: String,
        #[arg(long)]
        village_name: String,
    },
    /// Seed the demo village (creates 堰头村 YT in an empty data directory).
    Demo {
        #[arg(long)]
        json: bool,
    },
    #[command(subcommand)]
    Household(HouseholdCommand),
    #[command(subcommand)]
    Rules(RulesCommand),
    #[command(subcommand)]
    Points(PointsCommand),
    /// Photos on entries.
    #[command(subcommand)]
    Evidence(EvidenceCommand),
    /// A household's dispute of an entry.
    #[command(subcommand)]
    Dispute(DisputeCommand),
    #[command(subcommand)]
    Catalogue(CatalogueCommand),
    /// Redeem an item for a household at the counter.
    Redeem {
        #[arg(long)]
        household: String,
        #[arg(long)]
        item: String,
        #[arg(long, default_value_t = 1)]
        qty: i64,
        #[arg(long)]
        json: bool,
    },
    #[command(subcommand)]
    Voucher(VoucherCommand),
    /// The quarter's ranking by points earned.
    Ranking {
        /// e.g. 2026Q4; the current quarter when omitted.
        #[arg(long)]
        quarter: Option<String>,
        #[arg(long)]
        grid: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Integrity check: balances, stock, vouchers, orphans. Exit 2 when a problem is found.
    Verify {
        #[arg(long)]
        json: bool,
    },
    #[command(subcommand)]
    Clerk(ClerkCommand),
    /// Write households.csv, ledger.csv and vouchers.csv into a directory.
    Export {
        #[arg(long)]
        out: PathBuf,
    },
    #[command(subcommand)]
    Device(DeviceCommand),
}

#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// This kiosk's device id and public key, to register at the township.
    Show {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum HouseholdCommand {
    /// Import households from CSV: household_code,grid,name,id_number,role,qr_token
    Import {
        file: PathBuf,
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
    /// Show a household's account, found by code, ID number (`--id-number -` reads it from
    /// stdin, so it stays out of the shell's history) or QR token.
    Show {
        #[arg(required_unless_present_any = ["id_number", "qr"], conflicts_with_all = ["id_number", "qr"])]
        code: Option<String>,
        #[arg(long, conflicts_with = "qr")]
        id_number: Option<String>,
        #[arg(long)]
        qr: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// List households with their balances.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Print the household's QR card (village, head's masked name, the QR, how to use it).
    Card {
        #[arg(long)]
        household: String,
        /// Make a new card: the old one stops working at once (and at every kiosk after sync).
        #[arg(long)]
        reissue: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Add or update rule items from CSV: code,area,kind,points,text
    Import {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum PointsCommand {
    /// Import a month's scoring sheet: month,household_code,rule_code,points,note,recorded_by
    Import {
        file: PathBuf,
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
    /// Apply a rule item to a household (an award, or a deduction for a deduction item).
    Award {
        #[arg(long)]
        household: String,
        #[arg(long)]
        rule: String,
        #[arg(long, allow_hyphen_values = true)]
        points: Option<i64>,
        #[arg(long)]
        note: Option<String>,
        #[arg(long)]
        month: Option<String>,
        /// A JPEG or PNG of the supervision sheet or the scene; give it up to three times.
        #[arg(long = "photo")]
        photos: Vec<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Correct an award or deduction with a new entry that names it.
    Correct {
        #[arg(long)]
        entry: String,
        #[arg(long, allow_hyphen_values = true)]
        delta: i64,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum CatalogueCommand {
    Add {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        points: i64,
        #[arg(long, required_unless_present = "unlimited", conflicts_with = "unlimited")]
        stock: Option<i64>,
        #[arg(long)]
        unlimited: bool,
        #[arg(long)]
        merchant: Option<String>,
        #[arg(long)]
        sponsor: Option<String>,
        #[arg(long, default_value_t = 90)]
        valid_days: u32,
        /// A JPEG or PNG drawn on the item's tile (kept small, without its metadata).
        #[arg(long)]
        picture: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Change an item's name, cost, merchant, sponsor, validity, or take it off / put it on offer.
    Edit {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        points: Option<i64>,
        #[arg(long)]
        merchant: Option<String>,
        #[arg(long)]
        sponsor: Option<String>,
        #[arg(long)]
        valid_days: Option<u32>,
        #[arg(long, conflicts_with = "activate")]
        deactivate: bool,
        #[arg(long)]
        activate: bool,
        /// A JPEG or PNG drawn on the item's tile (kept small, without its metadata).
        #[arg(long, conflicts_with = "no_picture")]
        picture: Option<PathBuf>,
        /// Take the item's picture away.
        #[arg(long)]
        no_picture: bool,
        #[arg(long)]
        json: bool,
    },
    Restock {
        #[arg(long)]
        code: String,
        #[arg(long, allow_hyphen_values = true)]
        add: i64,
        #[arg(long)]
        json: bool,
    },
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum VoucherCommand {
    Show {
        serial: String,
        #[arg(long)]
        json: bool,
    },
    List {
        /// pending, printed, settled, void
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Honour vouchers at a merchant, by the scanned QR text, or by the typed serial with
    /// the verification code printed beside it; then print the settlement slip.
    Settle {
        #[arg(required_unless_present = "qr")]
        serials: Vec<String>,
        /// The verification code printed beside each typed serial, in the same order.
        #[arg(long)]
        code: Vec<String>,
        #[arg(long)]
        qr: Vec<String>,
        #[arg(long)]
        merchant: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Print a voucher again under the same serial, marked 重印 (after paper out, a jam…).
    Reprint {
        serial: String,
        #[arg(long)]
        json: bool,
    },
    /// Cancel an outstanding voucher; its points go back to the household.
    Void {
        serial: String,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ClerkCommand {
    /// Add a clerk (or set a new PIN), reading the PIN (6 to 12 digits) from stdin.
    Add {
        #[arg(long)]
        name: String,
        #[arg(long, required = true)]
        pin_stdin: bool,
    },
    /// Check a clerk's PIN (from stdin) under the same lockout as the keypad: exit 0 when
    /// right, 1 with the reason when not.
    Verify {
        #[arg(long)]
        name: String,
        #[arg(long, required = true)]
        pin_stdin: bool,
    },
    /// Take a clerk's right to unlock clerk mode away (a new PIN gives it back).
    Deactivate {
        #[arg(long)]
        name: String,
    },
    /// Every clerk: active or not, wrong PINs counted, locked until when.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum DevicesCommand {
    /// List serial ports.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Wait for one card on a GA/T 467 reader and print it (ID number masked).
    ReadCard {
        #[arg(long)]
        port: PathBuf,
        /// Seconds to wait for a card.
        #[arg(long, default_value_t = 10)]
        timeout: u64,
        #[arg(long)]
        json: bool,
    },
    /// Run a simulated SAM reader on a pseudo-terminal; prints its path, takes
    /// `place N` / `lift` / `list` / `quit` on stdin.
    /// Run a simulated serial QR scanner on a pseudo-terminal; prints its path, then
    /// sends every stdin line as one scan.
    SimulateScanner,
    SimulateReader {
        /// CSV of cards: name,id_number. Default: the demo village's first five heads.
        #[arg(long)]
        cards: Option<PathBuf>,
    },
}
