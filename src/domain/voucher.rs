//! Paper vouchers: serial numbers a clerk can type, and the signed QR payload that makes
//! a voucher unforgeable (DESIGN.md §5.5).

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use ed25519_dalek::{SigningKey, VerifyingKey};

use super::signed::{self, SignedTextError};

/// A voucher serial such as `YT-2-000042-7`: village code, the kiosk's number within
/// the village (given by the township, so two kiosks never print the same serial), a
/// per-kiosk sequence, and a Luhn mod 36 check character over all of them, which catches
/// every single wrong character and most swapped neighbours when a serial is typed by hand.
///
/// A kiosk that has never been numbered (one standing alone, or one from before fleets)
/// prints the older form without the kiosk part, `YT-000042-7`; both forms parse.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Serial(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SerialError {
    #[error("'{0}' is not a voucher serial (expected e.g. YT-2-000042-7)")]
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

/// The highest kiosk number a village can give (three digits keep serials short).
pub const MAX_KIOSK_NUMBER: u32 = 999;

impl Serial {
    /// Builds the serial for sequence number `seq` of kiosk `kiosk` (None: an unnumbered
    /// kiosk) of village `village`.
    pub fn new(village: &str, kiosk: Option<u32>, seq: u64) -> Serial {
        let body = match kiosk {
            Some(k) => format!("{village}-{k}-{seq:06}"),
            None => format!("{village}-{seq:06}"),
        };
        let check = luhn36(&body).unwrap_or('0');
        Serial(format!("{body}-{check}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The village code the serial starts with.
    pub fn village(&self) -> &str {
        self.0.split('-').next().unwrap_or("")
    }

    /// The number of the kiosk that issued it; None for the older, unnumbered form.
    pub fn kiosk(&self) -> Option<u32> {
        let parts: Vec<&str> = self.0.split('-').collect();
        match parts[..] {
            [_, kiosk, _, _] => kiosk.parse().ok(),
            _ => None,
        }
    }
}

impl FromStr for Serial {
    type Err = SerialError;
    fn from_str(s: &str) -> Result<Serial, SerialError> {
        let t = s.trim().to_ascii_uppercase();
        let malformed = || SerialError::Malformed(s.trim().to_string());
        let (body, check) = t.rsplit_once('-').ok_or_else(malformed)?;
        let parts: Vec<&str> = body.split('-').collect();
        let (village, kiosk, seq) = match parts[..] {
            [village, seq] => (village, None, seq),
            [village, kiosk, seq] => (village, Some(kiosk), seq),
            _ => return Err(malformed()),
        };
        let check_ok = check.len() == 1;
        let village_ok = !village.is_empty() && village.chars().all(|c| c.is_ascii_alphanumeric());
        let kiosk_ok = kiosk
            .is_none_or(|k| !k.starts_with('0') && k.parse::<u32>().is_ok_and(|n| (1..=MAX_KIOSK_NUMBER).contains(&n)));
        let seq_ok = seq.len() >= 6 && seq.chars().all(|c| c.is_ascii_digit());
        if !(check_ok && village_ok && kiosk_ok && seq_ok) {
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

/// The letters a verification code is made of: no 0/O, 1/I/L, 2/Z, 5/S, 8/B look-alikes,
/// so a clerk reading it off a crumpled voucher cannot mistake one for another.
const CODE_ALPHABET: &[u8] = b"ACEFHJKMNPRTWXY34679";
pub const CODE_LENGTH: usize = 6;

/// The short code printed beside the serial: derived from the voucher's signature, so
/// only the kiosk that signed it could have printed it, and a hand-made slip that copies
/// an outstanding serial (serials run in order) is still refused. Settling by hand needs
/// serial and code. None when the text carries no signature.
pub fn verification_code(qr_payload: &str) -> Option<String> {
    use sha2::{Digest, Sha256};
    let (_, signature) = qr_payload.trim().rsplit_once('|')?;
    let digest = Sha256::digest(format!("JFVC1|{signature}").as_bytes());
    let n = CODE_ALPHABET.len() as u64;
    let mut v = u64::from_be_bytes(digest[..8].try_into().ok()?);
    let mut code = String::with_capacity(CODE_LENGTH);
    for _ in 0..CODE_LENGTH {
        code.push(CODE_ALPHABET[(v % n) as usize] as char);
        v /= n;
    }
    Some(code)
}

/// True when a typed code is the voucher's, forgiving case and spaces.
pub fn code_matches(qr_payload: &str, typed: &str) -> bool {
    let typed: String = typed
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    verification_code(qr_payload).is_some_and(|c| c == typed)
}

/// The serial a voucher QR text names, read without checking its signature (to find the
/// voucher whose issuer's key then checks it).
pub fn payload_serial(qr: &str) -> Option<Serial> {
    let qr = qr.trim();
    if !qr.starts_with(PAYLOAD_PREFIX) {
        return None;
    }
    qr.split('|').nth(1)?.parse().ok()
}

/// True if a scanned text looks like a voucher rather than a household card.
pub fn looks_like_voucher(scanned: &str) -> bool {
    scanned.trim_start().starts_with(PAYLOAD_PREFIX)
}

/// Where a voucher's page lives on the township's console, after the township's address.
pub const LINK_PATH: &str = "/console/v?q=";

/// The QR text of a voucher printed by a kiosk that knows its township: a link a shop
/// owner's phone camera opens as the township's page for the voucher. The signed payload
/// rides in it whole, so a kiosk's scanner reads the voucher from the link offline.
pub fn voucher_link(township: &str, payload: &str) -> String {
    /// `|` and anything else a URL would take apart; the payload's letters, digits and
    /// base64url stay as they are, so the QR code grows only by the escaped separators.
    const ESCAPED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    let payload = percent_encoding::utf8_percent_encode(payload.trim(), ESCAPED);
    format!("{}{LINK_PATH}{payload}", township.trim().trim_end_matches('/'))
}

/// The voucher payload a scanned text carries: the text itself, or the payload inside a
/// voucher link (whatever township it names: the signature is what is checked). `None`
/// for anything else.
pub fn presented_payload(scanned: &str) -> Option<String> {
    let text = scanned.trim();
    if looks_like_voucher(text) {
        return Some(text.to_string());
    }
    if !(text.starts_with("https://") || text.starts_with("http://")) {
        return None;
    }
    let (_, escaped) = text.split_once(LINK_PATH)?;
    let payload = percent_encoding::percent_decode_str(escaped).decode_utf8().ok()?;
    looks_like_voucher(&payload).then(|| payload.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_voucher_link_carries_its_payload_whole() {
        let payload = "JFV1|YT-2-000042-7|NOODLE|20|20270101|c2lnbmF0dXJlLV8";
        let link = voucher_link("https://jifen.tongxiang.example/", payload);
        assert_eq!(
            link,
            "https://jifen.tongxiang.example/console/v?q=JFV1%7CYT-2-000042-7%7CNOODLE%7C20%7C20270101%7Cc2lnbmF0dXJlLV8"
        );
        assert_eq!(presented_payload(&link).as_deref(), Some(payload));
        assert_eq!(presented_payload(&format!(" {payload}\r")).as_deref(), Some(payload));
        assert_eq!(presented_payload("https://example.com/console/v?q=YTH001-9UXJHP"), None);
        assert_eq!(presented_payload("YTH001-9UXJHP"), None);
    }

    #[test]
    fn serials_of_numbered_and_unnumbered_kiosks_parse_and_say_who_issued_them() {
        let numbered = Serial::new("YT", Some(2), 42);
        assert_eq!(
            numbered.as_str(),
            format!("YT-2-000042-{}", luhn36("YT-2-000042").unwrap())
        );
        assert_eq!((numbered.village(), numbered.kiosk()), ("YT", Some(2)));
        let old = Serial::new("YT", None, 42);
        assert_eq!((old.village(), old.kiosk()), ("YT", None));
        assert_ne!(Serial::new("YT", Some(1), 42), Serial::new("YT", Some(2), 42));
        for typed in [numbered.as_str().to_lowercase(), old.as_str().to_string()] {
            assert!(typed.parse::<Serial>().is_ok(), "{typed}");
        }
        for bad in [
            "YT-0-000042-1",
            "YT-02-000042-1",
            "YT-1000-000042-1",
            "YT-A-000042-1",
            "YT-1-2-000042-1",
        ] {
            assert!(
                matches!(bad.parse::<Serial>(), Err(SerialError::Malformed(_))),
                "{bad} should be malformed"
            );
        }
    }

    #[test]
    fn serials_round_trip_and_catch_every_single_typo() {
        for s in [Serial::new("YT", None, 42), Serial::new("YT", Some(12), 42)] {
            every_single_typo_is_caught(&s);
        }
    }

    fn every_single_typo_is_caught(s: &Serial) {
        assert_eq!(s.as_str().parse::<Serial>().unwrap(), *s);
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
    fn the_verification_code_is_short_readable_and_follows_the_signature() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let p = VoucherPayload {
            serial: Serial::new("YT", Some(1), 1),
            item_code: "NOODLE".into(),
            points: 20,
            expires: NaiveDate::from_ymd_opt(2027, 2, 28).unwrap(),
        };
        let qr = p.sign(&key);
        let code = verification_code(&qr).unwrap();
        assert_eq!(code.len(), CODE_LENGTH);
        assert!(code.bytes().all(|b| CODE_ALPHABET.contains(&b)), "{code}");
        assert!(code_matches(&qr, &code.to_lowercase()));
        let other = VoucherPayload {
            serial: Serial::new("YT", Some(1), 2),
            ..p.clone()
        }
        .sign(&key);
        assert_ne!(
            verification_code(&other),
            Some(code.clone()),
            "another voucher, another code"
        );
        assert!(!code_matches(&qr, "AAAAAA"));
        assert_eq!(payload_serial(&qr), Some(p.serial));
        assert_eq!(payload_serial("HH-1"), None);
    }

    #[test]
    fn altered_and_foreign_payloads_are_refused() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let other = SigningKey::from_bytes(&[8; 32]);
        let p = VoucherPayload {
            serial: Serial::new("YT", Some(1), 1),
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
