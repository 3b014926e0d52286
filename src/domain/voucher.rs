//! Paper vouchers: serial numbers a clerk can type, and the signed QR payload that makes
//! a voucher unforgeable (DESIGN.md §5.5).

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use ed25519_dalek::{SigningKey, VerifyingKey};

use super::signed::{self, SignedTextError};

/// A voucher serial such as `YT-000042-7`: village code, a per-installation sequence,
/// and a Luhn mod 36 check character over both, which catches every single wrong
/// character and most swapped neighbours when a serial is typed by hand.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Serial(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SerialError {
    #[error("'{0}' is not a voucher serial (expected e.g. YT-000042-7)")]
    Malformed(String),
    #[error("serial '{0}' has a wrong check character; it was probably mistyped")]
    WrongCheckCharacter(String),
}

/// Where a voucher is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoucherStatus {
    /// Committed with its redemption; no paper is known to have come out yet.
    Pending,
    Printed,
    Settled,
    Void,
    Expired,
}

/// Why a voucher QR payload was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("this QR code is not a jifen voucher")]
    NotAVoucher,
    #[error("the voucher QR code is damaged or incomplete")]
    Malformed,
    #[error("the voucher signature does not match: it was not issued by this village's kiosk or was altered")]
    BadSignature,
}

/// What the voucher's QR code carries. The signature covers every field, so a voucher
/// whose points or item were altered is refused as surely as one made up from nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoucherPayload {
    pub serial: Serial,
    pub item_code: String,
    pub points: i64,
    pub expires: NaiveDate,
}

/// Prefix that tells a voucher QR apart from a household QR card.
pub const PAYLOAD_PREFIX: &str = "JFV1";

impl Serial {
    /// Builds the serial for sequence number `seq` of village `village`.
    pub fn new(village: &str, seq: u64) -> Serial {
        let body = format!("{village}-{seq:06}");
        let check = luhn36(&body).unwrap_or('0');
        Serial(format!("{body}-{check}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Serial {
    type Err = SerialError;
    fn from_str(s: &str) -> Result<Serial, SerialError> {
        let t = s.trim().to_ascii_uppercase();
        let malformed = || SerialError::Malformed(s.trim().to_string());
        let (body, check) = t.rsplit_once('-').ok_or_else(malformed)?;
        let (village, seq) = body.split_once('-').ok_or_else(malformed)?;
        let check_ok = check.len() == 1;
        let village_ok = !village.is_empty() && village.chars().all(|c| c.is_ascii_alphanumeric());
        let seq_ok = seq.len() >= 6 && seq.chars().all(|c| c.is_ascii_digit());
        if !(check_ok && village_ok && seq_ok) {
            return Err(malformed());
        }
        match luhn36(body) {
            Some(c) if check.starts_with(c) => Ok(Serial(t)),
            Some(_) => Err(SerialError::WrongCheckCharacter(t)),
            None => Err(malformed()),
        }
    }
}

impl fmt::Display for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Luhn mod N over the alphabet 0-9A-Z, skipping dashes.
fn luhn36(body: &str) -> Option<char> {
    const N: u32 = 36;
    let mut factor = 2;
    let mut sum = 0;
    for c in body.chars().rev().filter(|c| *c != '-') {
        let code = c.to_digit(36)?;
        let addend = factor * code;
        sum += addend / N + addend % N;
        factor = if factor == 2 { 1 } else { 2 };
    }
    let check = (N - sum % N) % N;
    char::from_digit(check, 36).map(|c| c.to_ascii_uppercase())
}

impl VoucherStatus {
    pub fn key(self) -> &'static str {
        match self {
            VoucherStatus::Pending => "pending",
            VoucherStatus::Printed => "printed",
            VoucherStatus::Settled => "settled",
            VoucherStatus::Void => "void",
            VoucherStatus::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<VoucherStatus> {
        Some(match s {
            "pending" => VoucherStatus::Pending,
            "printed" => VoucherStatus::Printed,
            "settled" => VoucherStatus::Settled,
            "void" => VoucherStatus::Void,
            "expired" => VoucherStatus::Expired,
            _ => return None,
        })
    }

    /// Still honourable at a merchant (subject to the expiry date).
    pub fn is_outstanding(self) -> bool {
        matches!(self, VoucherStatus::Pending | VoucherStatus::Printed)
    }
}

impl VoucherPayload {
    fn signed_text(&self) -> String {
        format!(
            "{PAYLOAD_PREFIX}|{}|{}|{}|{}",
            self.serial,
            self.item_code,
            self.points,
            self.expires.format("%Y%m%d")
        )
    }

    /// The QR text: the fields, then a base64url Ed25519 signature over them.
    pub fn sign(&self, key: &SigningKey) -> String {
        signed::sign(&self.signed_text(), key)
    }

    /// Parses a QR text and checks its signature against the kiosk's public key.
    pub fn verify(qr: &str, key: &VerifyingKey) -> Result<VoucherPayload, PayloadError> {
        let qr = qr.trim();
        if !qr.starts_with(PAYLOAD_PREFIX) {
            return Err(PayloadError::NotAVoucher);
        }
        let text = signed::verify(qr, key).map_err(|e| match e {
            SignedTextError::Malformed => PayloadError::Malformed,
            SignedTextError::BadSignature => PayloadError::BadSignature,
        })?;
        let parts: Vec<&str> = text.split('|').collect();
        let [_, serial, item, points, expires] = parts[..] else {
            return Err(PayloadError::Malformed);
        };
        let payload = VoucherPayload {
            serial: serial.parse().map_err(|_| PayloadError::Malformed)?,
            item_code: item.to_string(),
            points: points.parse().map_err(|_| PayloadError::Malformed)?,
            expires: NaiveDate::parse_from_str(expires, "%Y%m%d").map_err(|_| PayloadError::Malformed)?,
        };
        // Re-derive the signed text from the parsed fields so that no byte of the QR
        // escapes the signature (e.g. a lower-case serial that parses the same).
        if payload.signed_text() != text {
            return Err(PayloadError::BadSignature);
        }
        Ok(payload)
    }
}

/// True if a scanned text looks like a voucher rather than a household card.
pub fn looks_like_voucher(scanned: &str) -> bool {
    scanned.trim_start().starts_with(PAYLOAD_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_round_trip_and_catch_every_single_typo() {
        let s = Serial::new("YT", 42);
        assert_eq!(s.as_str().len(), "YT-000042-".len() + 1);
        assert_eq!(s.as_str().parse::<Serial>().unwrap(), s);
        let chars: Vec<char> = s.as_str().chars().collect();
        for i in 0..chars.len() {
            if chars[i] == '-' {
                continue;
            }
            for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ".chars() {
                if c == chars[i] {
                    continue;
                }
                let mut typo = chars.clone();
                typo[i] = c;
                let typo: String = typo.into_iter().collect();
                assert!(typo.parse::<Serial>().is_err(), "{typo} was accepted");
            }
        }
    }

    #[test]
    fn altered_and_foreign_payloads_are_refused() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let other = SigningKey::from_bytes(&[8; 32]);
        let p = VoucherPayload {
            serial: Serial::new("YT", 1),
            item_code: "NOODLE".into(),
            points: 20,
            expires: NaiveDate::from_ymd_opt(2027, 2, 28).unwrap(),
        };
        let qr = p.sign(&key);
        assert_eq!(VoucherPayload::verify(&qr, &key.verifying_key()).unwrap(), p);
        let altered = qr.replace("|20|", "|90|");
        assert_eq!(
            VoucherPayload::verify(&altered, &key.verifying_key()),
            Err(PayloadError::BadSignature)
        );
        assert_eq!(
            VoucherPayload::verify(&p.sign(&other), &key.verifying_key()),
            Err(PayloadError::BadSignature)
        );
        assert_eq!(
            VoucherPayload::verify("HH-0001", &key.verifying_key()),
            Err(PayloadError::NotAVoucher)
        );
        assert_eq!(
            VoucherPayload::verify("JFV1|x", &key.verifying_key()),
            Err(PayloadError::Malformed)
        );
    }
}
