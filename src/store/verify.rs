//! Integrity checks over the whole database, run by `jifen admin verify`. Each check is
//! one query that returns the offending rows, so a report names exactly what is wrong.

use super::{Result, Tx};

/// One integrity problem: which check found it and what it found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub check: &'static str,
    pub detail: String,
}

/// (check name, query returning one text column per offending row).
const CHECKS: &[(&str, &str)] = &[
    (
        "balance_equals_ledger",
        "SELECT 'household ' || h.code || ' shows balance ' || h.balance || ' but its ledger sums to ' || coalesce(l.total, 0)
         FROM households h LEFT JOIN (SELECT household_code, sum(delta) AS total FROM ledger GROUP BY household_code) l
           ON l.household_code = h.code
         WHERE h.balance != coalesce(l.total, 0)",
    ),
    (
        "merit_equals_ledger",
        "SELECT 'household ' || coalesce(l.household_code, m.household_code) || ' month ' || coalesce(l.month, m.month)
                || ' shows merit ' || coalesce(m.earned, 0) || ' but its ledger sums to ' || coalesce(l.total, 0)
         FROM (SELECT household_code, month, sum(delta) AS total FROM ledger
               WHERE kind IN ('award', 'deduction', 'correction') GROUP BY household_code, month) l
         FULL OUTER JOIN merit_monthly m ON m.household_code = l.household_code AND m.month = l.month
         WHERE coalesce(m.earned, 0) != coalesce(l.total, 0)",
    ),
    (
        "stock_conserved",
        "SELECT 'item ' || c.code || ' shows stock ' || c.stock || ' but its stock moves sum to ' || coalesce(m.total, 0)
         FROM catalogue c LEFT JOIN (SELECT item_code, sum(delta) AS total FROM stock_moves
                                     WHERE uid IS NOT NULL GROUP BY item_code) m
           ON m.item_code = c.code
         WHERE c.stock IS NOT NULL AND c.stock != coalesce(m.total, 0)",
    ),
    (
        "shelf_equals_moves",
        "SELECT 'the shelf of ' || s.holder || ' holds ' || s.stock || ' of ' || s.item_code
                || ' but its moves sum to ' || coalesce(m.total, 0)
         FROM shelves s LEFT JOIN (SELECT item_code, holder, sum(delta) AS total FROM stock_moves
                                   WHERE uid IS NOT NULL GROUP BY item_code, holder) m
           ON m.item_code = s.item_code AND m.holder = s.holder
         WHERE s.stock != coalesce(m.total, 0)",
    ),
    (
        "shelf_never_negative",
        "SELECT 'the shelf of ' || holder || ' holds ' || stock || ' of ' || item_code FROM shelves WHERE stock < 0",
    ),
    (
        "stock_never_negative",
        "SELECT 'item ' || code || ' has negative stock ' || stock FROM catalogue WHERE stock < 0",
    ),
    (
        "redemption_has_one_voucher",
        "SELECT 'redemption ' || r.id || ' has ' || count(v.serial) || ' vouchers'
         FROM redemptions r LEFT JOIN vouchers v ON v.redemption_id = r.id
         GROUP BY r.id HAVING count(v.serial) != 1",
    ),
    (
        "redemption_has_one_debit",
        "SELECT 'redemption ' || r.id || ' of ' || r.points || ' points is not matched by a debit of the same household'
         FROM redemptions r LEFT JOIN ledger l ON l.id = r.ledger_id
         WHERE l.id IS NULL OR l.kind != 'redemption' OR l.delta != -r.points OR l.household_code != r.household_code",
    ),
    (
        "debit_has_redemption",
        "SELECT 'ledger entry ' || l.id || ' debits ' || (-l.delta) || ' points for a redemption that does not exist'
         FROM ledger l LEFT JOIN redemptions r ON r.ledger_id = l.id
         WHERE l.kind = 'redemption' AND r.id IS NULL",
    ),
    (
        "redemption_moved_stock",
        "SELECT 'redemption ' || r.id || ' of ' || r.qty || ' × ' || r.item_code || ' did not take it from stock'
         FROM redemptions r JOIN catalogue c ON c.code = r.item_code
         WHERE c.stock IS NOT NULL AND NOT EXISTS (
             SELECT 1 FROM stock_moves m WHERE m.ref = r.id AND m.reason = 'redemption' AND m.delta = -r.qty)",
    ),
    (
        "void_has_refund",
        "SELECT 'void voucher ' || v.serial || ' has no matching refund entry'
         FROM vouchers v JOIN redemptions r ON r.id = v.redemption_id
         LEFT JOIN ledger l ON l.id = v.refund_ledger_id
         WHERE v.status = 'void' AND (l.id IS NULL OR l.kind != 'refund' OR l.delta != r.points
                                       OR l.corrects IS NOT r.ledger_id)",
    ),
    (
        "refund_has_void_voucher",
        "SELECT 'refund entry ' || l.id || ' is not the refund of a void voucher'
         FROM ledger l LEFT JOIN vouchers v ON v.refund_ledger_id = l.id
         WHERE l.kind = 'refund' AND (v.serial IS NULL OR v.status != 'void')",
    ),
    (
        "settled_is_complete",
        "SELECT 'settled voucher ' || serial || ' has no settlement time or merchant'
         FROM vouchers WHERE status = 'settled' AND (settled_at IS NULL OR settled_merchant IS NULL)",
    ),
    (
        "correction_names_entry",
        "SELECT 'correction ' || id || ' does not name the entry it corrects'
         FROM ledger WHERE kind = 'correction' AND corrects IS NULL",
    ),
    (
        "outbox_gapless",
        "SELECT 'outbox has ' || count(*) || ' events but its last sequence number is ' || coalesce(max(seq), 0)
         FROM outbox HAVING count(*) != coalesce(max(seq), 0)",
    ),
    (
        "no_id_number_in_clear",
        "SELECT 'resident row ' || rowid || ' does not hold a keyed hash'
         FROM residents WHERE length(id_hash) != 64 OR id_hash GLOB '*[^0-9a-f]*'",
    ),
];

impl Tx<'_> {
    /// Runs every check and returns what failed; an empty list means the data is sound.
    pub fn integrity_problems(&self) -> Result<Vec<Problem>> {
        let mut problems = Vec::new();
        let status: String = self.row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if status != "ok" {
            problems.push(Problem {
                check: "sqlite_integrity",
                detail: status,
            });
        }
        let mut fk = self.tx.prepare("PRAGMA foreign_key_check")?;
        let orphans = fk
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<i64>>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        for (table, rowid, parent) in orphans {
            problems.push(Problem {
                check: "no_orphan_rows",
                detail: format!("{table} row {} points to a missing {parent} row", rowid.unwrap_or(-1)),
            });
        }
        for (check, sql) in CHECKS {
            let mut stmt = self.tx.prepare(sql)?;
            let found = stmt
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            problems.extend(found.into_iter().map(|detail| Problem { check, detail }));
        }
        Ok(problems)
    }

    /// Every voucher serial, for checks done in Rust (the check character).
    pub fn all_serials(&self) -> Result<Vec<String>> {
        let mut stmt = self.tx.prepare("SELECT serial FROM vouchers ORDER BY serial")?;
        let rows = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}
