use rusqlite::{params, OptionalExtension};

use super::{time_text, Result, StoreError, Tx};
use crate::domain::catalogue::{CatalogueItem, Stock};

/// Why a limited item's stock changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockMoveReason {
    Initial,
    Restock,
    Redemption,
    Void,
}

impl StockMoveReason {
    pub(crate) fn key(self) -> &'static str {
        match self {
            StockMoveReason::Initial => "initial",
            StockMoveReason::Restock => "restock",
            StockMoveReason::Redemption => "redemption",
            StockMoveReason::Void => "void",
        }
    }
}

const ITEM_COLS: &str = "code, name, points_cost, stock, merchant, sponsor, valid_days, active";

impl Tx<'_> {
    /// Adds a new item. Its initial stock is recorded as a stock move.
    pub fn insert_item(&self, item: &CatalogueItem, at: chrono::DateTime<chrono::Utc>) -> Result<()> {
        self.ensure_merchant(item.merchant.as_deref())?;
        let stock = match item.stock {
            Stock::Limited(n) => Some(n),
            Stock::Unlimited => None,
        };
        self.exec(
            "INSERT INTO catalogue (code, name, points_cost, stock, merchant, sponsor, valid_days, active, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                item.code,
                item.name,
                item.points_cost,
                stock,
                item.merchant,
                item.sponsor,
                item.valid_days,
                item.active,
                time_text(at)
            ],
        )?;
        if let Stock::Limited(n) = item.stock {
            self.insert_stock_move(&item.code, n, StockMoveReason::Initial, None, at)?;
        }
        Ok(())
    }

    /// Changes what a clerk may edit: name, cost, merchant, sponsor, validity, active.
    /// Stock only moves through [`Tx::move_stock`].
    pub fn update_item_details(&self, item: &CatalogueItem, at: chrono::DateTime<chrono::Utc>) -> Result<()> {
        self.ensure_merchant(item.merchant.as_deref())?;
        self.exec(
            "UPDATE catalogue SET name = ?2, points_cost = ?3, merchant = ?4, sponsor = ?5,
                 valid_days = ?6, active = ?7, updated_at = ?8 WHERE code = ?1",
            params![
                item.code,
                item.name,
                item.points_cost,
                item.merchant,
                item.sponsor,
                item.valid_days,
                item.active,
                time_text(at)
            ],
        )?;
        Ok(())
    }

    pub fn item(&self, code: &str) -> Result<Option<CatalogueItem>> {
        let sql = format!("SELECT {ITEM_COLS} FROM catalogue WHERE code = ?1");
        Ok(self.row(&sql, [code], item_row).optional()?)
    }

    pub fn items(&self) -> Result<Vec<CatalogueItem>> {
        let sql = format!("SELECT {ITEM_COLS} FROM catalogue ORDER BY points_cost, code");
        let mut stmt = self.tx.prepare_cached(&sql)?;
        let rows = stmt.query_map([], item_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Moves a limited item's stock by `delta` and records why. The schema refuses a
    /// negative stock, so a bug can never sell what is not there.
    pub fn move_stock(
        &self,
        code: &str,
        delta: i64,
        reason: StockMoveReason,
        reference: Option<&str>,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        let n = self.exec(
            "UPDATE catalogue SET stock = stock + ?2 WHERE code = ?1 AND stock IS NOT NULL",
            params![code, delta],
        )?;
        if n != 1 {
            return Err(StoreError::Corrupt(format!(
                "stock move on unlimited or missing item {code}"
            )));
        }
        self.insert_stock_move(code, delta, reason, reference, at)
    }

    fn ensure_merchant(&self, merchant: Option<&str>) -> Result<()> {
        if let Some(m) = merchant {
            self.exec("INSERT OR IGNORE INTO merchants (name) VALUES (?1)", [m])?;
        }
        Ok(())
    }

    fn insert_stock_move(
        &self,
        code: &str,
        delta: i64,
        reason: StockMoveReason,
        reference: Option<&str>,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO stock_moves (item_code, delta, reason, ref, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![code, delta, reason.key(), reference, time_text(at)],
        )?;
        Ok(())
    }
}

fn item_row(r: &rusqlite::Row) -> rusqlite::Result<CatalogueItem> {
    let stock: Option<i64> = r.get(3)?;
    Ok(CatalogueItem {
        code: r.get(0)?,
        name: r.get(1)?,
        points_cost: r.get(2)?,
        stock: stock.map_or(Stock::Unlimited, Stock::Limited),
        merchant: r.get(4)?,
        sponsor: r.get(5)?,
        valid_days: r.get(6)?,
        active: r.get(7)?,
    })
}
