//! What comes in: a record DTO read into a domain record with every field checked, so a
//! malformed body is refused with the record and the reason before anything is written.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use chrono::NaiveDate;

use super::records::{RecordDto, VoucherDto};
use super::{time, uuid, WireError};
use crate::domain::catalogue::{CatalogueItem, Stock, StockMove, StockMoveReason};
use crate::domain::household::{Resident, Role};
use crate::domain::kiosk::{parse_public_key, KioskRecord};
use crate::domain::ledger::{EntryKind, LedgerEntry};
use crate::domain::records::{
    ClerkActionRecord, EntryRecord, HouseholdRecord, QrCardRecord, Record, RedemptionRecord, ResidentRecord,
    VoucherRecord,
};
use crate::domain::rules::RuleItem;
use crate::domain::voucher::VoucherStatus;

impl RecordDto {
    pub(super) fn into_domain(self, at: &str) -> Result<Record, WireError> {
        Ok(match self {
            RecordDto::Household {
                code,
                grid,
                qr_token,
                residents,
            } => Record::Household(HouseholdRecord {
                code,
                grid,
                qr_token,
                residents: residents
                    .into_iter()
                    .map(|r| {
                        if r.id_hash.len() != 64 || !r.id_hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                            return Err(WireError(format!(
                                "{at}: a resident's id_hash must be 64 hex digits (never the number itself)"
                            )));
                        }
                        if r.id_last4.chars().count() != 4 {
                            return Err(WireError(format!("{at}: id_last4 must be 4 characters")));
                        }
                        Ok(ResidentRecord {
                            id_hash: r.id_hash,
                            resident: Resident {
                                name: r.name,
                                role: Role::parse(&r.role)
                                    .ok_or_else(|| WireError(format!("{at}: unknown role '{}'", r.role)))?,
                                id_last4: r.id_last4,
                            },
                        })
                    })
                    .collect::<Result<_, _>>()?,
            }),
            RecordDto::Entry {
                id,
                household,
                delta,
                kind,
                rule_code,
                reason,
                month,
                source,
                recorded_by,
                created_at,
                corrects,
                dedupe_key,
            } => Record::Entry(EntryRecord {
                entry: LedgerEntry {
                    id: uuid(&id, at)?,
                    household,
                    delta,
                    kind: EntryKind::parse(&kind)
                        .ok_or_else(|| WireError(format!("{at}: unknown entry kind '{kind}'")))?,
                    rule_code,
                    reason,
                    month: month
                        .parse()
                        .map_err(|_| WireError(format!("{at}: month '{month}' is not YYYY-MM")))?,
                    source,
                    recorded_by,
                    created_at: time(&created_at, at)?,
                    corrects: corrects.map(|c| uuid(&c, at)).transpose()?,
                },
                dedupe_key,
            }),
            RecordDto::Rule {
                code,
                area,
                kind,
                points,
                text,
            } => {
                let area = area.parse().map_err(|e| WireError(format!("{at}: {e}")))?;
                let kind = kind.parse().map_err(|e| WireError(format!("{at}: {e}")))?;
                Record::Rule(
                    RuleItem::new(&code, area, kind, points, &text).map_err(|e| WireError(format!("{at}: {e}")))?,
                )
            }
            RecordDto::Item {
                code,
                name,
                points_cost,
                stock,
                merchant,
                sponsor,
                valid_days,
                active,
                picture,
            } => {
                if points_cost <= 0 || valid_days == 0 || stock.is_some_and(|s| s < 0) {
                    return Err(WireError(format!(
                        "{at}: item {code} needs a positive cost and validity and a stock of 0 or more"
                    )));
                }
                // A picture that is not one of ours (a JPEG within the bound) is refused
                // here: a kiosk never stores bytes it could not show.
                let picture = picture
                    .map(|p| {
                        let bytes = BASE64
                            .decode(p.as_bytes())
                            .map_err(|e| WireError(format!("{at}: the picture of item {code} is not base64: {e}")))?;
                        crate::picture::check_stored(&bytes, crate::picture::ITEM_PICTURE)
                            .map_err(|e| WireError(format!("{at}: the picture of item {code}: {e}")))?;
                        Ok::<_, WireError>(bytes)
                    })
                    .transpose()?;
                Record::Item(CatalogueItem {
                    code,
                    name,
                    points_cost,
                    stock: stock.map_or(Stock::Unlimited, Stock::Limited),
                    merchant,
                    sponsor,
                    valid_days,
                    active,
                    picture,
                })
            }
            RecordDto::Redemption {
                id,
                household,
                item_code,
                qty,
                points,
                ledger_id,
                recorded_by,
                created_at,
                voucher,
                fund,
            } => {
                if qty <= 0 || points <= 0 {
                    return Err(WireError(format!(
                        "{at}: a redemption's quantity and points must be positive"
                    )));
                }
                Record::Redemption(RedemptionRecord {
                    id,
                    household,
                    item_code,
                    qty,
                    points,
                    ledger_id,
                    recorded_by,
                    created_at: time(&created_at, at)?,
                    voucher: voucher.into_domain(at)?,
                    fund: fund.map(|f| f.into_domain(at)).transpose()?,
                })
            }
            RecordDto::Voucher(v) => Record::Voucher(v.into_domain(at)?),
            RecordDto::StockMove {
                id,
                item_code,
                holder,
                delta,
                reason,
                reference,
                created_at,
            } => Record::StockMove(StockMove {
                id: uuid(&id, at)?,
                item_code,
                holder,
                delta,
                reason: StockMoveReason::parse(&reason)
                    .ok_or_else(|| WireError(format!("{at}: unknown stock move reason '{reason}'")))?,
                reference,
                created_at: time(&created_at, at)?,
            }),
            RecordDto::Kiosk {
                device,
                number,
                name,
                voucher_key,
                legacy_serials,
                retired_at,
                retired_reason,
            } => Record::Kiosk(KioskRecord {
                device,
                number,
                name,
                voucher_key: voucher_key
                    .map(|k| parse_public_key(&k).map_err(|e| WireError(format!("{at}: voucher key: {e}"))))
                    .transpose()?,
                legacy_serials,
                retired: retired_at
                    .map(|t| Ok::<_, WireError>((time(&t, at)?, retired_reason.unwrap_or_default())))
                    .transpose()?,
            }),
            RecordDto::QrCard {
                household,
                token,
                issued_by,
                issued_at,
            } => {
                if !crate::domain::household::is_qr_token(&token) {
                    return Err(WireError(format!(
                        "{at}: a household card's token must be 16 to 64 letters or digits"
                    )));
                }
                Record::QrCard(QrCardRecord {
                    household,
                    token,
                    issued_by,
                    issued_at: time(&issued_at, at)?,
                })
            }
            RecordDto::ClerkAction {
                id,
                clerk,
                action,
                subject,
                detail,
                device,
                at: when,
            } => Record::ClerkAction(ClerkActionRecord {
                id: uuid(&id, at)?,
                clerk,
                action,
                subject,
                detail,
                device,
                at: time(&when, at)?,
            }),
            RecordDto::Evidence(e) => Record::Evidence(e.into_domain(at)?),
            RecordDto::Dispute(d) => Record::Dispute(d.into_domain(at)?),
            RecordDto::Sponsor(s) => Record::Sponsor(s.into_domain(at)?),
            RecordDto::FundReceipt(r) => Record::FundReceipt(r.into_domain(at)?),
            RecordDto::ItemCost(c) => Record::ItemCost(c.into_domain(at)?),
            RecordDto::Proxy(p) => Record::Proxy(p.into_domain(at)?),
            RecordDto::Unknown => Record::Unknown("unknown".into()),
        })
    }
}

impl VoucherDto {
    pub(super) fn into_domain(self, at: &str) -> Result<VoucherRecord, WireError> {
        Ok(VoucherRecord {
            status: VoucherStatus::parse(&self.status)
                .ok_or_else(|| WireError(format!("{at}: unknown voucher status '{}'", self.status)))?,
            issued_at: time(&self.issued_at, at)?,
            expires_on: self
                .expires_on
                .parse::<NaiveDate>()
                .map_err(|_| WireError(format!("{at}: expiry '{}' is not a date", self.expires_on)))?,
            settled_at: self.settled_at.as_deref().map(|t| time(t, at)).transpose()?,
            serial: self.serial,
            qr_payload: self.qr_payload,
            settled_merchant: self.settled_merchant,
            settled_by: self.settled_by,
            settled_device: self.settled_device,
            void_reason: self.void_reason,
            refund_ledger_id: self.refund_ledger_id,
        })
    }
}
