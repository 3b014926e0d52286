//! The catalogue of goods and services villagers can redeem points for.

/// How many of an item are left. Services such as a haircut may be unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stock {
    Limited(i64),
    Unlimited,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueItem {
    pub code: String,
    pub name: String,
    pub points_cost: i64,
    pub stock: Stock,
    /// Who honours the voucher (the noodle shop for 面券).
    pub merchant: Option<String>,
    /// The local notable (乡贤) who pays for the goods, named on the voucher as an honour.
    pub sponsor: Option<String>,
    /// How long a voucher for this item stays valid.
    pub valid_days: u32,
    pub active: bool,
    /// What the tile shows beside the name, for villagers who barely read: a JPEG already
    /// made small, upright and free of metadata (`crate::picture`), the same bytes on every
    /// kiosk of the village.
    pub picture: Option<Vec<u8>>,
}

/// Why a limited item's stock on a shelf changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockMoveReason {
    /// The stock an item was added with, or a shelf's opening figure when fleets began.
    Initial,
    /// Goods put on (or, negative, taken off) a shelf by a clerk or the township.
    Restock,
    Redemption,
    /// A voided voucher's goods back on the shelf of the kiosk that voided it.
    Void,
}

impl StockMoveReason {
    pub fn key(self) -> &'static str {
        match self {
            StockMoveReason::Initial => "initial",
            StockMoveReason::Restock => "restock",
            StockMoveReason::Redemption => "redemption",
            StockMoveReason::Void => "void",
        }
    }

    pub fn parse(s: &str) -> Option<StockMoveReason> {
        Some(match s {
            "initial" => StockMoveReason::Initial,
            "restock" => StockMoveReason::Restock,
            "redemption" => StockMoveReason::Redemption,
            "void" => StockMoveReason::Void,
            _ => return None,
        })
    }
}

/// One change of a limited item's stock on one shelf. Stock travels only as these moves,
/// never as a figure, so a township restock and a kiosk's offline redemptions add up
/// instead of overwriting each other (DESIGN.md §8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockMove {
    /// Applying a move is idempotent by this id.
    pub id: uuid::Uuid,
    pub item_code: String,
    /// Whose shelf: the device id of the kiosk where the goods are. Only that kiosk takes
    /// goods off its shelf, so two kiosks offline never hand out more than exists.
    pub holder: String,
    pub delta: i64,
    pub reason: StockMoveReason,
    /// The redemption, or the clerk, behind the move.
    pub reference: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}
