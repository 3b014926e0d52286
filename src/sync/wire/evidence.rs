//! The JSON of evidence and dispute records (issue 17). A photo record names the photo by
//! digest; the bytes travel on `/v1/villages/{code}/evidence/{sha256}`.

use serde::{Deserialize, Serialize};

use super::{time, time_text, uuid, WireError};
use crate::domain::evidence::{is_sha256_hex, DisputeOutcome, DisputeRecord, EvidenceRecord, Verdict};
use crate::picture::EVIDENCE_PHOTO;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceDto {
    pub id: String,
    pub entry: String,
    pub sha256: String,
    pub size: i64,
    pub recorded_by: String,
    pub recorded_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DisputeDto {
    pub id: String,
    pub entry: String,
    pub household: String,
    pub opened_by: String,
    pub opened_at: String,
    pub device: String,
    #[serde(default)]
    pub note: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<OutcomeDto>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutcomeDto {
    /// `upheld` or `corrected`.
    pub verdict: String,
    #[serde(default)]
    pub correction: Option<String>,
    pub note: String,
    pub by: String,
    pub at: String,
}

impl EvidenceDto {
    pub(super) fn from_domain(e: &EvidenceRecord) -> EvidenceDto {
        EvidenceDto {
            id: e.id.to_string(),
            entry: e.entry.to_string(),
            sha256: e.sha256.clone(),
            size: e.size,
            recorded_by: e.recorded_by.clone(),
            recorded_at: time_text(e.recorded_at),
        }
    }

    pub(super) fn into_domain(self, at: &str) -> Result<EvidenceRecord, WireError> {
        if !is_sha256_hex(&self.sha256) {
            return Err(WireError(format!(
                "{at}: a photo's digest must be 64 lower-case hex digits"
            )));
        }
        if self.size <= 0 || self.size > EVIDENCE_PHOTO.max_bytes as i64 {
            return Err(WireError(format!(
                "{at}: a photo of {} bytes is outside 1..={}",
                self.size, EVIDENCE_PHOTO.max_bytes
            )));
        }
        Ok(EvidenceRecord {
            id: uuid(&self.id, at)?,
            entry: uuid(&self.entry, at)?,
            sha256: self.sha256,
            size: self.size,
            recorded_by: self.recorded_by,
            recorded_at: time(&self.recorded_at, at)?,
        })
    }
}

impl DisputeDto {
    pub(super) fn from_domain(d: &DisputeRecord) -> DisputeDto {
        DisputeDto {
            id: d.id.to_string(),
            entry: d.entry.to_string(),
            household: d.household.clone(),
            opened_by: d.opened_by.clone(),
            opened_at: time_text(d.opened_at),
            device: d.device.clone(),
            note: d.note.clone(),
            outcome: d.outcome.as_ref().map(|o| OutcomeDto {
                verdict: o.verdict.key().to_string(),
                correction: o.correction.map(|c| c.to_string()),
                note: o.note.clone(),
                by: o.by.clone(),
                at: time_text(o.at),
            }),
        }
    }

    pub(super) fn into_domain(self, at: &str) -> Result<DisputeRecord, WireError> {
        let outcome = self
            .outcome
            .map(|o| {
                let verdict = Verdict::parse(&o.verdict)
                    .ok_or_else(|| WireError(format!("{at}: unknown dispute verdict '{}'", o.verdict)))?;
                let correction = o.correction.as_deref().map(|c| uuid(c, at)).transpose()?;
                if (verdict == Verdict::Corrected) != correction.is_some() {
                    return Err(WireError(format!(
                        "{at}: a corrected dispute names its correction entry, an upheld one none"
                    )));
                }
                Ok(DisputeOutcome {
                    verdict,
                    correction,
                    note: o.note,
                    by: o.by,
                    at: time(&o.at, at)?,
                })
            })
            .transpose()?;
        Ok(DisputeRecord {
            id: uuid(&self.id, at)?,
            entry: uuid(&self.entry, at)?,
            household: self.household,
            opened_by: self.opened_by,
            opened_at: time(&self.opened_at, at)?,
            device: self.device,
            note: self.note,
            outcome,
        })
    }
}
