//! The shop owner's voucher page (DESIGN.md §12): a phone camera opens the link in a
//! voucher's QR, the township says what the paper is worth, and 收下 takes it — a
//! settlement made once, that the kiosks pull like one made at a kiosk. For both engines:
//! the keys come from the registry, the worth from `app::check_voucher`.

use chrono::{DateTime, NaiveDate, Utc};

use super::console::{audit, ConsoleUser, Role};
use super::{Result, TownshipStorage};
use crate::app::{check_voucher, Standing, VoucherCheck};
use crate::domain::kiosk::parse_public_key;
use crate::domain::voucher::{payload_serial, presented_payload};

/// Why a user may not take a voucher (the page says it in these words).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotTaken {
    /// Only a shop's own account takes vouchers; staff and cadres may only look.
    NotAShop,
    /// The voucher is for another shop (or the village committee).
    OtherShop { shop: String },
    /// Not valid now: the check says why.
    NotValid,
}

impl std::fmt::Display for NotTaken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotTaken::NotAShop => f.write_str("只有商家账号可以收券"),
            NotTaken::OtherShop { shop } => write!(f, "这张券要在「{shop}」兑换，本店不能收"),
            NotTaken::NotValid => f.write_str("这张券现在不能收"),
        }
    }
}

/// Who may open a voucher's page: a shop, township staff, and the cadres of its village
/// (a grid worker has no business with vouchers).
pub fn may_look(role: &Role, village: Option<&str>) -> bool {
    match role {
        Role::Merchant { .. } | Role::Township => true,
        Role::Cadre { village: v } => village.is_none_or(|code| code == v),
        Role::Grid { .. } => false,
    }
}

/// What `presented` (a voucher link or its payload) is worth today.
pub fn look_up(t: &dyn TownshipStorage, presented: &str, today: NaiveDate) -> Result<VoucherCheck> {
    let Some(serial) = presented_payload(presented).as_deref().and_then(payload_serial) else {
        return Ok(check_voucher(presented, &[], None, today));
    };
    let village = serial.village();
    if t.village(village)?.is_none() {
        return Ok(VoucherCheck::forged(format!(
            "本乡镇没有 {village} 这个村，这不是本乡镇的兑换券"
        )));
    }
    // The keys of the kiosk whose number the serial carries (a retired kiosk's vouchers
    // stay good: it signed them while it served), or of a kiosk from before numbers.
    let keys: Vec<_> = t
        .devices()?
        .into_iter()
        .filter(|d| d.village == village)
        .filter(|d| match serial.kiosk() {
            Some(n) => d.number == n,
            None => d.legacy_serials,
        })
        .filter_map(|d| d.voucher_key.as_deref().and_then(|k| parse_public_key(k).ok()))
        .collect();
    let held = t.held_voucher(village, serial.as_str())?;
    Ok(check_voucher(presented, &keys, held.as_ref(), today))
}

/// 收下: the shop takes the voucher. Checked again here, not trusted from the page it
/// was shown on; the answer is the voucher's standing after, and whether this press took
/// it (a second press, or a kiosk's settlement first, shows where and when it was taken).
pub fn take(
    t: &dyn TownshipStorage,
    user: &ConsoleUser,
    presented: &str,
    now: DateTime<Utc>,
) -> Result<(VoucherCheck, std::result::Result<(), NotTaken>)> {
    let today = crate::domain::clock::china_date(now);
    let check = look_up(t, presented, today)?;
    let Role::Merchant { merchant } = &user.role else {
        return Ok((check, Err(NotTaken::NotAShop)));
    };
    let Some(details) = check.details.clone().filter(|_| check.standing == Standing::Good) else {
        return Ok((check, Err(NotTaken::NotValid)));
    };
    let shop = details.merchant.clone().unwrap_or_else(|| "村委会".to_string());
    if &shop != merchant {
        return Ok((check, Err(NotTaken::OtherShop { shop })));
    }
    let taken = t.settle_at_township(&details.village, &details.serial, merchant, &user.name)?;
    if taken {
        let what = format!("{} {} {}", details.serial, details.item, merchant);
        audit(t, &user.name, "voucher_take", &what, now)?;
    }
    let after = look_up(t, presented, today)?;
    Ok((after, if taken { Ok(()) } else { Err(NotTaken::NotValid) }))
}
