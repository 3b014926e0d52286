//! The kiosks of a village: who a box is (its device id, derived from its key), the
//! number the township gives it, and the key that verifies the vouchers it prints.
//!
//! Several kiosks serve one village (the hall and the elder-care centre), boxes die and
//! are replaced, a stolen one is retired (DESIGN.md §8). Every kiosk learns the others
//! from the township's feed, so any of them settles any voucher of the village.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chrono::{DateTime, Utc};
use ed25519_dalek::VerifyingKey;
use sha2::{Digest, Sha256};

/// A kiosk of the village as the township registered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KioskRecord {
    /// `kiosk-` and 16 hex digits of the SHA-256 of its request-signing key.
    pub device: String,
    /// Its number within the village, part of every serial it prints (`YT-2-…`).
    pub number: u32,
    pub name: String,
    /// Verifies its vouchers; unknown until the kiosk first said hello to the township.
    pub voucher_key: Option<VerifyingKey>,
    /// It printed serials of the older, unnumbered form (`YT-000042-7`) before fleets.
    pub legacy_serials: bool,
    /// When and why the township retired it (lost, stolen, replaced). What it printed
    /// before stays good; nothing it sends is taken any more.
    pub retired: Option<(DateTime<Utc>, String)>,
}

/// A device's id: derived from its public key, so registering the key is registering
/// the device, and an id cannot be claimed with another key.
pub fn device_id(key: &VerifyingKey) -> String {
    let digest = Sha256::digest(key.as_bytes());
    format!("kiosk-{}", &hex::encode(digest)[..16])
}

/// A public key as operators copy it: 44 characters of base64.
pub fn public_key_text(key: &VerifyingKey) -> String {
    B64.encode(key.as_bytes())
}

pub fn parse_public_key(text: &str) -> Result<VerifyingKey, String> {
    let bytes = B64
        .decode(text.trim())
        .map_err(|_| "the public key is not base64".to_string())?;
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| "an Ed25519 public key is 32 bytes (44 base64 characters)".to_string())?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| "not a valid Ed25519 public key".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_id_follows_from_its_key_and_keys_round_trip_as_text() {
        let key = ed25519_dalek::SigningKey::from_bytes(&[3; 32]).verifying_key();
        let id = device_id(&key);
        assert!(id.starts_with("kiosk-") && id.len() == 22, "{id}");
        assert_eq!(parse_public_key(&public_key_text(&key)), Ok(key));
        assert!(parse_public_key("not base64!").is_err());
        assert!(parse_public_key("AAAA").is_err());
    }
}
