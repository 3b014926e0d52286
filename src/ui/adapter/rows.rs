//! The app's views as the Slint structs the screens show, and how screens are named.

use slint::{ModelRc, VecModel};

use crate::app::{CatalogueItemView, RankingRow, VoucherView};
use crate::ui::lang::later;
use crate::ui::{HonourRow, Item, Screen, VoucherRow};

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
        let pixels = crate::picture::pixels(bytes)
            .map_err(|e| tracing::warn!(item = %i.code, error = %e, "item picture not shown"))
            .ok()?;
        let buffer =
            slint::SharedPixelBuffer::<slint::Rgba8Pixel>::clone_from_slice(&pixels.rgba, pixels.width, pixels.height);
        let image = slint::Image::from_rgba8(buffer);
        let mut cache = cache.borrow_mut();
        if cache.len() > 64 {
            cache.clear();
        }
        cache.insert(digest, image.clone());
        Some(image)
    })
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
