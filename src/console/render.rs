//! Pages from the embedded templates (escaped for HTML), with the headers every console
//! answer carries, and the refusal and failure pages.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use minijinja::{context, Environment, Value};
use serde::Serialize;

use super::ConsoleState;
use crate::township::console::{ConsoleUser, Role};

/// The signed-in frame of a page: who, the session's form token, the role's links.
pub(super) struct Frame {
    pub user: ConsoleUser,
    pub csrf: String,
    pub token: String,
}

#[derive(Serialize)]
struct Link {
    href: String,
    text: &'static str,
}

pub(super) fn templates() -> Environment<'static> {
    let mut env = Environment::new();
    for (name, text) in [
        ("base.html", include_str!("templates/base.html")),
        ("login.html", include_str!("templates/login.html")),
        ("home.html", include_str!("templates/home.html")),
        ("village.html", include_str!("templates/village.html")),
        ("merchant.html", include_str!("templates/merchant.html")),
        ("reports.html", include_str!("templates/reports.html")),
        ("audit.html", include_str!("templates/audit.html")),
        ("refused.html", include_str!("templates/refused.html")),
        ("drafts.html", include_str!("templates/drafts.html")),
        ("draft.html", include_str!("templates/draft.html")),
        ("voucher.html", include_str!("templates/voucher.html")),
        ("feedback.html", include_str!("templates/feedback.html")),
    ] {
        // The templates are part of the binary: one that does not parse fails every test.
        if let Err(e) = env.add_template(name, text) {
            tracing::error!(template = name, error = %e, "console template does not parse");
        }
    }
    env
}

/// A page of a signed-in user, its frame (header, links) filled in.
pub(super) fn page(state: &ConsoleState, frame: &Frame, name: &str, title: &str, body: Value) -> Response {
    let ctx = context! {
        title => title,
        user => Value::from_serialize(&frame.user),
        role_label => frame.user.role.label(),
        csrf => frame.csrf,
        nav => Value::from_serialize(links(&frame.user.role)),
        ..body
    };
    html(state, StatusCode::OK, name, ctx)
}

/// A page without a signed-in frame (the login page).
pub(super) fn bare(state: &ConsoleState, status: StatusCode, name: &str, ctx: Value) -> Response {
    html(state, status, name, ctx)
}

/// 403: the page is not this user's to see, said in words.
pub(super) fn forbidden(state: &ConsoleState, frame: &Frame) -> Response {
    let words = format!("这一页不在您的权限里（您是{}）", frame.user.role.label());
    let mut r = page(state, frame, "refused.html", "没有权限", context! { words => words });
    *r.status_mut() = StatusCode::FORBIDDEN;
    r
}

/// 500: the storage failed; logged, and said without its details.
pub(super) fn failed(state: &ConsoleState, error: impl std::fmt::Display) -> Response {
    tracing::error!(%error, "console page failed");
    let ctx = context! { title => "出错了", words => "服务器出错了，请稍后再试，或告诉乡镇工作人员" };
    html(state, StatusCode::INTERNAL_SERVER_ERROR, "refused.html", ctx)
}

/// The kiosk's Chinese font, for a browser that has none (`/console/fonts/{regular,bold}.otf`).
pub(super) async fn font(axum::extract::Path(name): axum::extract::Path<String>) -> Response {
    let bytes = match name.as_str() {
        "regular.otf" => crate::fonts::REGULAR_OTF,
        "bold.otf" => crate::fonts::BOLD_OTF,
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let mut r = ([(header::CONTENT_TYPE, "font/otf")], bytes).into_response();
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("max-age=604800, immutable"),
    );
    r
}

pub(super) async fn stylesheet() -> Response {
    let mut r = (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("templates/console.css"),
    )
        .into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("max-age=3600"));
    r
}

fn html(state: &ConsoleState, status: StatusCode, name: &str, ctx: Value) -> Response {
    let text = state.pages.get_template(name).and_then(|t| t.render(ctx));
    let (status, body) = match text {
        Ok(body) => (status, body),
        Err(e) => {
            tracing::error!(template = name, error = %e, "console page does not render");
            (StatusCode::INTERNAL_SERVER_ERROR, "服务器出错了".to_string())
        }
    };
    let mut r = (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
    let h = r.headers_mut();
    // Pages hold names and points: never cached, never framed, no scripts from elsewhere.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    r
}

fn links(role: &Role) -> Vec<Link> {
    let link = |href: String, text| Link { href, text };
    match role {
        Role::Township => vec![
            link("/console/reports".into(), "全镇报表"),
            link("/console/audit".into(), "操作记录"),
        ],
        Role::Cadre { village } => vec![
            link("/console/drafts".into(), "本月赋分"),
            link("/console/feedback".into(), "一周一反馈"),
            link(format!("/console/village/{village}"), "本村积分"),
        ],
        Role::Grid { village, .. } => vec![
            link("/console/drafts".into(), "记录巡查"),
            link("/console/feedback".into(), "本周反馈"),
            link(format!("/console/village/{village}"), "本网格积分"),
        ],
        Role::Merchant { .. } => vec![link("/console/merchant".into(), "本月收券")],
    }
}
