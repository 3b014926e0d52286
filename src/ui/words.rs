//! The worker's answers in the words the screens show: refusals, stock, and the link to
//! the township as clerk mode reads it. The technical text stays in the log.

use super::lang::{tr, trf, Said};
use crate::app::AppError;

/// A refusal in words for the screen; the technical text stays in the log.
pub(super) fn words(e: &AppError) -> Said {
    tracing::info!(error = %e, "refused at the kiosk");
    match e {
        AppError::AlreadySettled { serial, .. } => Said::new("兑换券 {} 已经核销过了，不能再用", &[serial]),
        AppError::VoucherVoid { serial, .. } => Said::new("兑换券 {} 已作废", &[serial]),
        AppError::VoucherExpired { serial, on } => Said::new("兑换券 {} 已于 {} 过期", &[serial, on]),
        AppError::ForgedVoucher(_) | AppError::PayloadMismatch(_) => {
            Said::new("这张兑换券不是本村一体机开出的，不能核销", &[])
        }
        AppError::UnknownVoucher(s) => Said::new("没有开出过券号 {} 的兑换券", &[s]),
        AppError::BadSerial(_) => Said::new("券号不对，请再扫一次", &[]),
        AppError::WrongMerchant { .. } => Said::new("这张兑换券要到别的商家使用", &[]),
        AppError::InsufficientPoints { balance, cost, .. } => {
            Said::new("积分不足：有 {} 分，需要 {} 分", &[balance, cost])
        }
        AppError::OutOfStock { .. } => Said::new("这个物品已经兑完了", &[]),
        AppError::FundExhausted { .. } => Said::new("这个物品的赞助款已用完，暂时不能兑换", &[]),
        AppError::ItemInactive { .. } => Said::new("这个物品已下架", &[]),
        AppError::NegativeBalance { balance } => Said::new("积分为 {} 分，转正后才能兑换", &[balance]),
        AppError::DiskFull => Said::new("请联系工作人员：存储空间已满", &[]),
        AppError::ClockWrong(_) => Said::new("请联系工作人员：本机时间不对，暂停兑换", &[]),
        other => Said::new("没有办成：{}", &[other]),
    }
}

pub fn stock_words(stock: Option<i64>) -> String {
    match stock {
        None => tr("不限量"),
        Some(n) => trf("库存 {}", &[&n]),
    }
}

/// What clerk mode says about the link to the township, below the waiting count: the
/// last success and problem, changes that wait here with their reasons, and a restore of
/// the township's data that this kiosk found and made good.
pub(super) fn sync_note(s: &crate::app::SyncStatus) -> String {
    let mut note = match &s.last_success {
        Some(t) => trf("上次同步成功：{}", &[&t.replace('T', " ").trim_end_matches('Z')]),
        None => tr("还没有与乡镇同步过"),
    };
    if let Some(e) = &s.last_error {
        note.push_str(&trf("。最近一次：{}", &[e]));
    }
    if let Some(at) = &s.township_restored {
        note.push_str(&trf("。{} 发现乡镇服务器从备份恢复过，本机已补传、补收", &[at]));
    }
    if s.quarantined > 0 {
        note.push_str(&trf("。有 {} 条乡镇来的记录暂时无法采用", &[&s.quarantined]));
        if let Some(first) = s.quarantine.first() {
            note.push_str(&trf("（如：{}）", &[&first.reason]));
        }
        note.push_str(&tr("，每次同步都会再试"));
    }
    note
}

/// A month as villagers say it: 2026-11 → 2026年11月 (a code is for clerks and files).
pub(super) fn month_words(month: &str) -> String {
    match month.split_once('-') {
        Some((y, m)) if y.len() == 4 && m.parse::<u32>().is_ok_and(|m| (1..=12).contains(&m)) => {
            format!("{y}年{}月", m.trim_start_matches('0'))
        }
        _ => month.to_string(),
    }
}

/// A day as villagers say it: 2026-12-01T08:00:00Z → 2026年12月1日 (China's date).
pub(super) fn day_words(recorded_at: &str) -> String {
    let day = chrono::DateTime::parse_from_rfc3339(recorded_at)
        .map(|t| crate::domain::clock::china_time_text(t.with_timezone(&chrono::Utc)))
        .unwrap_or_else(|_| recorded_at.to_string());
    match (day.get(0..4), day.get(5..7), day.get(8..10)) {
        (Some(y), Some(m), Some(d)) if day.len() >= 10 => {
            format!("{y}年{}月{}日", m.trim_start_matches('0'), d.trim_start_matches('0'))
        }
        _ => recorded_at.to_string(),
    }
}

/// A quarter as villagers say it: 2026Q4 → 2026年第四季度.
pub(super) fn quarter_words(quarter: &str) -> String {
    const ORDINAL: [&str; 4] = ["一", "二", "三", "四"];
    match quarter.split_once('Q') {
        Some((y, q)) if y.len() == 4 => match q.parse::<usize>() {
            Ok(q @ 1..=4) => format!("{y}年第{}季度", ORDINAL[q - 1]),
            _ => quarter.to_string(),
        },
        _ => quarter.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_become_words_for_villagers() {
        assert_eq!(month_words("2026-11"), "2026年11月");
        assert_eq!(month_words("2026-03"), "2026年3月");
        assert_eq!(quarter_words("2026Q4"), "2026年第四季度");
        assert_eq!(day_words("2026-11-30T20:00:00Z"), "2026年12月1日", "China's date");
        assert_eq!(month_words("garbage"), "garbage");
        assert_eq!(quarter_words("2026Q9"), "2026Q9");
    }
}
