//! Set-based reads and writes for applying a batch of sync events on PostgreSQL: what a
//! batch refers to is loaded with one query per kind of thing (keys bound as arrays), and
//! what it writes goes in with one statement per table (`unnest` of arrays), so a push of
//! 500 events costs a dozen round trips, not thousands. Also the fleet's own rows: stock
//! on shelves, events set aside, double settlements, the clerks' action log.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{PgError, PgTx, Result};
use crate::domain::catalogue::{CatalogueItem, StockMove, StockMoveReason};
use crate::domain::ledger::EntryKind;
use crate::domain::records::{ClerkActionRecord, RedemptionRecord, ResidentRecord, VoucherRecord};
use crate::domain::voucher::VoucherStatus;
use crate::store::{DoubleSettlementRow, EntryFacts, ReceivedRow, SetAsideRow, VoucherFacts};

impl PgTx<'_> {
    // ---- what a batch refers to ----

    /// (code, grid, QR token, balance) of these households.
    pub async fn households_by_codes(
        &self,
        village: &str,
        codes: &[String],
    ) -> Result<Vec<(String, String, Option<String>, i64)>> {
        let rows = self
            .q(
                "SELECT code, grid, qr_token, balance FROM households WHERE village = $1 AND code = ANY($2)",
                &[&village, &codes],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3))).collect())
    }

    /// (token, household) for these QR tokens.
    pub async fn households_by_tokens(&self, village: &str, tokens: &[String]) -> Result<Vec<(String, String)>> {
        let rows = self
            .q(
                "SELECT qr_token, code FROM households WHERE village = $1 AND qr_token = ANY($2)",
                &[&village, &tokens],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// (ID hash, household) for these residents.
    pub async fn residents_by_hashes(&self, village: &str, hashes: &[String]) -> Result<Vec<(String, String)>> {
        let rows = self
            .q(
                "SELECT id_hash, household FROM residents WHERE village = $1 AND id_hash = ANY($2)",
                &[&village, &hashes],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// These entries, in any village, each with the village that holds it (an id claimed
    /// by two villages is refused).
    pub async fn entry_facts(&self, ids: &[Uuid]) -> Result<Vec<(String, EntryFacts)>> {
        let rows = self
            .q(
                "SELECT id, village, household, delta, kind, rule_code, corrects FROM ledger WHERE id = ANY($1)",
                &[&ids],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let kind: String = r.get(4);
                let facts = EntryFacts {
                    id: r.get(0),
                    household: r.get(2),
                    delta: r.get(3),
                    kind: EntryKind::parse(&kind).ok_or_else(|| PgError::Corrupt(format!("entry kind '{kind}'")))?,
                    rule_code: r.get(5),
                    corrects: r.get(6),
                };
                Ok((r.get(1), facts))
            })
            .collect()
    }

    pub async fn known_dedupe_keys(&self, village: &str, keys: &[String]) -> Result<Vec<String>> {
        let rows = self
            .q(
                "SELECT dedupe_key FROM ledger WHERE village = $1 AND dedupe_key = ANY($2)",
                &[&village, &keys],
            )
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    pub async fn known_redemptions(&self, village: &str, ids: &[String]) -> Result<Vec<String>> {
        let rows = self
            .q(
                "SELECT id FROM redemptions WHERE village = $1 AND id = ANY($2)",
                &[&village, &ids],
            )
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    pub async fn voucher_facts(&self, village: &str, serials: &[String]) -> Result<Vec<VoucherFacts>> {
        let rows = self
            .q(
                "SELECT v.serial, v.redemption_id, v.status, r.household, r.item, r.qty, r.points, r.ledger_id,
                        v.settled_at, v.settled_merchant, v.settled_by, v.settled_device, v.refund_ledger_id
                 FROM vouchers v JOIN redemptions r ON r.village = v.village AND r.id = v.redemption_id
                 WHERE v.village = $1 AND v.serial = ANY($2)",
                &[&village, &serials],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let status: String = r.get(2);
                Ok(VoucherFacts {
                    serial: r.get(0),
                    redemption_id: r.get(1),
                    status: VoucherStatus::parse(&status)
                        .ok_or_else(|| PgError::Corrupt(format!("voucher status '{status}'")))?,
                    household: r.get(3),
                    item_code: r.get(4),
                    qty: r.get(5),
                    points: r.get(6),
                    ledger_id: r.get::<_, Uuid>(7).to_string(),
                    settled_at: r.get(8),
                    settled_merchant: r.get(9),
                    settled_by: r.get(10),
                    settled_device: r.get(11),
                    refund_ledger_id: r.get::<_, Option<Uuid>>(12).map(|u| u.to_string()),
                })
            })
            .collect()
    }

    /// (move id, village) of these stock moves, in any village.
    pub async fn known_moves(&self, ids: &[Uuid]) -> Result<Vec<(Uuid, String)>> {
        let rows = self
            .q("SELECT uid, village FROM stock_moves WHERE uid = ANY($1)", &[&ids])
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    pub async fn known_clerk_actions(&self, ids: &[Uuid]) -> Result<Vec<Uuid>> {
        let rows = self
            .q("SELECT id FROM clerk_actions WHERE id = ANY($1)", &[&ids])
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    pub async fn items(&self, village: &str) -> Result<Vec<CatalogueItem>> {
        let sql = format!(
            "SELECT {} FROM items WHERE village = $1 ORDER BY points_cost, code",
            super::village::ITEM_COLS
        );
        let rows = self.q(&sql, &[&village]).await?;
        rows.iter().map(super::village::catalogue_item).collect()
    }

    /// Every shelf of the village: (item, holder, stock).
    pub async fn shelves(&self, village: &str) -> Result<Vec<(String, String, i64)>> {
        let rows = self
            .q(
                "SELECT item, holder, stock FROM shelves WHERE village = $1 ORDER BY item COLLATE \"C\", holder COLLATE \"C\"",
                &[&village],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect())
    }

    /// Events of `device` received before under these ids or sequence numbers.
    pub async fn received_for(&self, device: &str, ids: &[Uuid], seqs: &[i64]) -> Result<Vec<ReceivedRow>> {
        let rows = self
            .q(
                "SELECT id, device, seq, digest FROM received_events
                 WHERE id = ANY($1) OR (device = $2 AND seq = ANY($3))",
                &[&ids, &device, &seqs],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| ReceivedRow {
                id: r.get::<_, Uuid>(0).to_string(),
                device: r.get(1),
                seq: r.get(2),
                digest: r.get(3),
            })
            .collect())
    }

    // ---- what a batch writes ----

    pub async fn insert_households(&self, village: &str, rows: &[(String, String)], at: DateTime<Utc>) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let codes: Vec<&str> = rows.iter().map(|(c, _)| c.as_str()).collect();
        let grids: Vec<&str> = rows.iter().map(|(_, g)| g.as_str()).collect();
        self.exec(
            "INSERT INTO households (village, code, grid, created_at)
             SELECT $1, code, grid, $2 FROM unnest($3::text[], $4::text[]) AS t(code, grid)",
            &[&village, &at, &codes, &grids],
        )
        .await?;
        Ok(())
    }

    /// Gives households their QR tokens, in order (a token handed on is freed first).
    pub async fn set_qr_tokens(&self, village: &str, rows: &[(String, String)]) -> Result<()> {
        for (code, token) in rows {
            self.exec(
                "UPDATE households SET qr_token = NULL WHERE village = $1 AND qr_token = $2 AND code <> $3",
                &[&village, &token, &code],
            )
            .await?;
            self.set_qr_token(village, code, token).await?;
        }
        Ok(())
    }

    pub async fn insert_residents(&self, village: &str, rows: &[(String, ResidentRecord)]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let col = |f: fn(&(String, ResidentRecord)) -> &str| rows.iter().map(f).collect::<Vec<&str>>();
        self.exec(
            "INSERT INTO residents (village, household, name, role, id_last4, id_hash)
             SELECT $1, household, name, role, id_last4, id_hash
             FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
                 WITH ORDINALITY AS t(household, name, role, id_last4, id_hash, ord)
             ORDER BY ord",
            &[
                &village,
                &col(|(h, _)| h),
                &col(|(_, r)| &r.resident.name),
                &col(|(_, r)| r.resident.role.key()),
                &col(|(_, r)| &r.resident.id_last4),
                &col(|(_, r)| &r.id_hash),
            ],
        )
        .await?;
        Ok(())
    }

    pub async fn flag_overdrafts(&self, village: &str, rows: &[(Uuid, String, i64)], at: DateTime<Utc>) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let ids: Vec<Uuid> = rows.iter().map(|(id, _, _)| *id).collect();
        let households: Vec<&str> = rows.iter().map(|(_, h, _)| h.as_str()).collect();
        let balances: Vec<i64> = rows.iter().map(|(_, _, b)| *b).collect();
        self.exec(
            "INSERT INTO overdrafts (entry_id, village, household, balance_after, flagged_at)
             SELECT id, $1, household, balance, $2 FROM unnest($3::uuid[], $4::text[], $5::int8[])
                 AS t(id, household, balance)
             ON CONFLICT DO NOTHING",
            &[&village, &at, &ids, &households, &balances],
        )
        .await?;
        Ok(())
    }

    /// Redemptions received from kiosks with their vouchers, two statements in all.
    pub async fn insert_redemptions(&self, village: &str, rows: &[RedemptionRecord]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let text = |f: fn(&RedemptionRecord) -> &str| rows.iter().map(f).collect::<Vec<&str>>();
        let ledger_ids: Vec<Uuid> = rows
            .iter()
            .map(|r| uuid_of(&r.ledger_id, "redemption debit"))
            .collect::<Result<_>>()?;
        let qty: Vec<i64> = rows.iter().map(|r| r.qty).collect();
        let points: Vec<i64> = rows.iter().map(|r| r.points).collect();
        let created: Vec<DateTime<Utc>> = rows.iter().map(|r| r.created_at).collect();
        self.exec(
            "INSERT INTO redemptions (id, village, household, item, qty, points, ledger_id, recorded_by, created_at)
             SELECT id, $1, household, item, qty, points, ledger_id, recorded_by, created_at
             FROM unnest($2::text[], $3::text[], $4::text[], $5::int8[], $6::int8[], $7::uuid[], $8::text[],
                         $9::timestamptz[])
                 AS t(id, household, item, qty, points, ledger_id, recorded_by, created_at)",
            &[
                &village,
                &text(|r| &r.id),
                &text(|r| &r.household),
                &text(|r| &r.item_code),
                &qty,
                &points,
                &ledger_ids,
                &text(|r| &r.recorded_by),
                &created,
            ],
        )
        .await?;
        let v = |f: fn(&VoucherRecord) -> Option<&str>| rows.iter().map(|r| f(&r.voucher)).collect::<Vec<_>>();
        let refunds: Vec<Option<Uuid>> = rows
            .iter()
            .map(|r| {
                r.voucher
                    .refund_ledger_id
                    .as_deref()
                    .map(|id| uuid_of(id, "refund"))
                    .transpose()
            })
            .collect::<Result<_>>()?;
        self.exec(
            "INSERT INTO vouchers (serial, village, redemption_id, status, qr_payload, issued_at, expires_on,
                                   settled_at, settled_merchant, settled_by, settled_device, void_reason,
                                   refund_ledger_id)
             SELECT serial, $1, redemption_id, status, qr_payload, issued_at, expires_on, settled_at,
                    settled_merchant, settled_by, settled_device, void_reason, refund_ledger_id
             FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::date[],
                         $8::timestamptz[], $9::text[], $10::text[], $11::text[], $12::text[], $13::uuid[])
                 AS t(serial, redemption_id, status, qr_payload, issued_at, expires_on, settled_at,
                      settled_merchant, settled_by, settled_device, void_reason, refund_ledger_id)",
            &[
                &village,
                &text(|r| &r.voucher.serial),
                &text(|r| &r.id),
                &rows.iter().map(|r| r.voucher.status.key()).collect::<Vec<_>>(),
                &text(|r| &r.voucher.qr_payload),
                &rows.iter().map(|r| r.voucher.issued_at).collect::<Vec<_>>(),
                &rows.iter().map(|r| r.voucher.expires_on).collect::<Vec<_>>(),
                &rows.iter().map(|r| r.voucher.settled_at).collect::<Vec<_>>(),
                &v(|v| v.settled_merchant.as_deref()),
                &v(|v| v.settled_by.as_deref()),
                &v(|v| v.settled_device.as_deref()),
                &v(|v| v.void_reason.as_deref()),
                &refunds,
            ],
        )
        .await?;
        Ok(())
    }

    /// Settlements of outstanding vouchers, one statement.
    pub async fn settle_vouchers(&self, village: &str, rows: &[&VoucherRecord]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let opt = |f: fn(&VoucherRecord) -> Option<&str>| rows.iter().map(|v| f(v)).collect::<Vec<_>>();
        self.exec(
            "UPDATE vouchers v SET status = 'settled', settled_at = t.at, settled_merchant = t.merchant,
                 settled_by = t.clerk, settled_device = t.device
             FROM unnest($2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[])
                 AS t(serial, at, merchant, clerk, device)
             WHERE v.village = $1 AND v.serial = t.serial",
            &[
                &village,
                &rows.iter().map(|v| v.serial.as_str()).collect::<Vec<_>>(),
                &rows.iter().map(|v| v.settled_at).collect::<Vec<_>>(),
                &opt(|v| v.settled_merchant.as_deref()),
                &rows
                    .iter()
                    .map(|v| v.settled_by.as_deref().unwrap_or(""))
                    .collect::<Vec<_>>(),
                &opt(|v| v.settled_device.as_deref()),
            ],
        )
        .await?;
        Ok(())
    }

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
