//! What a voucher presented at the township's console is worth: the one decision a shop
//! owner's phone gets, on either engine. The township holds no voucher key of its own;
//! a voucher is genuine when one of its village's kiosk keys signed it, so one printed
//! by a kiosk that was offline is known genuine before its redemption arrives.

use chrono::NaiveDate;
use ed25519_dalek::VerifyingKey;
use serde::Serialize;

use crate::domain::clock::china_minutes_text;
use crate::domain::records::VoucherRecord;
use crate::domain::voucher::{payload_serial, presented_payload, PayloadError, VoucherPayload, VoucherStatus};

/// A voucher as the township holds it, with what the shop owner is shown about it.
#[derive(Debug, Clone)]
pub struct HeldVoucher {
    pub record: VoucherRecord,
    pub item_name: String,
    pub qty: i64,
    /// The shop the item is collected at; `None`: the village committee (村委会).
    pub merchant: Option<String>,
}

/// The answer for one presented voucher.
#[derive(Debug, Clone, Serialize)]
pub struct VoucherCheck {
    /// The signed payload (what the accept form sends back); empty when forged.
    pub payload: String,
    /// What the voucher says, once its signature is known good.
    pub details: Option<VoucherDetails>,
    pub standing: Standing,
}

#[derive(Debug, Clone, Serialize)]
pub struct VoucherDetails {
    pub serial: String,
    pub village: String,
    /// The item's name when the township holds the redemption, else its code.
    pub item: String,
    pub qty: Option<i64>,
    pub points: i64,
    pub expires_on: String,
    pub merchant: Option<String>,
}

/// Valid, already accepted (where, when), void, expired, not arrived yet, or forged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Standing {
    Good,
    Accepted {
        merchant: String,
        at: String,
        by: String,
    },
    Void {
        reason: String,
    },
    Expired {
        on: String,
    },
    /// Signed by a kiosk of the village, but its redemption has not reached the township
    /// (the kiosk was offline): genuine, but not to be taken until it has.
    NotHereYet,
    Forged {
        why: String,
    },
}

impl VoucherCheck {
    pub fn forged(why: impl Into<String>) -> VoucherCheck {
        VoucherCheck {
            payload: String::new(),
            details: None,
            standing: Standing::Forged { why: why.into() },
        }
    }
}

/// Decides what `presented` (a payload or a voucher link) is, given the keys of the
/// kiosks that may have issued it and the voucher the township holds under its serial.
pub fn check_voucher(
    presented: &str,
    issuer_keys: &[VerifyingKey],
    held: Option<&HeldVoucher>,
    today: NaiveDate,
) -> VoucherCheck {
    let Some(payload) = presented_payload(presented) else {
        return VoucherCheck::forged(PayloadError::NotAVoucher.to_string());
    };
    if payload_serial(&payload).is_none() {
        return VoucherCheck::forged(PayloadError::Malformed.to_string());
    }
    let verified = issuer_keys
        .iter()
        .find_map(|k| VoucherPayload::verify(&payload, k).ok());
    let Some(signed) = verified else {
        return VoucherCheck::forged(PayloadError::BadSignature.to_string());
    };
    let mut details = VoucherDetails {
        serial: signed.serial.to_string(),
        village: signed.serial.village().to_string(),
        item: signed.item_code.clone(),
        qty: None,
        points: signed.points,
        expires_on: signed.expires.to_string(),
        merchant: None,
    };
    let standing = match held {
        None => Standing::NotHereYet,
        // A genuine signature over other fields than the voucher issued under this serial.
        Some(h) if h.record.qr_payload.trim() != payload => {
            return VoucherCheck::forged("二维码与该编号发出的兑换券不符，可能被改过");
        }
        Some(h) => {
            details.item = h.item_name.clone();
            details.qty = Some(h.qty);
            details.merchant = h.merchant.clone();
            standing_of(&h.record, today)
        }
    };
    VoucherCheck {
        payload,
        details: Some(details),
        standing,
    }
}

fn standing_of(v: &VoucherRecord, today: NaiveDate) -> Standing {
    match v.status {
        VoucherStatus::Settled => Standing::Accepted {
            merchant: v.settled_merchant.clone().unwrap_or_default(),
            at: v.settled_at.map(china_minutes_text).unwrap_or_default(),
            by: v.settled_by.clone().unwrap_or_default(),
        },
        VoucherStatus::Void => Standing::Void {
            reason: v.void_reason.clone().unwrap_or_default(),
        },
        VoucherStatus::Expired => Standing::Expired {
            on: v.expires_on.to_string(),
        },
        VoucherStatus::Pending | VoucherStatus::Printed if today > v.expires_on => Standing::Expired {
            on: v.expires_on.to_string(),
        },
        VoucherStatus::Pending | VoucherStatus::Printed => Standing::Good,
    }
}
