//! The PostgreSQL engine's feed for kiosks: positions expanded into the records that
//! reproduce them, a page's ledger entries read in one query.

use std::collections::{BTreeMap, HashMap};

use uuid::Uuid;

use crate::domain::catalogue::StockMoveReason;
use crate::domain::records::{EntryRecord, HouseholdRecord, QrCardRecord, Record, SyncEvent};
use crate::store::pg::{FeedRow, PgError, PgTx};

/// Expands feed rows into the records that reproduce them at a kiosk; a page's ledger
/// entries are read in one query.
pub(super) async fn expand(tx: &PgTx<'_>, village: &str, rows: Vec<FeedRow>) -> Result<Vec<SyncEvent>, PgError> {
    let entry_ids: Vec<Uuid> = rows
        .iter()
        .filter(|r| r.kind == "ledger_entry")
        .map(feed_uuid)
        .collect::<Result<_, _>>()?;
    let mut entries: HashMap<Uuid, EntryRecord> = tx
        .entries_by_ids(&entry_ids)
        .await?
        .into_iter()
        .map(|(entry, dedupe_key)| (entry.id, EntryRecord { entry, dedupe_key }))
        .collect();
    let kiosks: BTreeMap<String, crate::domain::kiosk::KioskRecord> = tx
        .devices()
        .await?
        .into_iter()
        .filter(|d| d.village == village)
        .map(|d| (d.id.clone(), super::kiosk_record(&d)))
        .collect();
    let mut events = Vec::with_capacity(rows.len());
    for row in rows {
        let missing = |what: &str| {
            PgError::Corrupt(format!(
                "feed position {} names {what} {} that does not exist",
                row.pos, row.subject
            ))
        };
        let records = match row.kind.as_str() {
            "ledger_entry" => {
                let id = feed_uuid(&row)?;
                vec![Record::Entry(
                    entries.remove(&id).ok_or_else(|| missing("ledger entry"))?,
                )]
            }
            "household_changed" => {
                let (grid, qr_token, _) = tx
                    .household_row(village, &row.subject)
                    .await?
                    .ok_or_else(|| missing("household"))?;
                vec![Record::Household(HouseholdRecord {
                    residents: tx.residents_with_hashes(village, &row.subject).await?,
                    code: row.subject.clone(),
                    grid,
                    qr_token,
                })]
            }
            "qr_card_issued" => {
                let (_, token, _) = tx
                    .household_row(village, &row.subject)
                    .await?
                    .ok_or_else(|| missing("household"))?;
                vec![Record::QrCard(QrCardRecord {
                    household: row.subject.clone(),
                    token: token.ok_or_else(|| missing("QR card of household"))?,
                    issued_by: String::new(),
                    issued_at: row.created_at,
                })]
            }
            "rule_changed" => vec![Record::Rule(
                tx.rule(village, &row.subject).await?.ok_or_else(|| missing("rule"))?,
            )],
            "catalogue_changed" => {
                let item = tx.item(village, &row.subject).await?.ok_or_else(|| missing("item"))?;
                let cost = tx.item_cost(village, &item.code).await?;
                let sponsor = match &cost {
                    Some(c) => Some(
                        tx.sponsor_record(village, &c.sponsor)
                            .await?
                            .ok_or_else(|| missing("sponsor of item"))?,
                    ),
                    None => None,
                };
                crate::app::item_records(item, cost, sponsor)
            }
            "sponsor_added" => vec![Record::Sponsor(
                tx.sponsor_record(village, &row.subject)
                    .await?
                    .ok_or_else(|| missing("sponsor"))?,
            )],
            "sponsor_funded" => {
                let r = tx
                    .fund_receipt(village, &row.subject)
                    .await?
                    .ok_or_else(|| missing("gift"))?;
                let sponsor = tx
                    .sponsor_record(village, &r.sponsor)
                    .await?
                    .ok_or_else(|| missing("sponsor of gift"))?;
                vec![Record::Sponsor(sponsor), Record::FundReceipt(r)]
            }
            "voucher_delivered" => vec![Record::Proxy(
                tx.proxy_redemption(village, &row.subject)
                    .await?
                    .ok_or_else(|| missing("proxy redemption"))?,
            )],
            "stock_moved" => {
                let id = feed_uuid(&row)?;
                vec![Record::StockMove(
                    tx.stock_move(village, id).await?.ok_or_else(|| missing("stock move"))?,
                )]
            }
            "kiosk_changed" => vec![Record::Kiosk(
                kiosks.get(&row.subject).cloned().ok_or_else(|| missing("kiosk"))?,
            )],
            "clerk_action" => {
                let id = feed_uuid(&row)?;
                vec![Record::ClerkAction(
                    tx.clerk_action(village, id)
                        .await?
                        .ok_or_else(|| missing("clerk action"))?,
                )]
            }
            "redemption" => {
                let mut r = tx
                    .redemption_record(village, &row.subject)
                    .await?
                    .ok_or_else(|| missing("redemption"))?;
                r.voucher = r.voucher.as_issued();
                let mut records = vec![entry_record(tx, &r.ledger_id).await?];
                let moves = tx.stock_moves_for(village, &r.id, StockMoveReason::Redemption).await?;
                let proxy = tx.proxy_redemption(village, &r.voucher.serial).await?;
                records.push(Record::Redemption(r));
                records.extend(moves.into_iter().map(Record::StockMove));
                records.extend(proxy.map(|p| Record::Proxy(p.as_redeemed())));
                records
            }
            "voucher_settled" => {
                let (v, _, _) = tx
                    .voucher_record(village, &row.subject)
                    .await?
                    .ok_or_else(|| missing("voucher"))?;
                vec![Record::Voucher(v)]
            }
            "voucher_voided" => {
                let (v, _, redemption) = tx
                    .voucher_record(village, &row.subject)
                    .await?
                    .ok_or_else(|| missing("voucher"))?;
                let mut records = Vec::new();
                if let Some(refund) = &v.refund_ledger_id {
                    records.push(entry_record(tx, refund).await?);
                }
                records.push(Record::Voucher(v));
                let moves = tx.stock_moves_for(village, &redemption, StockMoveReason::Void).await?;
                records.extend(moves.into_iter().map(Record::StockMove));
                records
            }
            "evidence_added" => {
                let id = feed_uuid(&row)?;
                tx.evidence_of_entry(village, id)
                    .await?
                    .into_iter()
                    .map(Record::Evidence)
                    .collect()
            }
            "dispute_opened" => {
                let mut d = tx
                    .dispute(village, feed_uuid(&row)?)
                    .await?
                    .ok_or_else(|| missing("dispute"))?;
                d.outcome = None;
                vec![Record::Dispute(d)]
            }
            "dispute_resolved" => {
                let d = tx
                    .dispute(village, feed_uuid(&row)?)
                    .await?
                    .ok_or_else(|| missing("dispute"))?;
                let mut records = Vec::new();
                if let Some(c) = d.outcome.as_ref().and_then(|o| o.correction) {
                    records.push(entry_record(tx, &c.to_string()).await?);
                }
                records.push(Record::Dispute(d));
                records
            }
            other => return Err(missing(&format!("unknown kind {other}"))),
        };
        events.push(SyncEvent {
            id: row.id,
            seq: row.pos,
            kind: row.kind,
            subject: row.subject,
            created_at: row.created_at,
            records,
        });
    }
    Ok(events)
}

fn feed_uuid(row: &FeedRow) -> Result<Uuid, PgError> {
    Uuid::parse_str(&row.subject)
        .map_err(|_| PgError::Corrupt(format!("feed position {} names '{}'", row.pos, row.subject)))
}

async fn entry_record(tx: &PgTx<'_>, id: &str) -> Result<Record, PgError> {
    let id = Uuid::parse_str(id).map_err(|_| PgError::Corrupt(format!("entry id '{id}' is not a UUID")))?;
    let (entry, dedupe_key) = tx
        .entries_by_ids(&[id])
        .await?
        .pop()
        .ok_or_else(|| PgError::Corrupt(format!("ledger entry {id} does not exist")))?;
    Ok(Record::Entry(EntryRecord { entry, dedupe_key }))
}
