//! Arguments of the evidence and dispute commands (issue 17), at the kiosk and the township.

use std::path::PathBuf;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Write a photo of an entry (its id from `household show --json`) to a file.
    Show {
        id: String,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum DisputeCommand {
    /// Open a dispute of an entry for its household (as the kiosk's 我有疑问 does).
    Open {
        #[arg(long)]
        entry: String,
        #[arg(long)]
        note: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The village's disputes, overdue ones first.
    List {
        #[arg(long)]
        open: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TownshipPointsCommand {
    /// Import a scoring sheet (same columns as the admin import, and `photos`) for one village.
    Import {
        #[arg(long)]
        village: String,
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Record an award or deduction found by township staff, with up to three photos.
    Award {
        #[arg(long)]
        village: String,
        #[arg(long)]
        household: String,
        #[arg(long)]
        rule: String,
        #[arg(long, allow_hyphen_values = true)]
        points: Option<i64>,
        #[arg(long)]
        note: Option<String>,
        /// A JPEG or PNG of the supervision sheet or the scene; give it up to three times.
        #[arg(long = "photo")]
        photos: Vec<PathBuf>,
        #[arg(long)]
        by: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TownshipDisputeCommand {
    /// Disputes of every village (or one), overdue ones first.
    List {
        #[arg(long)]
        village: Option<String>,
        #[arg(long)]
        open: bool,
        #[arg(long)]
        json: bool,
    },
    /// Answer a dispute: uphold the entry, or correct it with a new entry of DELTA points.
    Resolve {
        id: String,
        #[arg(long, conflicts_with = "correct", required_unless_present = "correct")]
        uphold: bool,
        #[arg(long, allow_hyphen_values = true)]
        correct: Option<i64>,
        /// What the household is told (shown and said at the kiosk).
        #[arg(long)]
        note: String,
        #[arg(long)]
        by: String,
        #[arg(long)]
        json: bool,
    },
}
