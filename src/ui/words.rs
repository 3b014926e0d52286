//! The worker's answers in the words the screens show: refusals, stock, and the link to
//! the township as clerk mode reads it. The technical text stays in the log.

use crate::app::AppError;

/// A refusal in words for the screen; the technical text stays in the log.
pub(super) fn words(e: &AppError) -> String {
    tracing::info!(error = %e, "refused at the kiosk");
    match e {
        AppError::AlreadySettled { serial, .. } => format!("兑换券 {serial} 已经核销过了，不能再用"),
        AppError::VoucherVoid { serial, .. } => format!("兑换券 {serial} 已作废"),
        AppError::VoucherExpired { serial, on } => format!("兑换券 {serial} 已于 {on} 过期"),
        AppError::ForgedVoucher(_) | AppError::PayloadMismatch(_) => "这张兑换券不是本村一体机开出的，不能核销".into(),
        AppError::UnknownVoucher(s) => format!("没有开出过券号 {s} 的兑换券"),
        AppError::BadSerial(_) => "券号不对，请再扫一次".into(),
        AppError::WrongMerchant { .. } => "这张兑换券要到别的商家使用".into(),
        AppError::InsufficientPoints { balance, cost, .. } => format!("积分不足：有 {balance} 分，需要 {cost} 分"),
        AppError::OutOfStock { .. } => "这个物品已经兑完了".into(),
        AppError::ItemInactive { .. } => "这个物品已下架".into(),
        AppError::NegativeBalance { balance } => format!("积分为 {balance} 分，转正后才能兑换"),
        AppError::DiskFull => "请联系工作人员：存储空间已满".into(),
        AppError::ClockWrong(_) => "请联系工作人员：本机时间不对，暂停兑换".into(),
        other => format!("没有办成：{other}"),
    }
}

pub fn stock_words(stock: Option<i64>) -> String {
    match stock {
        None => "不限量".into(),
        Some(n) => format!("库存 {n}"),
    }
}

/// What clerk mode says about the link to the township, below the waiting count: the
/// last success and problem, changes that wait here with their reasons, and a restore of
/// the township's data that this kiosk found and made good.
pub(super) fn sync_note(s: &crate::app::SyncStatus) -> String {
    let mut note = match &s.last_success {
        Some(t) => format!("上次同步成功：{}", t.replace('T', " ").trim_end_matches('Z')),
        None => "还没有与乡镇同步过".to_string(),
    };
    if let Some(e) = &s.last_error {
        note.push_str(&format!("。最近一次：{e}"));
    }
    if let Some(at) = &s.township_restored {
        note.push_str(&format!("。{at} 发现乡镇服务器从备份恢复过，本机已补传、补收"));
    }
    if s.quarantined > 0 {
        note.push_str(&format!("。有 {} 条乡镇来的记录暂时无法采用", s.quarantined));
        if let Some(first) = s.quarantine.first() {
            note.push_str(&format!("（如：{}）", first.reason));
        }
        note.push_str("，每次同步都会再试");
    }
    note
}
