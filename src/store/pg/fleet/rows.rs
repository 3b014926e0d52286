//! The fleet's own rows: double settlements, stock on shelves and its moves, the clerks'
//! action log, events received and set aside.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::super::{PgError, PgTx, Result};
use super::{stock_move, uuid_of};
use crate::domain::catalogue::{StockMove, StockMoveReason};
use crate::domain::records::ClerkActionRecord;
use crate::store::{DoubleSettlementRow, ReceivedRow, SetAsideRow};

impl PgTx<'_> {
    pub async fn flag_double_settlement(&self, village: &str, d: &DoubleSettlementRow) -> Result<()> {
        self.exec(
            "INSERT INTO double_settlements (village, serial, kept_status, kept_device, kept_by, kept_at,
                 other_device, other_by, other_merchant, other_at, flagged_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING",
            &[
                &village,
                &d.serial,
                &d.kept_status,
                &d.kept_device,
                &d.kept_by,
                &d.kept_at,
                &d.other_device,
                &d.other_by,
                &d.other_merchant,
                &d.other_at,
                &d.flagged_at,
            ],
        )
        .await?;
        Ok(())
    }

    pub async fn double_settlements(&self, village: &str) -> Result<Vec<DoubleSettlementRow>> {
        let rows = self
            .q(
                "SELECT serial, kept_status, kept_device, kept_by, kept_at, other_device, other_by, other_merchant,
                        other_at, flagged_at
                 FROM double_settlements WHERE village = $1 ORDER BY flagged_at, id",
                &[&village],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| DoubleSettlementRow {
                serial: r.get(0),
                kept_status: r.get(1),
                kept_device: r.get(2),
                kept_by: r.get(3),
                kept_at: r.get(4),
                other_device: r.get(5),
                other_by: r.get(6),
                other_merchant: r.get(7),
                other_at: r.get(8),
                flagged_at: r.get(9),
            })
            .collect())
    }

    /// Stock moves onto and off shelves: the moves, the shelves and the items' totals, in
    /// three statements. The shelves' check refuses one below zero.
    pub async fn move_stock_batch(&self, village: &str, moves: &[StockMove]) -> Result<()> {
        if moves.is_empty() {
            return Ok(());
        }
        let ids: Vec<Uuid> = moves.iter().map(|m| m.id).collect();
        let items: Vec<&str> = moves.iter().map(|m| m.item_code.as_str()).collect();
        let holders: Vec<&str> = moves.iter().map(|m| m.holder.as_str()).collect();
        let deltas: Vec<i64> = moves.iter().map(|m| m.delta).collect();
        let reasons: Vec<&str> = moves.iter().map(|m| m.reason.key()).collect();
        let refs: Vec<Option<&str>> = moves.iter().map(|m| m.reference.as_deref()).collect();
        let at: Vec<DateTime<Utc>> = moves.iter().map(|m| m.created_at).collect();
        self.exec(
            "INSERT INTO stock_moves (village, uid, item, holder, delta, reason, ref, created_at)
             SELECT $1, uid, item, holder, delta, reason, ref, at
             FROM unnest($2::uuid[], $3::text[], $4::text[], $5::int8[], $6::text[], $7::text[], $8::timestamptz[])
                 WITH ORDINALITY AS t(uid, item, holder, delta, reason, ref, at, ord)
             ORDER BY ord",
            &[&village, &ids, &items, &holders, &deltas, &reasons, &refs, &at],
        )
        .await?;
        self.exec(
            "WITH t AS (SELECT item, holder, sum(delta) AS delta
                        FROM unnest($2::text[], $3::text[], $4::int8[]) AS u(item, holder, delta)
                        GROUP BY item, holder),
                  up AS (UPDATE shelves s SET stock = s.stock + t.delta FROM t
                         WHERE s.village = $1 AND s.item = t.item AND s.holder = t.holder
                         RETURNING s.item, s.holder)
             INSERT INTO shelves (village, item, holder, stock)
             SELECT $1, t.item, t.holder, t.delta FROM t
             WHERE NOT EXISTS (SELECT 1 FROM up WHERE up.item = t.item AND up.holder = t.holder)",
            &[&village, &items, &holders, &deltas],
        )
        .await?;
        let n = self
            .exec(
                "UPDATE items i SET stock = i.stock + s.total
                 FROM (SELECT item, sum(delta) AS total FROM unnest($2::text[], $3::int8[]) AS t(item, delta)
                       GROUP BY item) s
                 WHERE i.village = $1 AND i.code = s.item AND i.stock IS NOT NULL",
                &[&village, &items, &deltas],
            )
            .await?;
        let distinct: std::collections::BTreeSet<&str> = items.iter().copied().collect();
        if n as usize != distinct.len() {
            return Err(PgError::Corrupt(
                "a stock move names an unlimited or missing item".into(),
            ));
        }
        Ok(())
    }

    /// A move as it travels, by its id.
    pub async fn stock_move(&self, village: &str, id: Uuid) -> Result<Option<StockMove>> {
        let row = self
            .q_opt(
                "SELECT uid, item, holder, delta, reason, ref, created_at FROM stock_moves
                 WHERE village = $1 AND uid = $2",
                &[&village, &id],
            )
            .await?;
        row.as_ref().map(stock_move).transpose()
    }

    /// The travelling moves made for a redemption or a void.
    pub async fn stock_moves_for(
        &self,
        village: &str,
        reference: &str,
        reason: StockMoveReason,
    ) -> Result<Vec<StockMove>> {
        let rows = self
            .q(
                "SELECT uid, item, holder, delta, reason, ref, created_at FROM stock_moves
                 WHERE village = $1 AND ref = $2 AND reason = $3 AND uid IS NOT NULL ORDER BY id",
                &[&village, &reference, &reason.key()],
            )
            .await?;
        rows.iter().map(stock_move).collect()
    }

    pub async fn insert_clerk_actions(&self, village: &str, rows: &[ClerkActionRecord]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let text = |f: fn(&ClerkActionRecord) -> &str| rows.iter().map(f).collect::<Vec<&str>>();
        self.exec(
            "INSERT INTO clerk_actions (id, village, clerk, action, subject, detail, device, at)
             SELECT id, $1, clerk, action, subject, detail, device, at
             FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[])
                 AS t(id, clerk, action, subject, detail, device, at)
             ON CONFLICT DO NOTHING",
            &[
                &village,
                &rows.iter().map(|a| a.id).collect::<Vec<_>>(),
                &text(|a| &a.clerk),
                &text(|a| &a.action),
                &text(|a| &a.subject),
                &text(|a| &a.detail),
                &text(|a| &a.device),
                &rows.iter().map(|a| a.at).collect::<Vec<_>>(),
            ],
        )
        .await?;
        Ok(())
    }

    pub async fn clerk_action(&self, village: &str, id: Uuid) -> Result<Option<ClerkActionRecord>> {
        let row = self
            .q_opt(
                "SELECT id, clerk, action, subject, detail, device, at FROM clerk_actions
                 WHERE village = $1 AND id = $2",
                &[&village, &id],
            )
            .await?;
        Ok(row.map(|r| ClerkActionRecord {
            id: r.get(0),
            clerk: r.get(1),
            action: r.get(2),
            subject: r.get(3),
            detail: r.get(4),
            device: r.get::<_, Option<String>>(5).unwrap_or_default(),
            at: r.get(6),
        }))
    }

    /// Events received now, one statement.
    pub async fn record_received_batch(&self, rows: &[(Uuid, &ReceivedRow, &str)], at: DateTime<Utc>) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        self.exec(
            "INSERT INTO received_events (id, device, seq, kind, digest, received_at)
             SELECT id, device, seq, kind, digest, $1
             FROM unnest($2::uuid[], $3::text[], $4::int8[], $5::text[], $6::text[]) AS t(id, device, seq, kind, digest)",
            &[
                &at,
                &rows.iter().map(|(id, _, _)| *id).collect::<Vec<_>>(),
                &rows.iter().map(|(_, r, _)| r.device.as_str()).collect::<Vec<_>>(),
                &rows.iter().map(|(_, r, _)| r.seq).collect::<Vec<_>>(),
                &rows.iter().map(|(_, _, k)| *k).collect::<Vec<_>>(),
                &rows.iter().map(|(_, r, _)| r.digest.as_str()).collect::<Vec<_>>(),
            ],
        )
        .await?;
        Ok(())
    }

    pub async fn set_aside(&self, village: &str, row: &SetAsideRow, at: DateTime<Utc>) -> Result<()> {
        let id = uuid_of(&row.id, "set-aside event")?;
        self.exec(
            "INSERT INTO set_aside (village, id, origin, seq, kind, subject, reason, forbidden, raw, first_at, last_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
             ON CONFLICT (village, id) DO UPDATE SET reason = excluded.reason, forbidden = excluded.forbidden,
                 last_at = excluded.last_at, tries = set_aside.tries + 1",
            &[
                &village,
                &id,
                &row.origin,
                &row.seq,
                &row.kind,
                &row.subject,
                &row.reason,
                &row.forbidden,
                &row.raw,
                &at,
            ],
        )
        .await?;
        Ok(())
    }

    pub async fn release_set_aside(&self, village: &str, ids: &[Uuid]) -> Result<()> {
        if !ids.is_empty() {
            self.exec(
                "DELETE FROM set_aside WHERE village = $1 AND id = ANY($2)",
                &[&village, &ids],
            )
            .await?;
        }
        Ok(())
    }

    /// The village's set-aside events, oldest first (by sender, then sequence).
    pub async fn set_aside_rows(&self, village: &str) -> Result<Vec<SetAsideRow>> {
        let rows = self
            .q(
                "SELECT id, origin, seq, kind, subject, reason, forbidden, first_at, last_at, tries, raw
                 FROM set_aside WHERE village = $1 ORDER BY origin, seq",
                &[&village],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| SetAsideRow {
                id: r.get::<_, Uuid>(0).to_string(),
                origin: r.get(1),
                seq: r.get(2),
                kind: r.get(3),
                subject: r.get(4),
                reason: r.get(5),
                forbidden: r.get(6),
                first_at: crate::domain::clock::china_time_text(r.get(7)),
                last_at: crate::domain::clock::china_time_text(r.get(8)),
                tries: i64::from(r.get::<_, i32>(9)),
                raw: r.get(10),
            })
            .collect())
    }
}
