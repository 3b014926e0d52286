//! Set-based reads and writes for applying a batch of sync events on PostgreSQL: what a
//! batch refers to is loaded with one query per kind of thing (keys bound as arrays), and
//! what it writes goes in with one statement per table (`unnest` of arrays), so a push of
//! 500 events costs a dozen round trips, not thousands. Also the fleet's own rows: stock
//! on shelves, events set aside, double settlements, the clerks' action log.

mod reads;
mod rows;
mod writes;

use uuid::Uuid;

use super::{PgError, Result};
use crate::domain::catalogue::{StockMove, StockMoveReason};

fn uuid_of(id: &str, what: &str) -> Result<Uuid> {
    Uuid::parse_str(id).map_err(|_| PgError::Corrupt(format!("{what} id '{id}' is not a UUID")))
}

fn stock_move(r: &tokio_postgres::Row) -> Result<StockMove> {
    let reason: String = r.get(4);
    Ok(StockMove {
        id: r.get(0),
        item_code: r.get(1),
        holder: r.get(2),
        delta: r.get(3),
        reason: StockMoveReason::parse(&reason)
            .ok_or_else(|| PgError::Corrupt(format!("stock move reason '{reason}'")))?,
        reference: r.get(5),
        created_at: r.get(6),
    })
}
