//! Schema migrations, tracked in SQLite's `user_version`. Each entry upgrades from the
//! version before it; tests and the kiosk run the same migrations.

use rusqlite::Connection;

use super::{Result, StoreError};

const MIGRATIONS: &[&str] = &[
    include_str!("schema.sql"),
    include_str!("schema_2_sync.sql"),
    include_str!("schema_3_fleet.sql"),
    include_str!("schema_4_pictures.sql"),
    include_str!("schema_5_evidence.sql"),
    include_str!("schema_6_sponsors.sql"),
    include_str!("schema_7_proxy.sql"),
];

pub(super) fn migrate(conn: &mut Connection) -> Result<()> {
    let known = MIGRATIONS.len() as i64;
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let found: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > known {
        return Err(StoreError::TooNew { found, known });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
    }
    tx.commit()?;
    Ok(())
}
