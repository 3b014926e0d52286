//! `jifen township report …`: rankings and areas across villages, overdrafts, double
//! settlements, sync problems and disputes, as text or JSON.

use std::fmt::Write as _;

use serde::Serialize;

use super::args::*;
use super::emit;
use super::township::chosen;
use crate::app::{MerchantMonth, SponsorView};
use crate::domain::clock::Clock;
use crate::domain::honours::HonoursRule;
use crate::domain::money::Fen;
use crate::domain::period::{Month, Quarter};
use crate::store::OverdraftRow;
use crate::township::{ranking_across, AreaPoints, TownshipRankRow, TownshipStorage};

pub(super) fn run(township: &dyn TownshipStorage, report: TownshipReport) -> anyhow::Result<()> {
    let this_quarter = || crate::domain::clock::SystemClock.this_month().quarter();
    let quarter = |q: Option<String>| -> anyhow::Result<Quarter> {
        Ok(match q {
            Some(q) => q.parse()?,
            None => this_quarter(),
        })
    };
    match report {
        TownshipReport::Ranking {
            village,
            quarter: q,
            json,
        } => {
            let q = quarter(q)?;
            let rows = ranking_across(township, &chosen(township, village)?, q)?;
            emit(json, &rows, |rows| ranking_text(q, rows))?;
        }
        TownshipReport::Areas {
            village,
            quarter: q,
            json,
        } => {
            let q = quarter(q)?;
            let mut rows: Vec<AreaPoints> = Vec::new();
            for v in chosen(township, village)? {
                rows.extend(township.areas(&v.code, q)?);
            }
            emit(json, &rows, |rows| {
                let mut s = format!("{q} 各村分领域积分\n");
                for r in rows {
                    let _ = writeln!(s, "{}  {}  {:+} 分  {} 条", r.village, r.area, r.points, r.entries);
                }
                s
            })?;
        }
        TownshipReport::DoubleSettlements { village, json } => {
            let mut rows = Vec::new();
            for v in chosen(township, village)? {
                rows.extend(
                    township
                        .double_settlements(&v.code)?
                        .into_iter()
                        .map(|d| (v.code.clone(), d)),
                );
            }
            let views: Vec<_> = rows.iter().map(|(v, d)| DoubleView { village: v, row: d }).collect();
            emit(json, &views, |rows| {
                if rows.is_empty() {
                    return "没有重复核销的兑换券\n".to_string();
                }
                let mut s = String::new();
                for r in rows {
                    let d = r.row;
                    let _ = writeln!(
                        s,
                        "{} 兑换券 {}：先在 {} 由 {} 于 {} {}；又在 {} 由 {} 于 {} 核销（{}）",
                        r.village,
                        d.serial,
                        d.kept_device.as_deref().unwrap_or("?"),
                        d.kept_by.as_deref().unwrap_or("?"),
                        d.kept_at.as_deref().unwrap_or("?"),
                        if d.kept_status == "void" { "作废" } else { "核销" },
                        d.other_device.as_deref().unwrap_or("?"),
                        d.other_by.as_deref().unwrap_or("?"),
                        d.other_at.as_deref().unwrap_or("?"),
                        d.other_merchant.as_deref().unwrap_or("?"),
                    );
                }
                s
            })?;
        }
        TownshipReport::Merchants { village, month, json } => {
            let month: Month = match month {
                Some(m) => m.parse()?,
                None => crate::domain::clock::SystemClock.this_month(),
            };
            let mut rows = Vec::new();
            for v in chosen(township, village)? {
                rows.extend(township.merchants(&v.code, month)?);
            }
            emit(json, &rows, |rows| merchants_text(month, rows))?;
        }
        TownshipReport::Honours {
            village,
            year,
            top_percent,
            min_points,
            clean_area,
            json,
        } => {
            let defaults = HonoursRule::default();
            let rule = HonoursRule {
                top_percent: top_percent.unwrap_or(defaults.top_percent),
                min_points: min_points.unwrap_or(defaults.min_points),
                clean_area: clean_area.unwrap_or(defaults.clean_area),
            }
            .checked()?;
            let year = year.unwrap_or_else(|| chrono::Datelike::year(&crate::domain::clock::SystemClock.today()) - 1);
            let mut views = Vec::new();
            for v in chosen(township, village)? {
                views.push(township.honours(&v.code, year, &rule)?);
            }
            emit(json, &views, |views| views.iter().map(super::text::honours).collect())?;
        }
        TownshipReport::Sponsors { village, json } => {
            let mut rows = Vec::new();
            for v in chosen(township, village)? {
                rows.extend(township.sponsors(&v.code)?.into_iter().map(|s| SponsorFund {
                    village: v.code.clone(),
                    fund: s,
                }));
            }
            emit(json, &rows, |rows| {
                if rows.is_empty() {
                    return "还没有乡贤赞助\n".to_string();
                }
                let mut s = String::from("各村乡贤赞助款（元）\n");
                for r in rows {
                    let f = &r.fund;
                    let left = if f.remaining.0 < 0 {
                        format!(
                            "超支 {}（两台一体机离线时都用了最后的钱，请与赞助人核对）",
                            Fen(-f.remaining.0)
                        )
                    } else {
                        format!("余 {}", f.remaining)
                    };
                    let _ = writeln!(
                        s,
                        "{} {}  收到 {}  已兑付 {}  待兑付 {}  {left}",
                        r.village, f.name, f.received, f.spent, f.committed
                    );
                }
                s
            })?;
        }
        TownshipReport::Disputes { village, json } => {
            let villages = chosen(township, village)?.into_iter().map(|v| v.code).collect();
            super::evidence::township_dispute_report(township, villages, json)?;
        }
        TownshipReport::SyncProblems { village, json } => {
            let mut rows = Vec::new();
            for v in chosen(township, village)? {
                rows.extend(
                    township
                        .sync_problems(&v.code)?
                        .into_iter()
                        .map(|p| (v.code.clone(), p)),
                );
            }
            let views: Vec<_> = rows.iter().map(|(v, p)| ProblemView { village: v, row: p }).collect();
            emit(json, &views, |rows| {
                if rows.is_empty() {
                    return "没有搁置的同步记录\n".to_string();
                }
                let mut s = String::new();
                for r in rows {
                    let p = r.row;
                    let _ = writeln!(
                        s,
                        "{} {} 第 {} 条（{}，试了 {} 次{}）：{}",
                        r.village,
                        p.origin.as_deref().unwrap_or("乡镇"),
                        p.seq,
                        p.kind,
                        p.tries,
                        if p.forbidden { "，一体机无权发送" } else { "" },
                        p.reason
                    );
                }
                s
            })?;
        }
        TownshipReport::Overdrafts { village, json } => {
            let mut rows = Vec::new();
            for v in chosen(township, village)? {
                rows.extend(
                    township
                        .overdrafts(&v.code)?
                        .iter()
                        .map(|o| OverdraftView::new(&v.code, o)),
                );
            }
            emit(json, &rows, |rows| {
                if rows.is_empty() {
                    return "没有透支的农户\n".to_string();
                }
                let mut s = String::new();
                for r in rows {
                    let _ = writeln!(
                        s,
                        "{} {}  透支到 {} 分（现在 {} 分）  因：{}",
                        r.village, r.household_code, r.balance_after, r.balance_now, r.reason
                    );
                }
                s
            })?;
        }
    }
    Ok(())
}

fn merchants_text(month: Month, rows: &[MerchantMonth]) -> String {
    if rows.is_empty() {
        return format!("{month} 没有商家核销兑换券\n");
    }
    let mut s = format!("{month} 各村应付商家\n");
    for r in rows {
        let _ = writeln!(
            s,
            "{} {}  收券 {} 张（{} 分）  应付 {} 元{}",
            r.village,
            r.merchant,
            r.vouchers,
            r.points,
            r.total,
            if r.unfunded > 0 {
                format!("（另有 {} 张无赞助款）", r.unfunded)
            } else {
                String::new()
            }
        );
        for f in &r.by_fund {
            let _ = writeln!(s, "    {} 赞助款  {} 张  {} 元", f.sponsor, f.vouchers, f.amount);
        }
    }
    s
}

fn ranking_text(q: Quarter, rows: &[TownshipRankRow]) -> String {
    let mut s = format!("{q} 全镇积分排名\n");
    for r in rows {
        let _ = writeln!(
            s,
            "第 {:>3} 名  {} {}  {}  {:+} 分",
            r.rank,
            r.village,
            r.household_code,
            r.head.as_deref().unwrap_or("—"),
            r.earned
        );
    }
    s
}

#[derive(Serialize)]
struct SponsorFund {
    village: String,
    #[serde(flatten)]
    fund: SponsorView,
}

#[derive(Serialize)]
struct OverdraftView {
    village: String,
    household_code: String,
    entry_id: String,
    reason: String,
    balance_after: i64,
    balance_now: i64,
    flagged_at: String,
}

impl OverdraftView {
    fn new(village: &str, o: &OverdraftRow) -> Self {
        OverdraftView {
            village: village.to_string(),
            household_code: o.household.clone(),
            entry_id: o.entry_id.clone(),
            reason: o.reason.clone(),
            balance_after: o.balance_after,
            balance_now: o.balance_now,
            flagged_at: o.flagged_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize)]
struct DoubleView<'a> {
    village: &'a str,
    #[serde(flatten)]
    row: &'a crate::store::DoubleSettlementRow,
}

#[derive(Serialize)]
struct ProblemView<'a> {
    village: &'a str,
    #[serde(flatten)]
    row: &'a crate::store::SetAsideRow,
}
