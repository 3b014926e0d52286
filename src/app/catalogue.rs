//! The catalogue: clerks add, edit and restock items.

use serde::Serialize;

use uuid::Uuid;

use super::{App, AppError, Result};
use crate::domain::catalogue::{CatalogueItem, Stock, StockMove, StockMoveReason};
use crate::domain::rules::is_code;
use crate::store::Tx;

/// A new catalogue item as a clerk describes it.
#[derive(Debug, Clone)]
pub struct NewItem {
    pub code: String,
    pub name: String,
    pub points_cost: i64,
    pub stock: Stock,
    pub merchant: Option<String>,
    pub sponsor: Option<String>,
    pub valid_days: u32,
    /// A JPEG or PNG as a clerk hands it over; kept made small and free of metadata.
    pub picture: Option<Vec<u8>>,
}

/// A new picture for an item, or none any more.
#[derive(Debug, Clone)]
pub enum PictureChange {
    /// A JPEG or PNG as a clerk hands it over.
    Set(Vec<u8>),
    Remove,
}

/// Changes to an existing item; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ItemChanges {
    pub name: Option<String>,
    pub points_cost: Option<i64>,
    pub merchant: Option<String>,
    pub sponsor: Option<String>,
    pub valid_days: Option<u32>,
    pub active: Option<bool>,
    pub picture: Option<PictureChange>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CatalogueItemView {
    pub code: String,
    pub name: String,
    pub points_cost: i64,
    /// What this kiosk's shelf holds; `null` for an unlimited item.
    pub stock: Option<i64>,
    pub merchant: Option<String>,
    pub sponsor: Option<String>,
    pub valid_days: u32,
    pub active: bool,
    /// The SHA-256 of the item's picture, to compare the copies of two kiosks.
    pub picture_sha256: Option<String>,
    /// The picture itself (a small JPEG), for the screens; not in the JSON.
    #[serde(skip)]
    pub picture: Option<Vec<u8>>,
    /// What one unit costs its sponsor's fund, when a fund pays for it.
    pub unit_cost: Option<crate::domain::money::Fen>,
    /// False when the sponsor's fund cannot pay for one more unit: the kiosk does not
    /// offer the item, and says 赞助款已用完.
    pub funded: bool,
}

impl App {
    pub fn add_item(&mut self, new: NewItem) -> Result<CatalogueItemView> {
        let item = CatalogueItem {
            code: new.code.trim().to_string(),
            name: new.name.trim().to_string(),
            points_cost: new.points_cost,
            stock: new.stock,
            merchant: non_empty(new.merchant),
            sponsor: non_empty(new.sponsor),
            valid_days: new.valid_days,
            active: true,
            picture: new.picture.as_deref().map(kept_picture).transpose()?,
        };
        check_item(&item)?;
        if let Stock::Limited(n) = item.stock {
            if n < 0 {
                return Err(AppError::Invalid(format!("stock cannot be negative ({n})")));
            }
        }
        let now = self.clock.now();
        let holder = self.device_id();
        self.store.write(|tx| {
            if tx.item(&item.code)?.is_some() {
                return Err(AppError::DuplicateItem(item.code.clone()));
            }
            tx.insert_item(&item, now)?;
            tx.append_event("catalogue_changed", &item.code, now)?;
            match item.stock {
                Stock::Limited(n) if n > 0 => {
                    put_on_shelf(tx, &item.code, &holder, n, StockMoveReason::Initial, None, now)?
                }
                _ => {}
            }
            Ok(())
        })?;
        Ok(CatalogueItemView::from(&item))
    }

    pub fn edit_item(&mut self, code: &str, changes: ItemChanges, clerk: &str) -> Result<CatalogueItemView> {
        let now = self.clock.now();
        let holder = self.device_id();
        let today = self.clock.today();
        self.store.write(|tx| {
            let mut item = tx.item(code)?.ok_or_else(|| AppError::UnknownItem(code.to_string()))?;
            if let Some(n) = changes.name {
                item.name = n.trim().to_string();
            }
            if let Some(p) = changes.points_cost {
                item.points_cost = p;
            }
            if let Some(m) = changes.merchant {
                item.merchant = non_empty(Some(m));
            }
            if let Some(s) = changes.sponsor {
                item.sponsor = non_empty(Some(s));
            }
            if let Some(d) = changes.valid_days {
                item.valid_days = d;
            }
            if let Some(a) = changes.active {
                item.active = a;
            }
            match &changes.picture {
                Some(PictureChange::Set(bytes)) => item.picture = Some(kept_picture(bytes)?),
                Some(PictureChange::Remove) => item.picture = None,
                None => {}
            }
            check_item(&item)?;
            tx.update_item_details(&item, now)?;
            tx.append_event("catalogue_changed", &item.code, now)?;
            let detail = format!(
                "{} {} 分{}{}",
                item.name,
                item.points_cost,
                if item.active { "" } else { "（下架）" },
                match changes.picture {
                    Some(PictureChange::Set(_)) => "（换了图片）",
                    Some(PictureChange::Remove) => "（去掉图片）",
                    None => "",
                }
            );
            super::audit::record(tx, clerk, "edit", &item.code, &detail, &holder, now)?;
            shelf_view(tx, item, &holder, today)
        })
    }

    /// What one unit of the item costs its sponsor's fund (`8.00` yuan), paid by the fund
    /// of the sponsor the item names; `None` takes the cost off (no fund pays for it).
    pub fn set_item_cost(&mut self, code: &str, cost: Option<&str>, clerk: &str) -> Result<CatalogueItemView> {
        let now = self.clock.now();
        let holder = self.device_id();
        let today = self.clock.today();
        self.store.write(|tx| {
            let item = tx.item(code)?.ok_or_else(|| AppError::UnknownItem(code.to_string()))?;
            let detail = match cost {
                Some(cost) => {
                    super::sponsors::set_item_cost(tx, &item.code, item.sponsor.as_deref(), cost, now)?;
                    format!(
                        "每份由{}的赞助款支付 {} 元",
                        item.sponsor.as_deref().unwrap_or(""),
                        cost.trim()
                    )
                }
                None => {
                    tx.set_item_cost(&item.code, None, now)?;
                    "不再由赞助款支付".to_string()
                }
            };
            tx.append_event("catalogue_changed", &item.code, now)?;
            super::audit::record(tx, clerk, "cost", &item.code, &detail, &holder, now)?;
            shelf_view(tx, item, &holder, today)
        })
    }

    /// Checks a cost before an item is added with it: an amount, and a sponsor this
    /// village knows.
    pub fn check_item_cost(&mut self, sponsor: Option<&str>, cost: &str) -> Result<()> {
        self.store
            .read(|tx| super::sponsors::check_cost(tx, sponsor, cost).map(|_| ()))
    }

    /// Adds `qty` to what this kiosk's shelf holds of a limited item (a negative `qty`
    /// writes off damaged goods, never below zero). The move travels to the township.
    pub fn restock(&mut self, code: &str, qty: i64, clerk: &str) -> Result<CatalogueItemView> {
        let holder = self.device_id();
        self.restock_shelf(code, &holder, qty, clerk)
    }

    /// Township: puts goods on a kiosk's shelf (`township catalogue restock`). Only
    /// adding: the goods on a kiosk's shelf are taken off by that kiosk alone.
    pub fn restock_for(&mut self, code: &str, holder: &str, qty: i64, by: &str) -> Result<CatalogueItemView> {
        if qty <= 0 {
            return Err(AppError::Invalid(
                "the township only adds to a kiosk's shelf; the kiosk's clerk writes off goods there".into(),
            ));
        }
        self.restock_shelf(code, holder, qty, by)
    }

    fn restock_shelf(&mut self, code: &str, holder: &str, qty: i64, clerk: &str) -> Result<CatalogueItemView> {
        if qty == 0 {
            return Err(AppError::Invalid("restock by a non-zero amount".into()));
        }
        let now = self.clock.now();
        let device = self.device_id();
        let today = self.clock.today();
        self.store.write(|tx| {
            let item = tx.item(code)?.ok_or_else(|| AppError::UnknownItem(code.to_string()))?;
            let Stock::Limited(_) = item.stock else {
                return Err(AppError::Invalid(format!(
                    "{} is unlimited and has no stock to restock",
                    item.name
                )));
            };
            let have = tx.shelf(code, holder)?;
            if have + qty < 0 {
                return Err(AppError::Invalid(format!(
                    "{} has only {have} on this shelf; cannot remove {}",
                    item.name, -qty
                )));
            }
            put_on_shelf(tx, &item.code, holder, qty, StockMoveReason::Restock, Some(clerk), now)?;
            if holder == device {
                super::audit::record(tx, clerk, "restock", &item.code, &format!("{qty:+}"), &device, now)?;
            }
            let item = tx.item(code)?.ok_or_else(|| AppError::UnknownItem(code.to_string()))?;
            shelf_view(tx, item, holder, today)
        })
    }

    /// The catalogue as this kiosk offers it: a limited item's stock is what its own
    /// shelf holds.
    pub fn catalogue(&mut self) -> Result<Vec<CatalogueItemView>> {
        let holder = self.device_id();
        let today = self.clock.today();
        self.store.read(|tx| {
            tx.items()?
                .into_iter()
                .map(|item| shelf_view(tx, item, &holder, today))
                .collect()
        })
    }

    /// Every shelf of the village: (item, holder, stock), for clerks and staff.
    pub fn shelves(&mut self) -> Result<Vec<(String, String, i64)>> {
        self.store.read(|tx| Ok::<_, AppError>(tx.shelves()?))
    }
}

/// Records a move onto (or off) a shelf with its outbox event.
fn put_on_shelf(
    tx: &Tx,
    code: &str,
    holder: &str,
    qty: i64,
    reason: StockMoveReason,
    reference: Option<&str>,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let m = StockMove {
        id: Uuid::now_v7(),
        item_code: code.to_string(),
        holder: holder.to_string(),
        delta: qty,
        reason,
        reference: reference.map(str::to_string),
        created_at: at,
    };
    tx.move_stock(&m)?;
    tx.append_event("stock_moved", &m.id.to_string(), at)?;
    Ok(())
}

/// An item with the stock of one shelf.
fn shelf_view(tx: &Tx, item: CatalogueItem, holder: &str, today: chrono::NaiveDate) -> Result<CatalogueItemView> {
    let stock = match item.stock {
        Stock::Limited(_) => Stock::Limited(tx.shelf(&item.code, holder)?),
        Stock::Unlimited => Stock::Unlimited,
    };
    let cost = tx.item_cost(&item.code)?;
    let unit_cost = cost.as_ref().map(|(_, fen)| crate::domain::money::Fen(*fen));
    // Not offered when its fund cannot pay for one more (赞助款已用完).
    let funded = super::sponsors::fund_need(tx, cost, 1, today)?.is_none_or(|f| f.left >= f.needed);
    Ok(CatalogueItemView {
        unit_cost,
        funded,
        ..CatalogueItemView::from(&CatalogueItem { stock, ..item })
    })
}

fn check_item(item: &CatalogueItem) -> Result<()> {
    if !is_code(&item.code) {
        return Err(AppError::Invalid(format!(
            "item code '{}' must be letters, digits or '-'",
            item.code
        )));
    }
    if item.name.is_empty() {
        return Err(AppError::Invalid("the item name is empty".into()));
    }
    if !(1..=100_000).contains(&item.points_cost) {
        return Err(AppError::Invalid(format!(
            "points must be 1 to 100000, not {}",
            item.points_cost
        )));
    }
    if !(1..=3650).contains(&item.valid_days) {
        return Err(AppError::Invalid(format!(
            "validity must be 1 to 3650 days, not {}",
            item.valid_days
        )));
    }
    Ok(())
}

/// A clerk's picture as it is kept: made small, upright, without metadata.
fn kept_picture(bytes: &[u8]) -> Result<Vec<u8>> {
    Ok(crate::picture::normalise(bytes, crate::picture::ITEM_PICTURE)?)
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

impl From<&CatalogueItem> for CatalogueItemView {
    /// The item as it is, its stock the figure the record holds.
    fn from(i: &CatalogueItem) -> CatalogueItemView {
        CatalogueItemView {
            code: i.code.clone(),
            name: i.name.clone(),
            points_cost: i.points_cost,
            stock: match i.stock {
                Stock::Limited(n) => Some(n),
                Stock::Unlimited => None,
            },
            merchant: i.merchant.clone(),
            sponsor: i.sponsor.clone(),
            valid_days: i.valid_days,
            active: i.active,
            picture_sha256: i.picture.as_deref().map(crate::picture::digest),
            picture: i.picture.clone(),
            unit_cost: None,
            funded: true,
        }
    }
}
