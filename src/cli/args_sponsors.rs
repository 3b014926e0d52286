//! Arguments of the sponsors' and merchants' money commands (issue 19): amounts are taken
//! as typed text, so the app refuses a wrong figure in words rather than clap in its own.

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum SponsorCommand {
    /// A local notable who pays for goods.
    Add {
        #[arg(long)]
        name: String,
        #[arg(long)]
        note: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Money received from a sponsor, in yuan with fen (`2000.00`).
    Fund {
        #[arg(long)]
        name: String,
        /// Taken as typed (a minus too), so a wrong figure is refused in words.
        #[arg(long, allow_hyphen_values = true)]
        amount: String,
        #[arg(long)]
        note: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Every sponsor with received, committed, spent and remaining.
    List {
        #[arg(long)]
        json: bool,
    },
    /// What a sponsor's money did: the figures, what it bought, how many households it served.
    Statement {
        #[arg(long)]
        name: String,
        /// Every year when omitted.
        #[arg(long)]
        year: Option<i32>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum MerchantCommand {
    /// The vouchers a merchant accepted in a month and what is owed, by sponsor fund.
    Statement {
        #[arg(long)]
        merchant: String,
        /// e.g. 2026-11.
        #[arg(long)]
        month: String,
        #[arg(long)]
        json: bool,
    },
}
