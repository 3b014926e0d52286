//! Voucher settlement and voiding (DESIGN.md §5.4–5.5).

use serde::Serialize;
use uuid::Uuid;

use super::{new_entry, App, AppError, HeldVoucher, Result};
use crate::domain::catalogue::{StockMove, StockMoveReason};
use crate::domain::clock::china_date;
use crate::domain::ledger::EntryKind;
use crate::domain::money::Fen;
use crate::domain::voucher::{
    code_matches, looks_like_voucher, payload_serial, presented_payload, voucher_link, PayloadError, Serial,
    VoucherPayload, VoucherStatus,
};
use crate::store::{Tx, VoucherRow};

/// Where a voucher taken by a shop owner on the township's console was settled: what a
/// double settlement names as the other place.
pub const TOWNSHIP_DESK: &str = "乡镇网页";

/// A voucher as clerks see it.
#[derive(Debug, Clone, Serialize)]
pub struct VoucherView {
    pub serial: String,
    pub household_code: String,
    pub item_code: String,
    pub item_name: String,
    pub qty: i64,
    pub points: i64,
    pub merchant: Option<String>,
    pub sponsor: Option<String>,
    /// pending, printed, settled, void, or expired (an outstanding voucher past its date).
    pub status: &'static str,
    pub issued_at: String,
    pub expires_on: String,
    pub reprint_count: i64,
    pub last_print_error: Option<String>,
    pub settled_at: Option<String>,
    pub settled_merchant: Option<String>,
    pub void_reason: Option<String>,
    pub qr_payload: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SettlementReceipt {
    pub serial: String,
    pub item_name: String,
    pub qty: i64,
    pub points: i64,
    pub merchant: String,
    pub settled_at: String,
    pub settled_by: String,
    /// What the village owes the merchant for it, out of `sponsor`'s fund; `None` for an
    /// item no fund pays for.
    pub amount: Option<Fen>,
    pub sponsor: Option<String>,
}

impl App {
    /// The township whose console a printed voucher's QR links to (`[sync] url`); none
    /// for a kiosk standing alone, whose vouchers carry the bare signed payload.
    pub fn set_township_link(&mut self, township: Option<&str>) {
        self.township_link = township.map(str::trim).filter(|t| !t.is_empty()).map(str::to_string);
    }

    pub fn township_link(&self) -> Option<&str> {
        self.township_link.as_deref()
    }

    /// What a voucher's QR code holds: the link to its township page, or the payload.
    pub(super) fn voucher_qr_text(&self, payload: &str) -> String {
        match &self.township_link {
            Some(township) => voucher_link(township, payload),
            None => payload.to_string(),
        }
    }

    pub fn voucher(&mut self, serial: &str) -> Result<VoucherView> {
        let serial: Serial = serial.parse()?;
        let today = self.clock.today();
        let row = self.store.read(|tx| Ok::<_, AppError>(tx.voucher(serial.as_str())?))?;
        let row = row.ok_or_else(|| AppError::UnknownVoucher(serial.to_string()))?;
        Ok(voucher_view(&row, today))
    }

    pub fn vouchers(&mut self, status: Option<VoucherStatus>) -> Result<Vec<VoucherView>> {
        let today = self.clock.today();
        let rows = self.store.read(|tx| Ok::<_, AppError>(tx.vouchers(status)?))?;
        Ok(rows.iter().map(|r| voucher_view(r, today)).collect())
    }

    /// Settles a voucher presented at a merchant, given its scanned QR text, or its
    /// typed serial with the verification code printed beside it. Each serial is honoured
    /// once; forged, altered, void, expired and wrong-merchant vouchers are refused with
    /// the reason, and nothing is written. Any kiosk of the village settles any voucher of
    /// the village that has reached it, checked with its issuer's key.
    pub fn settle(
        &mut self,
        presented: &str,
        code: Option<&str>,
        merchant: Option<&str>,
        clerk: &str,
    ) -> Result<SettlementReceipt> {
        // A voucher link (scanned by a phone-style scanner, or pasted) is its payload.
        let presented = &presented_payload(presented).unwrap_or_else(|| presented.to_string());
        let scanned = looks_like_voucher(presented);
        let serial = if scanned {
            payload_serial(presented).ok_or(AppError::ForgedVoucher(PayloadError::Malformed))?
        } else {
            presented.parse::<Serial>()?
        };
        let clock = self.clock.clone();
        let own_key = self.keys.voucher_signing.verifying_key();
        let device = self.device_id();
        self.store.write(|tx| {
            let keys = issuer_keys(tx, &serial, own_key)?;
            let Some(v) = tx.voucher(serial.as_str())? else {
                // Signed by a kiosk of the village, but its redemption has not come here yet.
                if scanned && keys.iter().any(|k| VoucherPayload::verify(presented, k).is_ok()) {
                    return Err(AppError::VoucherNotHereYet(serial.to_string()));
                }
                return Err(AppError::UnknownVoucher(serial.to_string()));
            };
            if scanned {
                let checked: Vec<_> = keys.iter().map(|k| VoucherPayload::verify(presented, k)).collect();
                if !checked.iter().any(Result::is_ok) {
                    let why = checked.into_iter().find_map(Result::err);
                    return Err(AppError::ForgedVoucher(why.unwrap_or(PayloadError::BadSignature)));
                }
                // A genuine signature on other fields than the voucher issued under this serial.
                if v.qr_payload != presented.trim() {
                    return Err(AppError::PayloadMismatch(v.serial));
                }
            } else {
                match code {
                    None => return Err(AppError::CodeNeeded(v.serial)),
                    Some(c) if !code_matches(&v.qr_payload, c) => return Err(AppError::WrongCode(v.serial)),
                    Some(_) => {}
                }
            }
            if let Some(refusal) = unusable_refusal(&v, clock.today()) {
                return Err(refusal);
            }
            let honoured_by = match (merchant, &v.merchant) {
                (Some(given), Some(expected)) if given.trim() != expected => {
                    return Err(AppError::WrongMerchant {
                        serial: v.serial,
                        expected: expected.clone(),
                        given: given.trim().to_string(),
                    })
                }
                (Some(given), _) => given.trim().to_string(),
                (None, Some(expected)) => expected.clone(),
                (None, None) => "村委会".to_string(),
            };
            let now = clock.now();
            tx.mark_voucher_settled(&v.serial, &honoured_by, clerk, Some(&device), now)?;
            let commitment = tx.fund_commitment(&v.redemption_id)?;
            tx.append_event("voucher_settled", &v.serial, now)?;
            super::audit::record(tx, clerk, "settle", &v.serial, &honoured_by, &device, now)?;
            Ok(SettlementReceipt {
                serial: v.serial,
                item_name: v.item_name,
                qty: v.qty,
                points: v.points,
                merchant: honoured_by,
                settled_at: crate::domain::clock::china_time_text(now),
                settled_by: clerk.to_string(),
                amount: commitment.as_ref().map(|(_, fen)| Fen(*fen)),
                sponsor: commitment.map(|(sponsor, _)| sponsor),
            })
        })
    }

    /// Township: the voucher held under `serial`, for the shop owner's page.
    pub fn held_voucher(&mut self, serial: &str) -> Result<Option<HeldVoucher>> {
        self.store.read(|tx| {
            let Some(v) = tx.voucher(serial)? else { return Ok(None) };
            let Some(record) = tx.voucher_record(serial)? else {
                return Ok(None);
            };
            Ok(Some(HeldVoucher {
                record,
                item_name: v.item_name,
                qty: v.qty,
                merchant: v.merchant,
            }))
        })
    }

    /// Township: a shop owner took the voucher on the console (收下). Settles it once, at
    /// [`TOWNSHIP_DESK`], and puts the settlement in the feed the kiosks pull; `false`
    /// when it was no longer outstanding (another phone, or a kiosk's push, came first).
    /// What may be taken is `check_voucher`'s decision, made before.
    pub fn settle_at_township(&mut self, serial: &str, merchant: &str, by: &str) -> Result<bool> {
        let now = self.clock.now();
        self.store.write(|tx| {
            let Some(v) = tx.voucher(serial)? else { return Ok(false) };
            if !v.status.is_outstanding() {
                return Ok(false);
            }
            tx.mark_voucher_settled(serial, merchant, by, Some(TOWNSHIP_DESK), now)?;
            tx.append_event("voucher_settled", serial, now)?;
            super::audit::record(tx, by, "settle", serial, merchant, TOWNSHIP_DESK, now)?;
            Ok::<_, AppError>(true)
        })
    }

    /// Voids an outstanding voucher: the points come back as a refund entry naming the
    /// original debit, and a limited item goes back into stock.
    pub fn void_voucher(&mut self, serial: &str, reason: &str, clerk: &str) -> Result<VoucherView> {
        let serial: Serial = serial.parse()?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AppError::Invalid("say why the voucher is voided (--reason)".into()));
        }
        let clock = self.clock.clone();
        let device = self.device_id();
        let row = self.store.write(|tx| {
            let v = tx
                .voucher(serial.as_str())?
                .ok_or_else(|| AppError::UnknownVoucher(serial.to_string()))?;
            if let Some(refusal) = closed_refusal(&v) {
                return Err(refusal);
            }
            let debit_id = Uuid::parse_str(&v.ledger_id)
                .map_err(|_| crate::store::StoreError::Corrupt(format!("ledger id {}", v.ledger_id)))?;
            let mut refund = new_entry(
                clock.as_ref(),
                &v.household,
                EntryKind::Refund,
                v.points,
                format!("作废兑换券 {} 退回积分：{reason}", v.serial),
            );
            refund.corrects = Some(debit_id);
            refund.recorded_by = clerk.to_string();
            tx.append_entry(&refund, None)?;
            tx.mark_voucher_void(&v.serial, reason, &refund.id.to_string())?;
            let item = tx.item(&v.item_code)?;
            if item.is_some_and(|i| i.stock != crate::domain::catalogue::Stock::Unlimited) {
                // The goods come back onto the shelf of the kiosk where it was voided.
                tx.move_stock(&StockMove {
                    id: Uuid::now_v7(),
                    item_code: v.item_code.clone(),
                    holder: device.clone(),
                    delta: v.qty,
                    reason: StockMoveReason::Void,
                    reference: Some(v.redemption_id.clone()),
                    created_at: clock.now(),
                })?;
            }
            tx.append_event("voucher_voided", &v.serial, clock.now())?;
            super::audit::record(tx, clerk, "void", &v.serial, reason, &device, clock.now())?;
            Ok::<_, AppError>(tx.voucher(&v.serial)?)
        })?;
        let row = row.ok_or_else(|| AppError::UnknownVoucher(serial.to_string()))?;
        Ok(voucher_view(&row, self.clock.today()))
    }
}

/// The keys that may have signed a voucher with this serial: its kiosk's (by the number
/// in the serial), or for an unnumbered serial those of the kiosks that printed such.
fn issuer_keys(tx: &Tx, serial: &Serial, own: ed25519_dalek::VerifyingKey) -> Result<Vec<ed25519_dalek::VerifyingKey>> {
    let own_number = super::fleet::kiosk_number(tx)?;
    let legacy_here = tx.counter(super::fleet::LEGACY_SERIALS)? > 0 || own_number.is_none();
    let mut keys = Vec::new();
    match serial.kiosk() {
        Some(n) if Some(n) == own_number => keys.push(own),
        None if legacy_here => keys.push(own),
        _ => {}
    }
    for k in tx.kiosks()? {
        let issued = match serial.kiosk() {
            Some(n) => k.number == n,
            None => k.legacy_serials,
        };
        if issued {
            keys.extend(k.voucher_key);
        }
    }
    Ok(keys)
}

/// The refusal for a voucher that is already settled or void, whatever is asked of it.
fn closed_refusal(v: &VoucherRow) -> Option<AppError> {
    match v.status {
        VoucherStatus::Settled => Some(AppError::AlreadySettled {
            serial: v.serial.clone(),
            on: v.settled_at.map(|t| china_date(t).to_string()).unwrap_or_default(),
            merchant: v.settled_merchant.clone().unwrap_or_default(),
        }),
        VoucherStatus::Void => Some(AppError::VoucherVoid {
            serial: v.serial.clone(),
            reason: v.void_reason.clone().unwrap_or_default(),
        }),
        VoucherStatus::Pending | VoucherStatus::Printed | VoucherStatus::Expired => None,
    }
}

/// The refusal for a voucher that can no longer be honoured or printed: closed or expired.
pub(super) fn unusable_refusal(v: &VoucherRow, today: chrono::NaiveDate) -> Option<AppError> {
    closed_refusal(v).or_else(|| {
        (v.status == VoucherStatus::Expired || today > v.expires_on).then(|| AppError::VoucherExpired {
            serial: v.serial.clone(),
            on: v.expires_on,
        })
    })
}

pub(super) fn voucher_view(v: &VoucherRow, today: chrono::NaiveDate) -> VoucherView {
    let status = if v.status.is_outstanding() && today > v.expires_on {
        VoucherStatus::Expired
    } else {
        v.status
    };
    VoucherView {
        serial: v.serial.clone(),
        household_code: v.household.clone(),
        item_code: v.item_code.clone(),
        item_name: v.item_name.clone(),
        qty: v.qty,
        points: v.points,
        merchant: v.merchant.clone(),
        sponsor: v.sponsor.clone(),
        status: status.key(),
        issued_at: crate::domain::clock::china_time_text(v.issued_at),
        expires_on: v.expires_on.to_string(),
        reprint_count: v.reprint_count,
        last_print_error: v.last_print_error.clone(),
        settled_at: v.settled_at.map(crate::domain::clock::china_time_text),
        settled_merchant: v.settled_merchant.clone(),
        void_reason: v.void_reason.clone(),
        qr_payload: v.qr_payload.clone(),
    }
}
