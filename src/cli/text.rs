//! Plain-text renderings for the terminal, in Chinese first: what a clerk reads aloud
//! to a villager at the counter.

use std::fmt::Write;

use serde::Serialize;

use crate::app::*;
use crate::domain::household::Resident;
use crate::domain::rules::RuleItem;
use crate::store::HouseholdRow;

#[derive(Serialize)]
pub struct RuleView {
    pub code: String,
    pub area: &'static str,
    pub area_key: &'static str,
    pub kind: &'static str,
    pub points: i64,
    pub text: String,
}

impl From<&RuleItem> for RuleView {
    fn from(r: &RuleItem) -> RuleView {
        RuleView {
            code: r.code.clone(),
            area: r.area.label(),
            area_key: r.area.key(),
            kind: r.kind.key(),
            points: r.signed_points(None),
            text: r.text.clone(),
        }
    }
}

#[derive(Serialize)]
pub struct HouseholdListRow {
    pub household_code: String,
    pub grid: String,
    pub balance: i64,
    pub head: Option<String>,
    pub members: usize,
}

impl HouseholdListRow {
    pub fn new(h: &HouseholdRow, members: &[Resident]) -> HouseholdListRow {
        HouseholdListRow {
            household_code: h.code.clone(),
            grid: h.grid.clone(),
            balance: h.balance,
            head: h.head_name.clone(),
            members: members.len(),
        }
    }
}

pub fn account(v: &AccountView) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{} {} 户（{}）", v.village_name, v.household_code, v.grid);
    let members: Vec<String> = v
        .members
        .iter()
        .map(|m| format!("{}{}", m.name, if m.is_head() { "（户主）" } else { "" }))
        .collect();
    let _ = writeln!(s, "家庭成员：{}", members.join("、"));
    let _ = writeln!(s, "积分余额：{} 分", v.balance);
    if !v.can_redeem {
        let _ = writeln!(s, "提示：余额不足或为负，暂时不能兑换；积分转正后即可兑换。");
    }
    let _ = writeln!(
        s,
        "本月（{}）获得：{:+} 分    本季（{}）获得：{:+} 分",
        v.month, v.earned_month, v.quarter, v.earned_quarter
    );
    let _ = writeln!(
        s,
        "本季排名：全村第 {} 名（共 {} 户），{}第 {} 名（共 {} 户）",
        v.rank, v.households_in_village, v.grid, v.rank_in_grid, v.households_in_grid
    );
    let _ = writeln!(s, "积分记录（最近在前）：");
    for e in &v.entries {
        let _ = writeln!(s, "  {}  {:>+5}  {}", e.month, e.delta, e.reason);
    }
    s
}

pub fn household_list(rows: &[HouseholdListRow]) -> String {
    let mut s = String::new();
    for r in rows {
        let _ = writeln!(
            s,
            "{}  {}  户主 {}  {} 人  余额 {} 分",
            r.household_code,
            r.grid,
            r.head.as_deref().unwrap_or("—"),
            r.members,
            r.balance
        );
    }
    s
}

pub fn rules(rules: &[RuleView]) -> String {
    let mut s = String::new();
    for r in rules {
        let _ = writeln!(s, "{}  {}  {:+}  {}", r.code, r.area, r.points, r.text);
    }
    s
}

pub fn import_report(r: &ImportReport) -> String {
    let mut s = String::new();
    let verb = if r.dry_run {
        "检查通过（未写入）"
    } else {
        "已导入"
    };
    let _ = writeln!(
        s,
        "{}：{} 共 {} 行，新增 {} 行，已存在 {} 行",
        verb, r.file, r.rows, r.applied, r.unchanged
    );
    if r.households_created > 0 {
        let _ = writeln!(s, "新建 {} 户", r.households_created);
    }
    if r.points_total != 0 {
        let _ = writeln!(s, "积分合计 {:+} 分", r.points_total);
    }
    if r.photos > 0 {
        let _ = writeln!(s, "督导单照片 {} 张", r.photos);
    }
    s
}

pub fn award(r: &AwardReceipt) -> String {
    let mut s = format!(
        "{} {:+} 分：{}（{}），余额 {} 分\n记录号 {}\n",
        r.household_code, r.entry.delta, r.entry.reason, r.entry.month, r.balance_after, r.entry.id
    );
    for e in &r.entry.evidence {
        let _ = writeln!(s, "照片 {}（sha256 {}）", e.id, &e.sha256[..12]);
    }
    s
}

pub fn items(items: &[CatalogueItemView]) -> String {
    let mut s = String::new();
    for i in items {
        let stock = i.stock.map_or("不限量".to_string(), |n| format!("库存 {n}"));
        let _ = writeln!(
            s,
            "{}  {}  {} 分  {}  {}{}{}",
            i.code,
            i.name,
            i.points_cost,
            stock,
            i.merchant.as_deref().unwrap_or("村委会"),
            i.sponsor.as_deref().map(|p| format!("  {p} 赞助")).unwrap_or_default(),
            if i.active { "" } else { "  （已下架）" }
        );
    }
    s
}

pub fn redemption(r: &RedemptionReceipt) -> String {
    format!(
        "兑换成功：{} ×{}，扣 {} 分，余额 {} 分\n兑换券号 {}（有效期至 {}，到 {} 使用）\n",
        r.item_name,
        r.qty,
        r.points,
        r.balance_after,
        r.serial,
        r.expires_on,
        r.merchant.as_deref().unwrap_or("村委会")
    )
}

pub fn voucher(v: &VoucherView) -> String {
    let status = match v.status {
        "pending" => "待打印",
        "printed" => "已打印",
        "settled" => "已核销",
        "void" => "已作废",
        "expired" => "已过期",
        other => other,
    };
    let mut s = format!(
        "兑换券 {}：{} ×{}，{} 分，{}户，{}\n签发 {}，有效期至 {}\n",
        v.serial, v.item_name, v.qty, v.points, v.household_code, status, v.issued_at, v.expires_on
    );
    if let (Some(at), Some(m)) = (&v.settled_at, &v.settled_merchant) {
        let _ = writeln!(s, "核销：{at}，{m}");
    }
    if let Some(r) = &v.void_reason {
        let _ = writeln!(s, "作废原因：{r}");
    }
    s
}

pub fn voucher_list(list: &[VoucherView]) -> String {
    list.iter().map(voucher).collect::<Vec<_>>().join("")
}

pub fn settlement(r: &SettlementReceipt) -> String {
    format!(
        "已核销 {}：{} ×{}，{} 分，{}\n",
        r.serial, r.item_name, r.qty, r.points, r.merchant
    )
}

pub fn ranking(v: &RankingView) -> String {
    let mut s = format!(
        "{} 积分排名{}\n",
        v.period,
        v.grid.as_deref().map(|g| format!("（{g}）")).unwrap_or_default()
    );
    for r in &v.rows {
        place_line(&mut s, r.rank, &r.household_code, r.head.as_deref(), &r.grid, r.earned);
    }
    s
}

pub fn honours(v: &HonoursView) -> String {
    let mut s = format!(
        "{} {} 年度星级文明户：{} 户（全村 {} 户，前 {}% 即 {} 个名次",
        v.village_name,
        v.year,
        v.stars.len(),
        v.households,
        v.rule.top_percent,
        v.places
    );
    if !v.rule.clean_area.is_empty() {
        let _ = write!(s, "，{}无扣分", v.rule.clean_area);
    }
    let _ = writeln!(s, "，至少 {} 分）", v.rule.min_points);
    for r in &v.stars {
        place_line(&mut s, r.place, &r.household_code, r.head.as_deref(), &r.grid, r.earned);
    }
    if v.stars.is_empty() {
        s.push_str("没有一户符合条件。\n");
    }
    s
}

pub fn verify(r: &VerifyReport) -> String {
    if r.ok {
        return format!(
            "数据完整：{} 户，结构版本 {}，全部检查通过\n",
            r.households, r.schema_version
        );
    }
    let mut s = format!("发现 {} 个问题：\n", r.problems.len());
    for p in &r.problems {
        let _ = writeln!(s, "  [{}] {}", p.check, p.detail);
    }
    s
}

pub fn demo_summary(d: &DemoSummary) -> String {
    format!(
        "演示村 {}（{}）：{} 户，{} 位村民，{} 条积分记录，{} 种兑换物品，{} 张兑换券，\
         {} 张督导单照片，{} 条待答复的疑问\n\
         管理员 {} 密码 {}；试试：jifen admin household show {} 或 --qr {}\n",
        d.village_name,
        d.village_code,
        d.households,
        d.residents,
        d.ledger_entries,
        d.catalogue_items,
        d.redemptions,
        d.evidence_photos,
        d.open_disputes,
        d.clerk,
        d.clerk_pin,
        d.sample_household,
        d.sample_qr_token
    )
}

pub fn proxies(list: &[ProxyView]) -> String {
    let mut s = String::new();
    for p in list {
        let _ = writeln!(
            s,
            "{}  {}  {} ×{}  {}代兑换，{}送达  {}",
            p.serial,
            p.household_code,
            p.item_name,
            p.qty,
            p.clerk,
            p.deliverer,
            match (&p.delivered_at, &p.delivered_by) {
                (Some(at), Some(by)) => format!("已送到（{}，{by}确认）", at.get(..16).unwrap_or(at)),
                _ => "未送到".to_string(),
            }
        );
    }
    if list.is_empty() {
        s.push_str("没有代兑换的兑换券。\n");
    }
    s
}

/// One household's place in a ranking or among the stars.
fn place_line(s: &mut String, place: u32, code: &str, head: Option<&str>, grid: &str, earned: i64) {
    let _ = writeln!(
        s,
        "第 {place:>2} 名  {code}  {}  {grid}  {earned:+} 分",
        head.unwrap_or("—")
    );
}
