//! The command-line grammar (DESIGN.md §4). Names here are a stable interface.

use std::path::PathBuf;

pub use super::args_admin::*;
pub use super::args_evidence::*;
pub use super::args_sponsors::*;
pub use super::args_township::*;
use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "jifen",
    version,
    about = "村级积分兑换一体机 — village points kiosk, township server and admin CLI",
    after_help = "Also: jifen bench [--sync | --sync-load | --county-ingest | --photos] … — the measured figures (jifen bench --help), in builds with the `bench` feature."
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
    /// Print a star household's certificate for the year (星级文明户, by the [honours] rule).
    Honour {
        #[arg(long)]
        household: String,
        /// The last year when omitted.
        #[arg(long)]
        year: Option<i32>,
    },
    /// Print the thank-you letter to a sponsor (感谢信) with what its money did.
    SponsorStatement {
        #[arg(long)]
        name: String,
        /// Every year when omitted.
        #[arg(long)]
        year: Option<i32>,
    },
    /// Print what the village owes a merchant for a month (商家对账单), by sponsor fund.
    MerchantStatement {
        #[arg(long)]
        merchant: String,
        /// e.g. 2026-11.
        #[arg(long)]
        month: String,
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
