//! The grammar of `jifen admin …`: a village's households, rules, points, catalogue,
//! vouchers and clerks at its kiosk (DESIGN.md §4; names here are a stable interface).

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::args_evidence::{DisputeCommand, EvidenceCommand};
use super::args_sponsors::{MerchantCommand, SponsorCommand};

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
    /// Redeem an item for a household at the counter, or (with --deliver-by and the
    /// household's card) on behalf of a household that cannot come (代兑换).
    Redeem {
        #[arg(long, required_unless_present_any = ["qr", "id_number"], conflicts_with_all = ["qr", "id_number"])]
        household: Option<String>,
        /// The household's QR card token, for --deliver-by.
        #[arg(long, conflicts_with = "id_number")]
        qr: Option<String>,
        /// `-`: the household's ID number read from stdin, for --deliver-by.
        #[arg(long)]
        id_number: Option<String>,
        /// Who takes the goods to the household: the voucher prints 代领 with the clerk
        /// (--by) and this name; the household's account says who redeemed for it.
        #[arg(long)]
        deliver_by: Option<String>,
        #[arg(long)]
        item: String,
        #[arg(long, default_value_t = 1)]
        qty: i64,
        #[arg(long)]
        json: bool,
    },
    #[command(subcommand)]
    Voucher(VoucherCommand),
    /// The ranking by points earned, over a quarter or (with --year) a year.
    Ranking {
        /// e.g. 2026Q4; the current quarter when neither this nor --year is given.
        #[arg(long, conflicts_with = "year")]
        quarter: Option<String>,
        /// e.g. 2026: the year's ranking (一年一评比).
        #[arg(long)]
        year: Option<i32>,
        #[arg(long)]
        grid: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Sponsors (乡贤) and their funds.
    #[command(subcommand)]
    Sponsor(SponsorCommand),
    /// What the village owes the merchants for their settled vouchers.
    #[command(subcommand)]
    Merchant(MerchantCommand),
    /// The year's star households (星级文明户) by the [honours] rule of the config.
    Honours {
        /// The last year when omitted.
        #[arg(long)]
        year: Option<i32>,
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
        /// What one unit costs the sponsor's fund, in yuan (`8.00`), paid to the merchant
        /// at settlement; needs --sponsor naming a sponsor of `admin sponsor add`.
        #[arg(long)]
        cost: Option<String>,
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
        /// What one unit costs the sponsor's fund, in yuan (`8.00`).
        #[arg(long, conflicts_with = "no_cost")]
        cost: Option<String>,
        /// No fund pays for the item any more.
        #[arg(long)]
        no_cost: bool,
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
    /// A voucher redeemed on a household's behalf reached the household (confirmed once;
    /// `--by` names who confirms it).
    Delivered {
        serial: String,
        #[arg(long)]
        json: bool,
    },
    /// Vouchers redeemed on households' behalf (代兑换), with their delivery.
    Proxied {
        /// Only those not yet delivered.
        #[arg(long)]
        undelivered: bool,
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
