use rusqlite::{params, OptionalExtension};

use super::{parse_col, parse_time, time_text, Result, StoreError, Tx};
use crate::domain::catalogue::{CatalogueItem, Stock, StockMove};

pub use crate::domain::catalogue::StockMoveReason;

const ITEM_COLS: &str = "code, name, points_cost, stock, merchant, sponsor, valid_days, active, picture";

impl Tx<'_> {
    /// Adds a new item. A limited one starts with nothing on any shelf: its stock comes
    /// as moves ([`Tx::move_stock`]), so it travels between kiosks like every other move.
    pub fn insert_item(&self, item: &CatalogueItem, at: chrono::DateTime<chrono::Utc>) -> Result<()> {
        self.ensure_merchant(item.merchant.as_deref())?;
        let stock = match item.stock {
            Stock::Limited(_) => Some(0),
            Stock::Unlimited => None,
        };
        self.exec(
            "INSERT INTO catalogue (code, name, points_cost, stock, merchant, sponsor, valid_days, active, updated_at,
                                    picture)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                item.code,
                item.name,
                item.points_cost,
                stock,
                item.merchant,
                item.sponsor,
                item.valid_days,
                item.active,
                time_text(at),
                item.picture
            ],
        )?;
        Ok(())
    }

    /// Changes what a clerk may edit: name, cost, merchant, sponsor, validity, active, picture.
    /// Stock only moves through [`Tx::move_stock`].
    pub fn update_item_details(&self, item: &CatalogueItem, at: chrono::DateTime<chrono::Utc>) -> Result<()> {
        self.ensure_merchant(item.merchant.as_deref())?;
        self.exec(
            "UPDATE catalogue SET name = ?2, points_cost = ?3, merchant = ?4, sponsor = ?5,
                 valid_days = ?6, active = ?7, updated_at = ?8, picture = ?9 WHERE code = ?1",
            params![
                item.code,
                item.name,
                item.points_cost,
                item.merchant,
                item.sponsor,
                item.valid_days,
                item.active,
                time_text(at),
                item.picture
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

    /// Moves goods onto or off one shelf and records the move. The schema refuses a shelf
    /// below zero, so a bug can never hand out what is not there. The item's `stock` is
    /// the sum of its shelves.
    pub fn move_stock(&self, m: &StockMove) -> Result<()> {
        let n = self.exec(
            "UPDATE catalogue SET stock = stock + ?2 WHERE code = ?1 AND stock IS NOT NULL",
            params![m.item_code, m.delta],
        )?;
        if n != 1 {
            return Err(StoreError::Corrupt(format!(
                "stock move on unlimited or missing item {}",
                m.item_code
            )));
        }
        // Update first: SQLite checks an upsert's proposed row (a negative delta) before
        // it sees the conflict, so the shelf's own check must see the sum.
        let moved = self.exec(
            "UPDATE shelves SET stock = stock + ?3 WHERE item_code = ?1 AND holder = ?2",
            params![m.item_code, m.holder, m.delta],
        )?;
        if moved == 0 {
            self.exec(
                "INSERT INTO shelves (item_code, holder, stock) VALUES (?1, ?2, ?3)",
                params![m.item_code, m.holder, m.delta],
            )?;
        }
        self.exec(
            "INSERT INTO stock_moves (item_code, delta, reason, ref, created_at, uid, holder)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                m.item_code,
                m.delta,
                m.reason.key(),
                m.reference,
                time_text(m.created_at),
                m.id.to_string(),
                m.holder
            ],
        )?;
        Ok(())
    }

    /// Sets a limited item's figure to zero, before its stock is put on shelves as moves
    /// (the one-time change to shelves).
    pub fn reset_item_stock(&self, code: &str) -> Result<()> {
        self.exec(
            "UPDATE catalogue SET stock = 0 WHERE code = ?1 AND stock IS NOT NULL",
            [code],
        )?;
        Ok(())
    }

    /// What one shelf holds of an item (0 when nothing was ever put there).
    pub fn shelf(&self, code: &str, holder: &str) -> Result<i64> {
        Ok(self
            .row(
                "SELECT stock FROM shelves WHERE item_code = ?1 AND holder = ?2",
                [code, holder],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0))
    }

    /// Every shelf: (item, holder, stock).
    pub fn shelves(&self) -> Result<Vec<(String, String, i64)>> {
        let mut stmt = self
            .tx
            .prepare_cached("SELECT item_code, holder, stock FROM shelves ORDER BY item_code, holder")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    pub fn stock_move_known(&self, id: uuid::Uuid) -> Result<bool> {
        Ok(self
            .row("SELECT 1 FROM stock_moves WHERE uid = ?1", [id.to_string()], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// A move as it travels, by its id.
    pub fn stock_move(&self, id: &str) -> Result<Option<StockMove>> {
        let row = self
            .row(
                &format!("SELECT {MOVE_COLS} FROM stock_moves WHERE uid = ?1"),
                [id],
                move_cols,
            )
            .optional()?;
        row.map(move_from_cols).transpose()
    }

    /// The travelling moves made for a redemption or a void (by its reference and reason).
    pub fn stock_moves_for(&self, reference: &str, reason: StockMoveReason) -> Result<Vec<StockMove>> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {MOVE_COLS} FROM stock_moves WHERE ref = ?1 AND reason = ?2 AND uid IS NOT NULL ORDER BY id"
        ))?;
        let rows = stmt
            .query_map(params![reference, reason.key()], move_cols)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(move_from_cols).collect()
    }

    fn ensure_merchant(&self, merchant: Option<&str>) -> Result<()> {
        if let Some(m) = merchant {
            self.exec("INSERT OR IGNORE INTO merchants (name) VALUES (?1)", [m])?;
        }
        Ok(())
    }
}

const MOVE_COLS: &str = "uid, item_code, holder, delta, reason, ref, created_at";

type MoveCols = (String, String, String, i64, String, Option<String>, String);

fn move_cols(r: &rusqlite::Row) -> rusqlite::Result<MoveCols> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

fn move_from_cols((uid, item_code, holder, delta, reason, reference, at): MoveCols) -> Result<StockMove> {
    Ok(StockMove {
        id: parse_col(uid, "stock move id", |s| uuid::Uuid::parse_str(s).ok())?,
        item_code,
        holder,
        delta,
        reason: parse_col(reason, "stock move reason", StockMoveReason::parse)?,
        reference,
        created_at: parse_time(at)?,
    })
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
        picture: r.get(8)?,
    })
}
