//! Signed requests. Every request a kiosk makes carries its device id, a timestamp, a
//! fresh nonce, a digest of the body and an Ed25519 signature over all of them with the
//! method and path — in the spirit of RFC 9421 HTTP Message Signatures, reduced to one
//! fixed list of components so both ends build the same bytes without a parser.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

pub const DEVICE: &str = "jifen-device";
pub const TIMESTAMP: &str = "jifen-timestamp";
pub const NONCE: &str = "jifen-nonce";
pub const SIGNATURE: &str = "jifen-signature";
pub const CONTENT_DIGEST: &str = "content-digest";

/// How far a request's clock may be from the server's, either way. Village boxes keep
/// time by NTP when online; five minutes covers a drifting RTC after a long outage.
pub const MAX_SKEW_SECS: i64 = 300;

/// Why a request was refused (HTTP 401 with these words).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("the request is not signed (missing {0} header)")]
    Missing(&'static str),
    #[error("the {0} header is malformed")]
    Malformed(&'static str),
    /// An unknown device and a bad signature get the same words, so a stranger cannot
    /// learn which device ids are registered.
    #[error("the request is not signed by a kiosk registered with the township")]
    NotRegistered,
    #[error("this kiosk was retired by the township ({0}); it may not sync any more")]
    Retired(String),
    #[error("the body does not match its content-digest")]
    DigestMismatch,
    #[error("the request is stale: its timestamp is {0} s from the server's clock")]
    Stale(i64),
    #[error("the request was already received (nonce reused)")]
    Replayed,
}

/// The headers a request carries once signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    pub device: String,
    pub timestamp: i64,
    pub nonce: String,
    pub content_digest: String,
    pub signature: String,
}

pub use crate::domain::kiosk::{device_id, parse_public_key, public_key_text};

pub fn content_digest(body: &[u8]) -> String {
    format!("sha-256=:{}:", B64.encode(Sha256::digest(body)))
}

/// Signs a request about to be sent.
pub fn sign(key: &SigningKey, method: &str, path: &str, body: &[u8], now_unix: i64, nonce: &str) -> SignedHeaders {
    let device = device_id(&key.verifying_key());
    let content_digest = content_digest(body);
    let base = signature_base(method, path, now_unix, nonce, &content_digest, &device);
    SignedHeaders {
        signature: B64.encode(key.sign(base.as_bytes()).to_bytes()),
        device,
        timestamp: now_unix,
        nonce: nonce.to_string(),
        content_digest,
    }
}

/// Checks the signature over the headers (with the body's declared digest) and the
/// timestamp: everything that can be checked before a byte of the body is read. The
/// nonce needs the server's memory; the body is checked against its digest once read
/// ([`body_matches`]).
pub fn verify_headers(
    key: &VerifyingKey,
    method: &str,
    path: &str,
    headers: &SignedHeaders,
    now_unix: i64,
) -> Result<(), AuthError> {
    let base = signature_base(
        method,
        path,
        headers.timestamp,
        &headers.nonce,
        &headers.content_digest,
        &headers.device,
    );
    let sig = B64
        .decode(&headers.signature)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .ok_or(AuthError::Malformed(SIGNATURE))?;
    key.verify(base.as_bytes(), &Signature::from_bytes(&sig))
        .map_err(|_| AuthError::NotRegistered)?;
    let skew = headers.timestamp - now_unix;
    if skew.abs() > MAX_SKEW_SECS {
        return Err(AuthError::Stale(skew));
    }
    Ok(())
}

/// The body that arrived is the one the signature covers.
pub fn body_matches(headers: &SignedHeaders, body: &[u8]) -> Result<(), AuthError> {
    if headers.content_digest == content_digest(body) {
        Ok(())
    } else {
        Err(AuthError::DigestMismatch)
    }
}

impl SignedHeaders {
    /// Reads the signature headers through a lookup (the server's header map).
    pub fn from_lookup<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Result<SignedHeaders, AuthError> {
        let need = |name: &'static str| get(name).ok_or(AuthError::Missing(name));
        let nonce = need(NONCE)?;
        if nonce.len() < 16 || nonce.len() > 64 || !nonce.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(AuthError::Malformed(NONCE));
        }
        Ok(SignedHeaders {
            device: need(DEVICE)?.to_string(),
            timestamp: need(TIMESTAMP)?.parse().map_err(|_| AuthError::Malformed(TIMESTAMP))?,
            nonce: nonce.to_string(),
            content_digest: need(CONTENT_DIGEST)?.to_string(),
            signature: need(SIGNATURE)?.to_string(),
        })
    }

    pub fn pairs(&self) -> [(&'static str, String); 5] {
        [
            (DEVICE, self.device.clone()),
            (TIMESTAMP, self.timestamp.to_string()),
            (NONCE, self.nonce.clone()),
            (CONTENT_DIGEST, self.content_digest.clone()),
            (SIGNATURE, self.signature.clone()),
        ]
    }
}

fn signature_base(method: &str, path: &str, timestamp: i64, nonce: &str, digest: &str, device: &str) -> String {
    format!("jifen-sync-v1\n{method}\n{path}\n{timestamp}\n{nonce}\n{digest}\n{device}")
}

/// The header that carries the township's signature over its answer.
pub const ANSWER_SIGNATURE: &str = "jifen-township-signature";

/// Why an answer was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("the answer is not signed by the township (missing {0})")]
    Unsigned(&'static str),
    #[error("the answer's body does not match its content-digest")]
    DigestMismatch,
    #[error("the answer's signature does not verify with the township key this kiosk enrolled with")]
    BadSignature,
}

/// Signs an answer: its status, the nonce of the request it answers (so an old answer
/// cannot be replayed to a new request) and the digest of its body. Returns the values of
/// `content-digest` and [`ANSWER_SIGNATURE`].
pub fn sign_answer(key: &SigningKey, status: u16, request_nonce: &str, body: &[u8]) -> (String, String) {
    let digest = content_digest(body);
    let base = answer_base(status, request_nonce, &digest);
    (digest, B64.encode(key.sign(base.as_bytes()).to_bytes()))
}

/// Checks an answer with the township key pinned at enrolment.
pub fn verify_answer(
    key: &VerifyingKey,
    status: u16,
    request_nonce: &str,
    body: &[u8],
    digest: Option<&str>,
    signature: Option<&str>,
) -> Result<(), AnswerError> {
    let digest = digest.ok_or(AnswerError::Unsigned(CONTENT_DIGEST))?;
    let signature = signature.ok_or(AnswerError::Unsigned(ANSWER_SIGNATURE))?;
    if digest != content_digest(body) {
        return Err(AnswerError::DigestMismatch);
    }
    let sig = B64
        .decode(signature)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .ok_or(AnswerError::BadSignature)?;
    key.verify(
        answer_base(status, request_nonce, digest).as_bytes(),
        &Signature::from_bytes(&sig),
    )
    .map_err(|_| AnswerError::BadSignature)
}

fn answer_base(status: u16, nonce: &str, digest: &str) -> String {
    format!("jifen-answer-v1\n{status}\n{nonce}\n{digest}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_verifies_only_for_its_request_its_body_and_the_township_key() {
        let township = SigningKey::from_bytes(&[9; 32]);
        let (digest, sig) = sign_answer(&township, 200, "nonce-0000000001", b"{}");
        let key = township.verifying_key();
        let check =
            |status, nonce, body: &[u8], d: &str, s: &str| verify_answer(&key, status, nonce, body, Some(d), Some(s));
        assert_eq!(check(200, "nonce-0000000001", b"{}", &digest, &sig), Ok(()));
        assert_eq!(
            check(200, "nonce-0000000002", b"{}", &digest, &sig),
            Err(AnswerError::BadSignature)
        );
        assert_eq!(
            check(422, "nonce-0000000001", b"{}", &digest, &sig),
            Err(AnswerError::BadSignature)
        );
        assert_eq!(
            check(200, "nonce-0000000001", b"[]", &digest, &sig),
            Err(AnswerError::DigestMismatch)
        );
        let other = SigningKey::from_bytes(&[8; 32]).verifying_key();
        assert_eq!(
            verify_answer(&other, 200, "nonce-0000000001", b"{}", Some(&digest), Some(&sig)),
            Err(AnswerError::BadSignature)
        );
        assert_eq!(
            verify_answer(&key, 200, "n", b"{}", Some(&digest), None),
            Err(AnswerError::Unsigned(ANSWER_SIGNATURE))
        );
    }
}
