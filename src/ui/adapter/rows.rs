//! The app's views as the Slint structs the screens show, and how screens are named.

use slint::{ModelRc, VecModel};

use crate::app::{CatalogueItemView, RankingRow, VoucherView};
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
        Screen::Home => "首页",
        Screen::Account => "积分页",
        Screen::Entry => "积分明细页",
        Screen::Catalogue => "选物品页",
        Screen::Confirm => "确认兑换页",
        Screen::Printing => "打印页",
        Screen::Done => "兑换完成页",
        Screen::Problem => "出问题的页面",
        _ => "工作人员页面",
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
    Item {
        code: i.code.clone().into(),
        name: i.name.clone().into(),
        points: i.points_cost as i32,
        stock: i.stock.map_or(-1, |n| n.min(i64::from(i32::MAX)) as i32),
        merchant: i.merchant.clone().unwrap_or_default().into(),
        affordable: i.points_cost <= balance,
        in_stock: i.stock != Some(0),
        active: i.active,
    }
}

pub(super) fn voucher_row(v: &VoucherView) -> VoucherRow {
    VoucherRow {
        serial: v.serial.clone().into(),
        text: format!(
            "{}　{} ×{}　{} 户　{}",
            v.serial,
            v.item_name,
            v.qty,
            v.household_code,
            v.last_print_error
                .as_deref()
                .unwrap_or(v.issued_at.get(..16).unwrap_or(&v.issued_at))
        )
        .into(),
    }
}
