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
}
