//! 一周一反馈: the weekly feedback sheet of a grid, as a page that prints on one sheet of
//! A4 (the browser's print; the page's print styles drop the menus). Decided by
//! `township::weekly_feedback`.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{Duration, NaiveDate};
use minijinja::{context, Value};
use serde::Deserialize;

use super::pages::refuse;
use super::session::{blocking, signed_in};
use super::{render, ConsoleState};
use crate::township::console::Role;
use crate::township::weekly_feedback::{week_of, weekly_sheet};

#[derive(Deserialize)]
pub(super) struct FeedbackQuery {
    village: Option<String>,
    grid: Option<String>,
    /// Any day of the week (its Monday is taken); this week when absent.
    week: Option<String>,
}

/// `GET /console/feedback?grid=2&week=2026-11-30`.
pub(super) async fn sheet(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Query(q): Query<FeedbackQuery>,
) -> Response {
    let frame = match signed_in(&state, &headers).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let (village, grid) = match &frame.user.role {
        Role::Grid { village, grid } => (Some(village.clone()), Some(grid.clone())),
        Role::Cadre { village } => (Some(village.clone()), q.grid.clone()),
        Role::Township => (q.village.clone().map(|v| v.trim().to_ascii_uppercase()), q.grid.clone()),
        Role::Merchant { .. } => (None, None),
    };
    let Some(village) = village else {
        return refuse(&state, &frame, "/console/feedback").await;
    };
    let week = q
        .week
        .as_deref()
        .and_then(|w| NaiveDate::parse_from_str(w, "%Y-%m-%d").ok())
        .unwrap_or_else(|| state.clock.today());
    let (storage, user, v) = (state.storage.clone(), frame.user.clone(), village.clone());
    let today = state.clock.today();
    let quarter = crate::domain::period::Month::of(today).quarter();
    let found = blocking(&state, move || {
        // A cadre opening the sheet without a grid starts at the village's first grid.
        let grid = match grid {
            Some(g) => g,
            None => {
                let rows = storage.ranking(&v, quarter)?.rows;
                rows.iter().map(|r| r.grid.clone()).min().unwrap_or_default()
            }
        };
        weekly_sheet(storage.as_ref(), &user, &v, &grid, week)
    })
    .await;
    let sheet = match found {
        Ok(Ok(sheet)) => sheet,
        Ok(Err(_)) => return refuse(&state, &frame, "/console/feedback").await,
        Err(r) => return r,
    };
    let monday = week_of(week);
    let body = context! {
        previous => (monday - Duration::days(7)).to_string(),
        next => (monday < week_of(today)).then(|| (monday + Duration::days(7)).to_string()),
        may_pick_grid => !matches!(frame.user.role, Role::Grid { .. }),
        sheet => Value::from_serialize(&sheet),
    };
    let title = format!(
        "一周一反馈 · {} 第 {} 网格 · {} 至 {}",
        sheet.village, sheet.grid, sheet.from, sheet.to
    );
    render::page(&state, &frame, "feedback.html", &title, body)
}
