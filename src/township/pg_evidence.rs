//! Evidence and disputes on the PostgreSQL engine: the township's awards with photos, the
//! photos' bytes for kiosks, and answering disputes. The decisions (what an award or a
//! correction may be, how disputes are listed) are the kiosk's own functions in `app`.

use uuid::Uuid;

use super::postgres::PgTownship;
use super::{Result, TownshipAward, TownshipError};
use crate::app::{
    award_entry, correction_entry, dispute_listing, evidence_records, order_for_staff, prepare_photos, AppError,
    AwardAsked, AwardReceipt, DisputeListing, DisputeView, EvidenceView, Resolution,
};
use crate::domain::evidence::{DisputeOutcome, Verdict};
use crate::picture::{self, EVIDENCE_PHOTO};

impl PgTownship {
    pub(super) fn award_with_photos(&self, village: &str, a: &TownshipAward) -> Result<AwardReceipt> {
        let photos = prepare_photos(&a.photos)?;
        let clock = self.clock();
        self.store().write(Some(village), async |tx| {
            let (_, _, balance) = tx
                .household_row(village, &a.household)
                .await?
                .ok_or_else(|| AppError::UnknownHousehold(a.household.clone()))?;
            let rule = tx
                .rule(village, &a.rule)
                .await?
                .ok_or_else(|| AppError::UnknownRule(a.rule.clone()))?;
            if let Some(id) = a.entry_id {
                if !tx.entry_facts(&[id]).await?.is_empty() {
                    return Err(AppError::EntryExists(id.to_string()).into());
                }
            }
            let e = award_entry(
                clock.as_ref(),
                &AwardAsked {
                    household: &a.household,
                    rule: &rule,
                    points: a.points,
                    note: a.note.as_deref(),
                    month: a.month,
                    recorded_by: &a.by,
                    entry_id: a.entry_id,
                },
            )?;
            tx.insert_entries(village, &[(&e, None)]).await?;
            let records = evidence_records(e.id, &photos, &a.by, e.created_at);
            tx.insert_evidence(village, &records).await?;
            for p in &photos {
                tx.put_photo(village, &p.sha256, &p.jpeg).await?;
            }
            let mut changes = vec![("ledger_entry", e.id.to_string())];
            if !records.is_empty() {
                changes.push(("evidence_added", e.id.to_string()));
            }
            tx.append_feed(village, &changes, None, e.created_at).await?;
            let mut entry = crate::app::entry_view_of(&e);
            entry.evidence = records.iter().map(|r| EvidenceView::of(r, true)).collect();
            Ok::<_, TownshipError>(AwardReceipt {
                entry,
                household_code: a.household.clone(),
                balance_after: balance + e.delta,
            })
        })
    }

    pub(super) fn photo_bytes(&self, village: &str, sha256: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.store().read(async |tx| tx.photo(village, sha256).await)?)
    }

    pub(super) fn keep_photo(&self, village: &str, sha256: &str, bytes: &[u8]) -> Result<bool> {
        if picture::digest(bytes) != sha256 {
            return Err(AppError::Invalid(format!("photo {sha256}: the bytes do not match their digest")).into());
        }
        picture::check_stored(bytes, EVIDENCE_PHOTO).map_err(AppError::from)?;
        self.store().write(Some(village), async |tx| {
            if !tx.names_photo(village, sha256).await? {
                return Ok::<_, TownshipError>(false);
            }
            tx.put_photo(village, sha256, bytes).await?;
            Ok(true)
        })
    }

    pub(super) fn dispute_list(&self, village: &str, open_only: bool) -> Result<Vec<DisputeListing>> {
        let now = self.clock().now();
        let pairs = self.store().read(async |tx| {
            let disputes = tx.disputes(village, open_only).await?;
            let ids: Vec<Uuid> = disputes.iter().map(|d| d.entry).collect();
            let entries = tx.entries_by_ids(&ids).await?;
            Ok((disputes, entries))
        })?;
        let (disputes, entries) = pairs;
        let mut list = Vec::with_capacity(disputes.len());
        for d in &disputes {
            let (e, _) = entries
                .iter()
                .find(|(e, _)| e.id == d.entry)
                .ok_or_else(|| AppError::UnknownEntry(d.entry.to_string()))?;
            list.push(dispute_listing(d, e, now));
        }
        order_for_staff(&mut list);
        Ok(list)
    }

    pub(super) fn answer_dispute(&self, id: &str, resolution: Resolution, note: &str, by: &str) -> Result<DisputeView> {
        let uuid = Uuid::parse_str(id.trim()).map_err(|_| AppError::UnknownDispute(id.trim().to_string()))?;
        if note.trim().is_empty() || by.trim().is_empty() {
            return Err(AppError::Invalid("an answer needs a note for the household and who gives it".into()).into());
        }
        let village = self
            .store()
            .read(async |tx| tx.dispute_village(uuid).await)?
            .ok_or_else(|| AppError::UnknownDispute(uuid.to_string()))?;
        let clock = self.clock();
        let village = village.as_str();
        self.store().write(Some(village), async |tx| {
            let mut d = tx
                .dispute(village, uuid)
                .await?
                .ok_or_else(|| AppError::UnknownDispute(uuid.to_string()))?;
            if let Some(o) = &d.outcome {
                return Err(AppError::Invalid(format!(
                    "dispute {uuid} was already answered ({}) by {}",
                    o.verdict.key(),
                    o.by
                ))
                .into());
            }
            let now = clock.now();
            let (verdict, correction) = match resolution {
                Resolution::Uphold => (Verdict::Upheld, None),
                Resolution::Correct(delta) => {
                    let (original, _) = tx
                        .entries_by_ids(&[d.entry])
                        .await?
                        .pop()
                        .ok_or_else(|| AppError::UnknownEntry(d.entry.to_string()))?;
                    let rule = match &original.rule_code {
                        Some(code) => tx.rule(village, code).await?,
                        None => None,
                    };
                    let e = correction_entry(clock.as_ref(), &original, rule.as_ref(), delta, note, by)?;
                    tx.insert_entries(village, &[(&e, None)]).await?;
                    (Verdict::Corrected, Some(e.id))
                }
            };
            d.outcome = Some(DisputeOutcome {
                verdict,
                correction,
                note: note.trim().to_string(),
                by: by.trim().to_string(),
                at: now,
            });
            tx.upsert_disputes(village, std::slice::from_ref(&d)).await?;
            tx.append_feed(village, &[("dispute_resolved", uuid.to_string())], None, now)
                .await?;
            Ok::<_, TownshipError>(crate::app::dispute_view_of(&d))
        })
    }
}
