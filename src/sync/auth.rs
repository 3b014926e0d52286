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
    #[error("device {0} is not registered with the township")]
    UnknownDevice(String),
    #[error("the body does not match its content-digest")]
    DigestMismatch,
    #[error("the signature does not verify for device {0}")]
    BadSignature(String),
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

/// A device's id: derived from its public key, so registering the key is registering
/// the device, and an id cannot be claimed with another key.
pub fn device_id(key: &VerifyingKey) -> String {
    let digest = Sha256::digest(key.as_bytes());
    format!("kiosk-{}", &hex::encode(digest)[..16])
}

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

/// Checks everything but the nonce's freshness, which needs the server's memory.
pub fn verify(
    key: &VerifyingKey,
    method: &str,
    path: &str,
    body: &[u8],
    headers: &SignedHeaders,
    now_unix: i64,
) -> Result<(), AuthError> {
    if headers.content_digest != content_digest(body) {
        return Err(AuthError::DigestMismatch);
    }
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
        .map_err(|_| AuthError::BadSignature(headers.device.clone()))?;
    let skew = headers.timestamp - now_unix;
    if skew.abs() > MAX_SKEW_SECS {
        return Err(AuthError::Stale(skew));
    }
    Ok(())
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
