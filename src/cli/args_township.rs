//! The grammar of `jifen township …`: the server, its villages and devices, imports and
//! reports (DESIGN.md §4; names here are a stable interface).

use std::path::PathBuf;

use clap::Subcommand;

use super::args_admin::RulesCommand;
use super::args_evidence::{TownshipDisputeCommand, TownshipPointsCommand};

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
    /// Accounts of the web console (`/console/`): township staff, cadres, grid workers, shops.
    #[command(subcommand)]
    User(TownshipUserCommand),
    /// Integrity check of every village database (exit 2 when a problem is found).
    Verify {
        #[arg(long)]
        village: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TownshipUserCommand {
    /// Add an account; its password is read from stdin (at least 10 characters).
    Add {
        #[arg(long)]
        name: String,
        /// township, cadre (needs --village), grid (--village and --grid) or merchant (--merchant).
        #[arg(long)]
        role: String,
        #[arg(long)]
        village: Option<String>,
        #[arg(long)]
        grid: Option<String>,
        /// The shop's name as its items name it (e.g. 堰头面馆).
        #[arg(long)]
        merchant: Option<String>,
        /// Read the password from standard input (never from the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    List {
        #[arg(long)]
        json: bool,
    },
    /// Stop an account signing in; its sessions end at once.
    Deactivate {
        #[arg(long)]
        name: String,
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
    /// What each village owes its merchants for a month's settled vouchers, by sponsor fund.
    Merchants {
        #[arg(long)]
        village: Option<String>,
        /// YYYY-MM, China time; this month when left out.
        #[arg(long)]
        month: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Each village's star households of a year (一年一评比), by one rule for the township.
    Honours {
        #[arg(long)]
        village: Option<String>,
        /// The last year when omitted.
        #[arg(long)]
        year: Option<i32>,
        /// The top share of households by points earned in the year (default 10).
        #[arg(long)]
        top_percent: Option<u32>,
        /// And at least this many points earned (default 1).
        #[arg(long)]
        min_points: Option<i64>,
        /// One standing deduction in this area rules a household out (default 遵纪守法; "" for none).
        #[arg(long)]
        clean_area: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Each village's sponsors (乡贤) and their funds: received, committed, spent, remaining.
    Sponsors {
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
