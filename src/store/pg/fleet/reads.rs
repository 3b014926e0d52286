//! What a batch refers to, loaded with one query per kind of thing (keys bound as arrays).

use uuid::Uuid;

use super::super::{PgError, PgTx, Result};
use crate::domain::catalogue::CatalogueItem;
use crate::domain::ledger::EntryKind;
use crate::domain::voucher::VoucherStatus;
use crate::store::{EntryFacts, ReceivedRow, VoucherFacts};

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
            super::super::village::ITEM_COLS
        );
        let rows = self.q(&sql, &[&village]).await?;
        rows.iter().map(super::super::village::catalogue_item).collect()
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
}
