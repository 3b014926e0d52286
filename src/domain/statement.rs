//! The points statement a household takes to the credit co-operative (三治信农贷). Its QR
//! carries the figures and the kiosk's signature, so the bank can check that the paper
//! says what the village's ledger said on the day it was printed.

use chrono::NaiveDate;
use ed25519_dalek::{SigningKey, VerifyingKey};

use super::signed::{self, SignedTextError};

/// Prefix that tells a statement QR apart from vouchers and household cards.
pub const STATEMENT_PREFIX: &str = "JFS1";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementPayload {
    pub village: String,
    pub household: String,
    pub balance: i64,
    /// Points earned over the twelve months the statement lists.
    pub earned_12_months: i64,
    pub issued: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    #[error("this QR code is not a jifen points statement")]
    NotAStatement,
    #[error("the statement QR code is damaged or incomplete")]
    Malformed,
    #[error("the statement signature does not match: it was not issued by this village's kiosk or was altered")]
    BadSignature,
}

impl StatementPayload {
    pub fn sign(&self, key: &SigningKey) -> String {
        signed::sign(&self.text(), key)
    }

    pub fn verify(qr: &str, key: &VerifyingKey) -> Result<StatementPayload, StatementError> {
        let qr = qr.trim();
        if !qr.starts_with(STATEMENT_PREFIX) {
            return Err(StatementError::NotAStatement);
        }
        let text = signed::verify(qr, key).map_err(|e| match e {
            SignedTextError::Malformed => StatementError::Malformed,
            SignedTextError::BadSignature => StatementError::BadSignature,
        })?;
        let parts: Vec<&str> = text.split('|').collect();
        let [_, village, household, balance, earned, issued] = parts[..] else {
            return Err(StatementError::Malformed);
        };
        Ok(StatementPayload {
            village: village.to_string(),
            household: household.to_string(),
            balance: balance.parse().map_err(|_| StatementError::Malformed)?,
            earned_12_months: earned.parse().map_err(|_| StatementError::Malformed)?,
            issued: NaiveDate::parse_from_str(issued, "%Y%m%d").map_err(|_| StatementError::Malformed)?,
        })
    }

    fn text(&self) -> String {
        format!(
            "{STATEMENT_PREFIX}|{}|{}|{}|{}|{}",
            self.village,
            self.household,
            self.balance,
            self.earned_12_months,
            self.issued.format("%Y%m%d")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_verifies_and_an_altered_balance_does_not() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let s = StatementPayload {
            village: "YT".into(),
            household: "YT-H01".into(),
            balance: 120,
            earned_12_months: 85,
            issued: NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
        };
        let qr = s.sign(&key);
        assert_eq!(StatementPayload::verify(&qr, &key.verifying_key()), Ok(s));
        let altered = qr.replacen("|120|", "|920|", 1);
        assert_eq!(
            StatementPayload::verify(&altered, &key.verifying_key()),
            Err(StatementError::BadSignature)
        );
        let other = SigningKey::from_bytes(&[8; 32]).verifying_key();
        assert_eq!(StatementPayload::verify(&qr, &other), Err(StatementError::BadSignature));
        assert_eq!(
            StatementPayload::verify("JFV1|x", &other),
            Err(StatementError::NotAStatement)
        );
    }
}
