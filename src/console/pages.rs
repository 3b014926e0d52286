//! The console's pages. Each checks the signed-in user's role against what it shows
//! before it reads anything, and a grid worker's rows are cut to their grid here.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{context, Value};
use serde::{Deserialize, Serialize};

use super::render::{self, Frame};
use super::session::{blocking, signed_in};
use super::ConsoleState;
use crate::app::MerchantMonth;
use crate::domain::money::Fen;
use crate::domain::period::Month;
use crate::township::console::{self, Role};
use crate::township::ranking_across;

/// How many households the township's ranking shows.
const TOP: usize = 20;
/// How many audit lines the audit page shows.
const AUDIT_LINES: usize = 200;

#[derive(Deserialize)]
pub(super) struct MonthQuery {
    month: Option<String>,
}

pub(super) async fn to_home() -> Redirect {
    Redirect::to("/console/")
}

pub(super) async fn home(State(state): State<ConsoleState>, headers: HeaderMap) -> Response {
    let frame = match signed_in(&state, &headers).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let villages = if frame.user.role == Role::Township {
        let storage = state.storage.clone();
        match blocking(&state, move || storage.villages()).await {
            Ok(v) => v.into_iter().map(|v| (v.code, v.name)).collect(),
            Err(r) => return r,
        }
    } else {
        Vec::new()
    };
    render::page(&state, &frame, "home.html", "首页", context! { villages => villages })
}

pub(super) async fn village(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Response {
    let frame = match signed_in(&state, &headers).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    if !frame.user.role.sees_village(&code) {
        return refuse(&state, &frame, &format!("/console/village/{code}")).await;
    }
    let grid = match &frame.user.role {
        Role::Grid { grid, .. } => Some(grid.clone()),
        _ => None,
    };
    let (storage, quarter, c) = (state.storage.clone(), state.clock.this_month().quarter(), code.clone());
    let found = blocking(&state, move || {
        let village = storage.village(&c)?;
        Ok((village, storage.ranking(&c, quarter)?, storage.areas(&c, quarter)?))
    })
    .await;
    let (village, mut ranking, areas) = match found {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some(village) = village else {
        return refuse(&state, &frame, &format!("/console/village/{code}")).await;
    };
    if let Some(g) = &grid {
        ranking.rows.retain(|r| &r.grid == g);
    }
    let body = context! {
        quarter => quarter.to_string(),
        grid => grid,
        rows => Value::from_serialize(&ranking.rows),
        // A grid worker sees the village's areas only through their own households.
        areas => if grid.is_some() { Value::from(()) } else { Value::from_serialize(&areas) },
    };
    render::page(
        &state,
        &frame,
        "village.html",
        &format!("{}（{}）", village.name, village.code),
        body,
    )
}

pub(super) async fn merchant(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Query(q): Query<MonthQuery>,
) -> Response {
    let frame = match signed_in(&state, &headers).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Role::Merchant { merchant } = frame.user.role.clone() else {
        return refuse(&state, &frame, "/console/merchant").await;
    };
    let month = match q.month.as_deref().map(str::parse::<Month>) {
        None => state.clock.this_month(),
        Some(Ok(m)) => m,
        Some(Err(_)) => state.clock.this_month(),
    };
    let storage = state.storage.clone();
    let months = blocking(&state, move || {
        let mut rows: Vec<MerchantMonth> = Vec::new();
        for v in storage.villages()? {
            rows.extend(
                storage
                    .merchants(&v.code, month)?
                    .into_iter()
                    .filter(|m| m.merchant == merchant),
            );
        }
        Ok(rows)
    })
    .await;
    let months = match months {
        Ok(m) => m,
        Err(r) => return r,
    };
    let body = context! {
        month => month.to_string(),
        vouchers => months.iter().map(|m| m.vouchers).sum::<usize>(),
        total => Fen(months.iter().map(|m| m.total.0).sum()).to_string(),
        months => Value::from_serialize(&months),
    };
    render::page(&state, &frame, "merchant.html", "本月收券", body)
}

pub(super) async fn reports(State(state): State<ConsoleState>, headers: HeaderMap) -> Response {
    let frame = match signed_in(&state, &headers).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    if frame.user.role != Role::Township {
        return refuse(&state, &frame, "/console/reports").await;
    }
    let (storage, month) = (state.storage.clone(), state.clock.this_month());
    let quarter = month.quarter();
    let found = blocking(&state, move || {
        let villages = storage.villages()?;
        let mut kiosks = Vec::new();
        for d in storage.devices()? {
            if d.retired.is_some() {
                continue;
            }
            let acked = storage.acked_through(&d.village, &d.id)?;
            let set_aside = storage
                .sync_problems(&d.village)?
                .iter()
                .filter(|p| p.origin.as_deref() == Some(d.id.as_str()))
                .count();
            kiosks.push(KioskHealth {
                village: d.village.clone(),
                name: d.name.clone(),
                number: d.number,
                last_contact: d.last_seen.map(crate::domain::clock::china_time_text),
                events_waiting: (d.outbox_last - acked).max(0),
                set_aside,
            });
        }
        let mut merchants = Vec::new();
        let mut sponsors = Vec::new();
        for v in &villages {
            merchants.extend(storage.merchants(&v.code, month)?);
            for s in storage.sponsors(&v.code)? {
                sponsors.push(VillageSponsor {
                    village: v.code.clone(),
                    name: s.name,
                    received: s.received,
                    committed: s.committed,
                    spent: s.spent,
                    remaining: s.remaining,
                });
            }
        }
        let mut ranking = ranking_across(storage.as_ref(), &villages, quarter)?;
        ranking.truncate(TOP);
        Ok((kiosks, merchants, sponsors, ranking))
    })
    .await;
    let (kiosks, merchants, sponsors, ranking) = match found {
        Ok(f) => f,
        Err(r) => return r,
    };
    let body = context! {
        month => month.to_string(),
        quarter => quarter.to_string(),
        kiosks => Value::from_serialize(&kiosks),
        merchants => Value::from_serialize(&merchants),
        sponsors => Value::from_serialize(&sponsors),
        ranking => Value::from_serialize(&ranking),
    };
    render::page(&state, &frame, "reports.html", "全镇报表", body)
}

pub(super) async fn audit(State(state): State<ConsoleState>, headers: HeaderMap) -> Response {
    let frame = match signed_in(&state, &headers).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    if frame.user.role != Role::Township {
        return refuse(&state, &frame, "/console/audit").await;
    }
    let storage = state.storage.clone();
    let rows = match blocking(&state, move || storage.console().audit_rows(AUDIT_LINES)).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let rows: Vec<AuditLine> = rows
        .into_iter()
        .map(|a| AuditLine {
            at: crate::domain::clock::china_time_text(a.at),
            user: a.user,
            action: action_words(&a.action),
            detail: a.detail,
        })
        .collect();
    render::page(
        &state,
        &frame,
        "audit.html",
        "操作记录",
        context! { rows => Value::from_serialize(&rows) },
    )
}

#[derive(Serialize)]
struct KioskHealth {
    village: String,
    name: String,
    number: u32,
    last_contact: Option<String>,
    events_waiting: i64,
    set_aside: usize,
}

#[derive(Serialize)]
struct VillageSponsor {
    village: String,
    name: String,
    received: Fen,
    committed: Fen,
    spent: Fen,
    remaining: Fen,
}

#[derive(Serialize)]
struct AuditLine {
    at: String,
    user: String,
    action: &'static str,
    detail: String,
}

/// A page outside the user's role: written to the audit log, answered with a 403.
pub(super) async fn refuse(state: &ConsoleState, frame: &Frame, path: &str) -> Response {
    let (storage, now, user, path) = (
        state.storage.clone(),
        state.clock.now(),
        frame.user.name.clone(),
        path.to_string(),
    );
    if let Err(r) = blocking(state, move || {
        console::audit(storage.as_ref(), &user, "forbidden", &path, now)
    })
    .await
    {
        return r;
    }
    render::forbidden(state, frame).into_response()
}

fn action_words(action: &str) -> &'static str {
    match action {
        "user_add" => "添加用户",
        "user_deactivate" => "停用用户",
        "login" => "登录",
        "logout" => "退出",
        "login_failed" => "登录失败",
        "login_locked" => "账号锁定",
        "forbidden" => "越权访问被拒",
        "draft_add" => "记录巡查",
        "draft_change" => "修改巡查记录",
        "draft_drop" => "删除巡查记录",
        "month_publish" => "发布本月积分",
        "voucher_take" => "收兑换券",
        _ => "其他",
    }
}
