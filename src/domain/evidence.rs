//! The facts behind a score (用事实说话, DESIGN.md §11): photos of the supervision sheet or
//! the scene attached to an award or deduction, and a villager's dispute of an entry with
//! the township's answer.
//!
//! A photo's bytes never travel inside a record: the record names the photo by its SHA-256,
//! so points sync at once and the bytes follow in the background, each checked against the
//! digest the (signed) record carried.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// At most this many photos on one entry: a sheet and two views of the scene.
pub const MAX_PHOTOS_PER_ENTRY: usize = 3;

/// Who opens a dispute at the kiosk's screen: the household itself, not a clerk.
pub const OPENED_BY_HOUSEHOLD: &str = "household";

/// A photo on a ledger entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceRecord {
    pub id: Uuid,
    /// The award or deduction it backs.
    pub entry: Uuid,
    /// Lower-case hex SHA-256 of the stored JPEG: how the bytes are fetched and checked.
    pub sha256: String,
    pub size: i64,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

/// A household's question about one entry, and the township's answer once given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisputeRecord {
    pub id: Uuid,
    pub entry: Uuid,
    pub household: String,
    /// [`OPENED_BY_HOUSEHOLD`] from the screen, or the clerk's name.
    pub opened_by: String,
    pub opened_at: DateTime<Utc>,
    /// The kiosk (device id) or `township` where it was opened.
    pub device: String,
    pub note: String,
    pub outcome: Option<DisputeOutcome>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisputeOutcome {
    pub verdict: Verdict,
    /// For [`Verdict::Corrected`]: the correction entry, which names the disputed one.
    pub correction: Option<Uuid>,
    pub note: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// The township's answer to a dispute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The entry stands as recorded.
    Upheld,
    /// The entry was wrong; a correction entry moves the points.
    Corrected,
}

impl Verdict {
    pub fn key(self) -> &'static str {
        match self {
            Verdict::Upheld => "upheld",
            Verdict::Corrected => "corrected",
        }
    }

    pub fn parse(s: &str) -> Option<Verdict> {
        match s {
            "upheld" => Some(Verdict::Upheld),
            "corrected" => Some(Verdict::Corrected),
            _ => None,
        }
    }
}

impl DisputeRecord {
    pub fn is_open(&self) -> bool {
        self.outcome.is_none()
    }
}

/// The id of the `n`-th dispute of an entry (counting from 0). Two kiosks where the same
/// household asks about the same entry while offline make the same id, so the township
/// holds one dispute, not two.
pub fn dispute_id(entry: Uuid, n: usize) -> Uuid {
    let digest = Sha256::digest(format!("jifen-dispute|{entry}|{n}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::new_v8(bytes)
}

/// The id of a photo on an entry: the same entry and photo make the same id, so a photo
/// given twice is one photo.
pub fn evidence_id(entry: Uuid, sha256: &str) -> Uuid {
    let digest = Sha256::digest(format!("jifen-evidence|{entry}|{sha256}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::new_v8(bytes)
}

/// True for a lower-case hex SHA-256 (what a photo's name on the wire must be).
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_question_on_two_kiosks_is_one_dispute() {
        let entry = Uuid::now_v7();
        assert_eq!(dispute_id(entry, 0), dispute_id(entry, 0));
        assert_ne!(dispute_id(entry, 0), dispute_id(entry, 1));
        assert_ne!(dispute_id(entry, 0), dispute_id(Uuid::now_v7(), 0));
    }

    #[test]
    fn a_digest_name_is_64_lower_hex() {
        assert!(is_sha256_hex(&"a1".repeat(32)));
        assert!(!is_sha256_hex(&"A1".repeat(32)));
        assert!(!is_sha256_hex("../../etc/passwd"));
    }
}
