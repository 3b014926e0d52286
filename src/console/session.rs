//! Signing in and out, the session cookie and the forms' CSRF tokens. The decisions
//! (passwords, lockout, expiry) are `township::console`'s; this file carries them over HTTP.

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use minijinja::context;
use serde::Deserialize;

use super::render::{self, Frame};
use super::ConsoleState;
use crate::township::console::{self, LoginRefused};

/// The session's secret; its digest is what the database holds.
const SESSION_COOKIE: &str = "jifen_session";
/// The login form's double-submit token: a page from elsewhere cannot sign a user in
/// under an account of its choosing.
const LOGIN_COOKIE: &str = "jifen_login";

#[derive(Deserialize)]
pub(super) struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    /// Where to go once signed in (a voucher's page the shop owner scanned signed out).
    #[serde(default)]
    next: String,
}

#[derive(Deserialize)]
pub(super) struct NextQuery {
    #[serde(default)]
    next: String,
}

#[derive(Deserialize)]
pub(super) struct TokenForm {
    #[serde(default)]
    csrf: String,
}

/// The signed-in user of a request, or the answer to give instead: the login page for
/// nobody signed in, a failure page when the storage fails.
pub(super) async fn signed_in(state: &ConsoleState, headers: &HeaderMap) -> Result<Frame, Response> {
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Err(Redirect::to("/console/login").into_response());
    };
    let (storage, now, t) = (state.storage.clone(), state.clock.now(), token.clone());
    match blocking(state, move || console::session(storage.as_ref(), &t, now)).await? {
        Some((user, csrf)) => Ok(Frame { user, csrf, token }),
        None => Err(Redirect::to("/console/login").into_response()),
    }
}

/// Runs storage work on the blocking pool; a failure becomes the failure page.
pub(super) async fn blocking<T: Send + 'static>(
    state: &ConsoleState,
    work: impl FnOnce() -> crate::township::Result<T> + Send + 'static,
) -> Result<T, Response> {
    match tokio::task::spawn_blocking(work).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(render::failed(state, e)),
        Err(e) => Err(render::failed(state, e)),
    }
}

pub(super) async fn login_page(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Response {
    let next = way_back(&q.next);
    if signed_in(&state, &headers).await.is_ok() {
        return Redirect::to(next).into_response();
    }
    login_form(&state, &headers, StatusCode::OK, None, "", next)
}

/// A path of this console to return to, or the home page: never another site (`//host`
/// or `/\host` would leave it).
fn way_back(next: &str) -> &str {
    let inside = next.starts_with("/console/") && !next.contains("//") && !next.contains('\\');
    if inside {
        next
    } else {
        "/console/"
    }
}

pub(super) async fn login(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !console::csrf_matches(&expected, &form.csrf) {
        let words = "这个登录页已过期，请重新登录";
        let next = way_back(&form.next);
        return login_form(
            &state,
            &headers,
            StatusCode::FORBIDDEN,
            Some(words.into()),
            &form.name,
            next,
        );
    }
    let (storage, now) = (state.storage.clone(), state.clock.now());
    let (name, password) = (form.name.clone(), form.password);
    let outcome = match blocking(&state, move || console::login(storage.as_ref(), &name, &password, now)).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    match outcome {
        Ok(signed) => {
            let mut r = Redirect::to(way_back(&form.next)).into_response();
            let h = r.headers_mut();
            append_cookie(h, &headers, SESSION_COOKIE, &signed.token, None);
            append_cookie(h, &headers, LOGIN_COOKIE, "", Some(0));
            r
        }
        Err(refused) => {
            let status = match refused {
                LoginRefused::Wrong => StatusCode::UNAUTHORIZED,
                LoginRefused::Locked { .. } | LoginRefused::Inactive => StatusCode::FORBIDDEN,
            };
            login_form(
                &state,
                &headers,
                status,
                Some(refused.to_string()),
                &form.name,
                way_back(&form.next),
            )
        }
    }
}

pub(super) async fn logout(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Response {
    let frame = match signed_in(&state, &headers).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    if let Some(r) = form_refusal(&state, &frame, &form.csrf) {
        return r;
    }
    let (storage, now) = (state.storage.clone(), state.clock.now());
    let (token, user) = (frame.token.clone(), frame.user.name.clone());
    if let Err(page) = blocking(&state, move || console::logout(storage.as_ref(), &token, &user, now)).await {
        return page;
    }
    let mut r = Redirect::to("/console/login").into_response();
    append_cookie(r.headers_mut(), &headers, SESSION_COOKIE, "", Some(0));
    r
}

/// A signed-in user's form must carry the session's token: a page elsewhere that posts
/// to the console (the cookie rides along) is refused with a 403 that says why: the
/// refusal page, or `None` when the form is the user's own.
pub(super) fn form_refusal(state: &ConsoleState, frame: &Frame, given: &str) -> Option<Response> {
    if console::csrf_matches(&frame.csrf, given) {
        return None;
    }
    let words = "这张表单已过期或不是从本系统提交的，请回到页面重新填写";
    let mut r = render::page(state, frame, "refused.html", "表单无效", context! { words => words });
    *r.status_mut() = StatusCode::FORBIDDEN;
    Some(r)
}

fn login_form(
    state: &ConsoleState,
    headers: &HeaderMap,
    status: StatusCode,
    error: Option<String>,
    name: &str,
    next: &str,
) -> Response {
    let token = hex::encode(rand::random::<[u8; 32]>());
    let ctx = context! { title => "登录", error => error, name => name, login_csrf => token, next => next };
    let mut r = render::bare(state, status, "login.html", ctx);
    append_cookie(r.headers_mut(), headers, LOGIN_COOKIE, &token, None);
    r
}

/// A cookie of the console only: never read by scripts, never sent from another site,
/// and only over HTTPS when the console is behind an HTTPS proxy.
fn append_cookie(out: &mut HeaderMap, request: &HeaderMap, name: &str, value: &str, max_age: Option<u32>) {
    let https = request
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    let mut c = format!("{name}={value}; Path=/console; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if https {
        c.push_str("; Secure");
    }
    if let Ok(v) = HeaderValue::from_str(&c) {
        out.append(header::SET_COOKIE, v);
    }
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, v)| *k == name && !v.is_empty())
        .map(|(_, v)| v.to_string())
}
