//! Signed QR texts: `FIELDS|base64url(ed25519 signature over FIELDS)`. Vouchers and points
//! statements both carry one, so a paper the kiosk did not issue, or one altered by hand,
//! is refused.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignedTextError {
    /// No signature part, or one that is not a signature at all.
    Malformed,
    BadSignature,
}

/// Appends the signature of `text` to it.
pub fn sign(text: &str, key: &SigningKey) -> String {
    let sig = key.sign(text.as_bytes());
    format!("{text}|{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
}

/// Splits a signed text into its fields after checking the signature over them.
pub fn verify<'a>(signed: &'a str, key: &VerifyingKey) -> Result<&'a str, SignedTextError> {
    let (text, sig) = signed.rsplit_once('|').ok_or(SignedTextError::Malformed)?;
    let sig_bytes = URL_SAFE_NO_PAD.decode(sig).map_err(|_| SignedTextError::Malformed)?;
    let sig = Signature::from_slice(&sig_bytes).map_err(|_| SignedTextError::Malformed)?;
    key.verify(text.as_bytes(), &sig)
        .map_err(|_| SignedTextError::BadSignature)?;
    Ok(text)
}
