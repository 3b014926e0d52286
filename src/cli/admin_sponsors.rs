//! `jifen admin sponsor …`: sponsors (乡贤), the money they gave, and what it did;
//! `jifen admin merchant statement`: what that money owes the shops.

use std::fmt::Write;

use super::args::{MerchantCommand, SponsorCommand};
use super::{emit, open};
use crate::app::{MerchantStatement, SponsorStatement, SponsorView};
use crate::installation::DataDir;

pub(super) fn sponsor(dir: &DataDir, by: &str, cmd: SponsorCommand) -> anyhow::Result<()> {
    let mut app = open(dir)?;
    match cmd {
        SponsorCommand::Add { name, note, json } => {
            let view = app.add_sponsor(&name, note.as_deref(), by)?;
            emit(json, &view, |v| sponsors(std::slice::from_ref(v)))?;
        }
        SponsorCommand::Fund {
            name,
            amount,
            note,
            json,
        } => {
            let receipt = app.fund_sponsor(&name, &amount, note.as_deref(), by)?;
            emit(json, &receipt, |r| {
                format!("已记录：收到{} {} 元，余额 {} 元\n", r.sponsor, r.amount, r.remaining)
            })?;
        }
        SponsorCommand::List { json } => {
            let views = app.sponsors()?;
            emit(json, &views, |v| sponsors(v))?;
        }
        SponsorCommand::Statement { name, year, json } => {
            let statement = app.sponsor_statement(&name, year)?;
            emit(json, &statement, statement_text)?;
        }
    }
    Ok(())
}

pub(super) fn merchant(dir: &DataDir, cmd: MerchantCommand) -> anyhow::Result<()> {
    let mut app = open(dir)?;
    match cmd {
        MerchantCommand::Statement { merchant, month, json } => {
            let statement = app.merchant_statement(&merchant, &month)?;
            emit(json, &statement, merchant_text)?;
        }
    }
    Ok(())
}

fn merchant_text(v: &MerchantStatement) -> String {
    let mut s = format!("{} {} {} 月对账单\n", v.village_name, v.merchant, v.month);
    for voucher in &v.vouchers {
        let _ = writeln!(
            s,
            "  {}  {}  {} ×{}  {}",
            voucher.settled_at.get(..10).unwrap_or(&voucher.settled_at),
            voucher.serial,
            voucher.item_name,
            voucher.qty,
            match (&voucher.amount, &voucher.sponsor) {
                (Some(a), Some(sponsor)) => format!("{a} 元（{sponsor}）"),
                _ => "无赞助款".to_string(),
            }
        );
    }
    for f in &v.by_fund {
        let _ = writeln!(s, "{}：{} 张，{} 元", f.sponsor, f.vouchers, f.amount);
    }
    let _ = writeln!(s, "共 {} 张，应付 {} 元", v.vouchers.len(), v.total);
    if v.vouchers.is_empty() {
        let _ = writeln!(s, "这个月没有 {} 核销的兑换券。", v.merchant);
    }
    s
}

fn sponsors(list: &[SponsorView]) -> String {
    let mut s = String::new();
    for v in list {
        let _ = writeln!(
            s,
            "{}  收到 {} 元  已兑未核销 {} 元  已核销 {} 元  余 {} 元{}",
            v.name,
            v.received,
            v.committed,
            v.spent,
            v.remaining,
            v.note.as_deref().map(|n| format!("（{n}）")).unwrap_or_default()
        );
    }
    if list.is_empty() {
        s.push_str("还没有赞助人。用 jifen admin sponsor add --name 名字 添加。\n");
    }
    s
}

fn statement_text(v: &SponsorStatement) -> String {
    let mut s = format!(
        "{} {}赞助款{}\n收到 {} 元；已核销（付给商家）{} 元；已兑换未核销 {} 元；余 {} 元\n",
        v.village_name,
        v.sponsor,
        v.year.map(|y| format!("（{y} 年）")).unwrap_or_default(),
        v.received,
        v.spent,
        v.committed,
        v.remaining
    );
    for b in &v.bought {
        let _ = writeln!(s, "  {} ×{}  {} 元", b.item_name, b.qty, b.cost);
    }
    let _ = writeln!(s, "惠及 {} 户", v.households_served);
    s
}
