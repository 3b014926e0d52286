//! The app's views as the Slint structs the screens show, and how screens are named.

use slint::{ModelRc, VecModel};

use crate::app::{CatalogueItemView, DisputeView, EntryView, ProxyView, RankingRow, VoucherView};
use crate::ui::lang::{later, Said};
use crate::ui::words::{day_words, month_words};
use crate::ui::{Entry, HonourRow, Item, Screen, VoucherRow};

/// Said and shown once a villager's 我有疑问 is recorded (DESIGN.md §11).
pub(super) const DISPUTE_RECORDED_WORDS: &str = "已记录，村里会在七天内答复。";

pub(super) fn entry_row(e: &EntryView) -> Entry {
    let words = e.dispute.as_ref().map(dispute_words).unwrap_or_default();
    let by_staff = !matches!(e.recorded_by.as_str(), "" | "system" | "kiosk");
    Entry {
        id: e.id.clone().into(),
        month: month_words(&e.month).into(),
        delta: e.delta as i32,
        reason: e.reason.clone().into(),
        recorded: day_words(&e.recorded_at).into(),
        recorder: if by_staff { e.recorded_by.clone() } else { String::new() }.into(),
        photos: e.evidence.len() as i32,
        can_dispute: matches!(e.kind, "award" | "deduction" | "correction"),
        asked: e.dispute.as_ref().is_some_and(|d| d.state == "open"),
        dispute: words.shown.into(),
        dispute_said: words.said.into(),
    }
}

/// A dispute in words: recorded and waiting, or the township's answer.
pub(super) fn dispute_words(d: &DisputeView) -> Said {
    let answer = d.answer.clone().unwrap_or_default();
    match d.state {
        "open" => Said::new(DISPUTE_RECORDED_WORDS, &[]),
        "upheld" => Said::new("村里已核实，维持原记录：{}", &[&answer]),
        _ => Said::new("村里已核实并更正：{}", &[&answer]),
    }
}

pub(super) fn is_clerk(screen: Screen) -> bool {
    matches!(
        screen,
        Screen::ClerkPin
            | Screen::ClerkMenu
            | Screen::ClerkItems
            | Screen::ClerkVouchers
            | Screen::ClerkSettle
            | Screen::ClerkStatement
            | Screen::ClerkToday
            | Screen::ClerkProxy
    )
}

/// A villager screen as a clerk would name it.
pub(super) fn screen_words(screen: Screen) -> &'static str {
    match screen {
        Screen::Home => later("首页"),
        Screen::Account => later("积分页"),
        Screen::Entry => later("积分明细页"),
        Screen::Catalogue => later("选物品页"),
        Screen::Confirm => later("确认兑换页"),
        Screen::Printing => later("打印页"),
        Screen::Done => later("兑换完成页"),
        Screen::Problem => later("出问题的页面"),
        _ => later("工作人员页面"),
    }
}

pub(super) fn model<T: Clone + 'static>(rows: impl Iterator<Item = T>) -> ModelRc<T> {
    ModelRc::new(VecModel::from(rows.collect::<Vec<T>>()))
}

pub(super) fn honour_row(r: &RankingRow) -> HonourRow {
    HonourRow {
        rank: r.rank as i32,
        name: r.head.clone().unwrap_or_else(|| r.household_code.clone()).into(),
        grid: r.grid.clone().into(),
        points: r.earned as i32,
    }
}

pub(super) fn item(i: &CatalogueItemView, balance: i64) -> Item {
    let picture = picture(i);
    Item {
        code: i.code.clone().into(),
        name: i.name.clone().into(),
        points: i.points_cost as i32,
        stock: i.stock.map_or(-1, |n| n.min(i64::from(i32::MAX)) as i32),
        merchant: i.merchant.clone().unwrap_or_default().into(),
        affordable: i.points_cost <= balance,
        in_stock: i.stock != Some(0),
        funded: i.funded,
        active: i.active,
        has_picture: picture.is_some(),
        picture: picture.unwrap_or_default(),
    }
}

thread_local! {
    /// Decoded pictures by digest: the catalogue is shown often, its pictures change rarely.
    static PICTURES: std::cell::RefCell<std::collections::HashMap<String, slint::Image>> = Default::default();
}

/// An item's picture for the screen; none when it has none or its bytes do not decode
/// (the tile then shows its words alone, and the log says why).
fn picture(i: &CatalogueItemView) -> Option<slint::Image> {
    let (bytes, digest) = (i.picture.as_deref()?, i.picture_sha256.clone()?);
    PICTURES.with(|cache| {
        if let Some(image) = cache.borrow().get(&digest) {
            return Some(image.clone());
        }
        let image = image_of(bytes)
            .map_err(|e| tracing::warn!(item = %i.code, error = %e, "item picture not shown"))
            .ok()?;
        let mut cache = cache.borrow_mut();
        if cache.len() > 64 {
            cache.clear();
        }
        cache.insert(digest, image.clone());
        Some(image)
    })
}

/// A JPEG or PNG as the screen draws it.
pub(super) fn image_of(bytes: &[u8]) -> Result<slint::Image, crate::picture::PictureError> {
    let pixels = crate::picture::pixels(bytes)?;
    let buffer =
        slint::SharedPixelBuffer::<slint::Rgba8Pixel>::clone_from_slice(&pixels.rgba, pixels.width, pixels.height);
    Ok(slint::Image::from_rgba8(buffer))
}

/// A voucher redeemed on a household's behalf, still to be taken there.
pub(super) fn proxy_row(p: &ProxyView) -> VoucherRow {
    VoucherRow {
        serial: p.serial.clone().into(),
        text: crate::ui::lang::trf(
            "{}　{} ×{}　送 {} 户",
            &[&p.serial, &p.item_name, &p.qty, &p.household_code],
        )
        .into(),
    }
}

pub(super) fn voucher_row(v: &VoucherView) -> VoucherRow {
    VoucherRow {
        serial: v.serial.clone().into(),
        text: crate::ui::lang::trf(
            "{}　{} ×{}　{} 户　{}",
            &[
                &v.serial,
                &v.item_name,
                &v.qty,
                &v.household_code,
                &v.last_print_error
                    .as_deref()
                    .unwrap_or(v.issued_at.get(..16).unwrap_or(&v.issued_at)),
            ],
        )
        .into(),
    }
}
