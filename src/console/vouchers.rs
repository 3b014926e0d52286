//! The voucher page a shop owner's phone opens from a voucher's QR link: what the paper is
//! worth in big words, and 收下 to take it. Decided by `township::voucher_desk`.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use minijinja::{context, Value};
use serde::Deserialize;

use super::pages::refuse;
use super::render::{self, Frame};
use super::session::{blocking, form_refusal, signed_in};
use super::ConsoleState;
use crate::app::{Standing, VoucherCheck};
use crate::domain::voucher::{payload_serial, presented_payload, voucher_link};
use crate::township::voucher_desk::{self, NotTaken};

#[derive(Deserialize)]
pub(super) struct VoucherQuery {
    #[serde(default)]
    q: String,
}

#[derive(Deserialize)]
pub(super) struct TakeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    q: String,
}

/// `GET /console/v?q=…`: the page for a scanned voucher. Signed out, the login comes first
/// and brings the shop owner back here.
pub(super) async fn show(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Query(q): Query<VoucherQuery>,
) -> Response {
    let frame = match signed_in(&state, &headers).await {
        Ok(f) => f,
        Err(_) if !q.q.is_empty() => return Redirect::to(&login_then_back(&q.q)).into_response(),
        Err(r) => return r,
    };
    if let Some(r) = unless_may_look(&state, &frame, &q.q).await {
        return r;
    }
    let (storage, presented, today) = (state.storage.clone(), q.q.clone(), state.clock.today());
    match blocking(&state, move || {
        voucher_desk::look_up(storage.as_ref(), &presented, today)
    })
    .await
    {
        Ok(check) => voucher_page(&state, &frame, &check, None, None),
        Err(r) => r,
    }
}

/// `POST /console/v`: 收下.
pub(super) async fn take(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Form(form): Form<TakeForm>,
) -> Response {
    let frame = match signed_in(&state, &headers).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    if let Some(r) = form_refusal(&state, &frame, &form.csrf) {
        return r;
    }
    if let Some(r) = unless_may_look(&state, &frame, &form.q).await {
        return r;
    }
    let (storage, user, presented, now) = (
        state.storage.clone(),
        frame.user.clone(),
        form.q.clone(),
        state.clock.now(),
    );
    match blocking(&state, move || {
        voucher_desk::take(storage.as_ref(), &user, &presented, now)
    })
    .await
    {
        Ok((check, Ok(()))) => voucher_page(&state, &frame, &check, Some("已收下，这张券作废不能再用"), None),
        Ok((check, Err(why))) => {
            let mut r = voucher_page(&state, &frame, &check, None, Some(why));
            *r.status_mut() = StatusCode::CONFLICT;
            r
        }
        Err(r) => r,
    }
}

/// The login page, then back to the voucher: only a path of this console is ever the
/// way back, so the login cannot be made to send anyone elsewhere.
fn login_then_back(presented: &str) -> String {
    // The voucher's own link without its township: the path its QR opened.
    let back = voucher_link("", presented);
    let back = percent_encoding::utf8_percent_encode(&back, percent_encoding::NON_ALPHANUMERIC);
    format!("/console/login?next={back}")
}

/// A grid worker, or a cadre of another village, gets the 403 (written to the audit log).
async fn unless_may_look(state: &ConsoleState, frame: &Frame, presented: &str) -> Option<Response> {
    let serial = presented_payload(presented).as_deref().and_then(payload_serial);
    let village = serial.as_ref().map(|s| s.village().to_string());
    if voucher_desk::may_look(&frame.user.role, village.as_deref()) {
        return None;
    }
    Some(refuse(state, frame, "/console/v").await)
}

fn voucher_page(
    state: &ConsoleState,
    frame: &Frame,
    check: &VoucherCheck,
    done: Option<&str>,
    not_taken: Option<NotTaken>,
) -> Response {
    let (verdict, tone) = verdict(&check.standing);
    let may_take = check.standing == Standing::Good
        && matches!(&frame.user.role, crate::township::console::Role::Merchant { .. })
        && not_taken.is_none();
    let body = context! {
        verdict => verdict,
        tone => tone,
        done => done,
        not_taken => not_taken.map(|n| n.to_string()),
        may_take => may_take,
        check => Value::from_serialize(check),
    };
    render::page(state, frame, "voucher.html", "兑换券查验", body)
}

/// The big words, and whether they are good news.
fn verdict(standing: &Standing) -> (String, &'static str) {
    match standing {
        Standing::Good => ("有效，可以收".to_string(), "good"),
        Standing::Accepted { merchant, at, .. } => (format!("已收过：{at} 在「{merchant}」"), "bad"),
        Standing::Void { reason } => (format!("已作废：{reason}"), "bad"),
        Standing::Expired { on } => (format!("已过期（有效期到 {on}）"), "bad"),
        Standing::NotHereYet => (
            "真券，但兑换记录还没传到乡镇：请稍后再扫，或到村委会核销".to_string(),
            "wait",
        ),
        Standing::Forged { why } => (format!("假券或被改过，不能收：{why}"), "bad"),
    }
}
