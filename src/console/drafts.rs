//! The grid worker's findings and the cadre's month on the console: the form a grid
//! worker fills in on a phone (household, rule, points, note, photos from the camera),
//! their drafts, a cadre's view of the village's month by grid and by rule, and the
//! publish button. What may be recorded, changed and published is decided in
//! `township::console_drafts`; these handlers carry the forms and say the refusals.

use std::collections::BTreeMap;

use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use minijinja::{context, Value};
use serde::{Deserialize, Serialize};

use super::pages::refuse;
use super::render::{self, Frame};
use super::session::{blocking, form_refusal, signed_in};
use super::ConsoleState;
use crate::app::{AppError, Photo};
use crate::domain::period::Month;
use crate::domain::rules::RuleItem;
use crate::township::console::Role;
use crate::township::console_drafts::{self, DraftAsked, DraftView};
use crate::township::TownshipError;

/// The most photo bytes one form may bring: three photos straight from a phone camera.
pub(super) const FORM_BYTES: usize = 40 * 1024 * 1024;

#[derive(Deserialize, Default)]
pub(super) struct DraftsQuery {
    month: Option<String>,
    village: Option<String>,
    published: Option<usize>,
    held: Option<usize>,
}

#[derive(Deserialize)]
pub(super) struct PublishForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    village: String,
    #[serde(default)]
    month: String,
}

#[derive(Deserialize)]
pub(super) struct TokenForm {
    #[serde(default)]
    csrf: String,
}

/// The drafts of a village's month: a grid worker's own with the form for a new one; a
/// cadre's (and the township's) whole village, by grid and by rule, with the publish button.
pub(super) async fn drafts_page(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Query(q): Query<DraftsQuery>,
) -> Response {
    let frame = match signed_in(&state, &headers).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some(village) = village_of(&frame, q.village.as_deref()) else {
        return refuse(&state, &frame, "/console/drafts").await;
    };
    let month = month_or_this(&state, q.month.as_deref());
    let done = q.published.map(|n| (n, q.held.unwrap_or(0)));
    month_page(&state, &frame, &village, month, &FormFields::default(), None, done).await
}

/// A new finding, from the grid worker's form.
pub(super) async fn add(State(state): State<ConsoleState>, headers: HeaderMap, form: Multipart) -> Response {
    save(state, headers, None, form).await
}

/// A draft changed, by its grid worker or the village's cadre.
pub(super) async fn change(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Multipart,
) -> Response {
    save(state, headers, Some(id), form).await
}

pub(super) async fn draft_page(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let frame = match signed_in(&state, &headers).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let (storage, user, i) = (state.storage.clone(), frame.user.clone(), id.clone());
    let found = blocking(&state, move || console_drafts::draft(storage.as_ref(), &user, &i)).await;
    let draft = match found {
        Ok(Some(d)) => d,
        Ok(None) => return refuse(&state, &frame, &format!("/console/drafts/{id}")).await,
        Err(r) => return r,
    };
    let fields = FormFields::of(&draft);
    edit_page(&state, &frame, draft, &fields, None).await
}

pub(super) async fn drop(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<TokenForm>,
) -> Response {
    let frame = match signed_in(&state, &headers).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    if let Some(r) = form_refusal(&state, &frame, &form.csrf) {
        return r;
    }
    let (storage, user, now, i) = (state.storage.clone(), frame.user.clone(), state.clock.now(), id.clone());
    let found = blocking(&state, move || {
        let view = console_drafts::draft(storage.as_ref(), &user, &i)?;
        let dropped = console_drafts::drop_draft(storage.as_ref(), &user, &i, now);
        Ok((view, dropped))
    })
    .await;
    match found {
        Ok((Some(d), Ok(Ok(())))) => back_to_month(&d.village, &d.month),
        Ok((_, Ok(Err(_)))) | Ok((None, _)) => refuse(&state, &frame, &format!("/console/drafts/{id}/drop")).await,
        Ok((Some(d), Err(e))) => match refusal_words(&e) {
            Some(words) => {
                let fields = FormFields::of(&d);
                edit_page(&state, &frame, d, &fields, Some(words)).await
            }
            None => render::failed(&state, e),
        },
        Err(r) => r,
    }
}

pub(super) async fn photo(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Path((id, sha256)): Path<(String, String)>,
) -> Response {
    let frame = match signed_in(&state, &headers).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let (storage, user, i, s) = (state.storage.clone(), frame.user.clone(), id.clone(), sha256.clone());
    match blocking(&state, move || {
        console_drafts::draft_photo(storage.as_ref(), &user, &i, &s)
    })
    .await
    {
        Ok(Some(jpeg)) => {
            let mut r = ([(header::CONTENT_TYPE, "image/jpeg")], jpeg).into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
            r
        }
        Ok(None) => refuse(&state, &frame, &format!("/console/drafts/{id}/photos/{sha256}")).await,
        Err(r) => r,
    }
}

/// 一月一赋分: the cadre publishes the village's month.
pub(super) async fn publish(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Form(form): Form<PublishForm>,
) -> Response {
    let frame = match signed_in(&state, &headers).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    if let Some(r) = form_refusal(&state, &frame, &form.csrf) {
        return r;
    }
    let Ok(month) = form.month.parse::<Month>() else {
        return render::failed(&state, format!("publish: bad month '{}'", form.month));
    };
    let (storage, user, now, village) = (
        state.storage.clone(),
        frame.user.clone(),
        state.clock.now(),
        form.village.trim().to_ascii_uppercase(),
    );
    let v = village.clone();
    let done = blocking(&state, move || {
        console_drafts::publish_month(storage.as_ref(), &user, &v, month, now)
    })
    .await;
    match done {
        Ok(Ok(report)) => Redirect::to(&format!(
            "/console/drafts?village={village}&month={month}&published={}&held={}",
            report.published,
            report.held.len()
        ))
        .into_response(),
        Ok(Err(_)) => refuse(&state, &frame, "/console/publish").await,
        Err(r) => r,
    }
}

/// What the form held, given back with a refusal so nothing typed is lost.
#[derive(Debug, Clone, Default, Serialize)]
struct FormFields {
    household: String,
    rule: String,
    points: String,
    note: String,
}

impl FormFields {
    fn of(d: &DraftView) -> FormFields {
        FormFields {
            household: d.household.clone(),
            rule: d.rule.clone(),
            points: d.points.map(|p| p.abs().to_string()).unwrap_or_default(),
            note: d.note.clone(),
        }
    }
}

#[derive(Serialize)]
struct Tally {
    key: String,
    text: String,
    count: usize,
    points: i64,
}

#[derive(Serialize)]
struct Choice {
    value: String,
    text: String,
}

async fn save(state: ConsoleState, headers: HeaderMap, id: Option<String>, form: Multipart) -> Response {
    let frame = match signed_in(&state, &headers).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let (fields, csrf, photos) = match read_form(form).await {
        Ok(f) => f,
        Err(words) => return words_page(&state, &frame, StatusCode::BAD_REQUEST, &words),
    };
    if let Some(r) = form_refusal(&state, &frame, &csrf) {
        return r;
    }
    let points = match fields.points.trim() {
        "" => None,
        p => match p.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                let words = format!("分数要写数字，不是“{p}”");
                return form_again(&state, &frame, id, &fields, words).await;
            }
        },
    };
    let asked = DraftAsked {
        id: id.clone(),
        household: fields.household.clone(),
        rule: fields.rule.clone(),
        points,
        note: fields.note.clone(),
        photos,
    };
    let (storage, user, clock) = (state.storage.clone(), frame.user.clone(), state.clock.clone());
    let saved = blocking(&state, move || {
        Ok(console_drafts::save_draft(
            storage.as_ref(),
            &user,
            &asked,
            clock.as_ref(),
        ))
    })
    .await;
    match saved {
        Ok(Ok(Ok(d))) => back_to_month(&d.village, &d.month),
        Ok(Ok(Err(_))) => {
            let path = id.map_or_else(|| "/console/drafts".to_string(), |i| format!("/console/drafts/{i}"));
            refuse(&state, &frame, &path).await
        }
        Ok(Err(e)) => match refusal_words(&e) {
            Some(words) => form_again(&state, &frame, id, &fields, words).await,
            None => render::failed(&state, e),
        },
        Err(r) => r,
    }
}

/// The form again, with what was typed and why it was not kept.
async fn form_again(
    state: &ConsoleState,
    frame: &Frame,
    id: Option<String>,
    fields: &FormFields,
    words: String,
) -> Response {
    let mut r = match id {
        None => {
            let Some(village) = village_of(frame, None) else {
                return refuse(state, frame, "/console/drafts").await;
            };
            let month = state.clock.this_month();
            month_page(state, frame, &village, month, fields, Some(words), None).await
        }
        Some(id) => {
            let (storage, user, i) = (state.storage.clone(), frame.user.clone(), id.clone());
            match blocking(state, move || console_drafts::draft(storage.as_ref(), &user, &i)).await {
                Ok(Some(d)) => edit_page(state, frame, d, fields, Some(words)).await,
                Ok(None) => return refuse(state, frame, &format!("/console/drafts/{id}")).await,
                Err(r) => return r,
            }
        }
    };
    if r.status() == StatusCode::OK {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

async fn month_page(
    state: &ConsoleState,
    frame: &Frame,
    village: &str,
    month: Month,
    fields: &FormFields,
    error: Option<String>,
    done: Option<(usize, usize)>,
) -> Response {
    let grid = match &frame.user.role {
        Role::Grid { grid, .. } => Some(grid.clone()),
        _ => None,
    };
    let (storage, user, v, g) = (
        state.storage.clone(),
        frame.user.clone(),
        village.to_string(),
        grid.clone(),
    );
    let quarter = month.quarter();
    let found = blocking(state, move || {
        let drafts = console_drafts::drafts(storage.as_ref(), &user, &v, month)?;
        let rules = console_drafts::rule_list(storage.as_ref())?;
        let households = match &g {
            Some(g) => {
                let mut rows = storage.ranking(&v, quarter)?.rows;
                rows.retain(|r| &r.grid == g);
                rows.sort_by(|a, b| a.household_code.cmp(&b.household_code));
                rows.into_iter()
                    .map(|r| Choice {
                        text: format!("{} {}", r.household_code, r.head.unwrap_or_default()),
                        value: r.household_code,
                    })
                    .collect()
            }
            None => Vec::new(),
        };
        Ok((drafts, rules, households))
    })
    .await;
    let (drafts, rules, households) = match found {
        Ok(f) => f,
        Err(r) => return r,
    };
    let rule_choices = rule_choices(&rules);
    let waiting = drafts.iter().filter(|d| d.status == "draft").count();
    let body = context! {
        village => village,
        month => month.to_string(),
        last_month => month.minus(1).to_string(),
        grid => grid,
        may_publish => matches!(frame.user.role, Role::Cadre { .. } | Role::Township),
        may_record => matches!(frame.user.role, Role::Grid { .. }),
        waiting => waiting,
        done => done,
        error => error,
        form => Value::from_serialize(fields),
        households => Value::from_serialize(&households),
        rules => Value::from_serialize(&rule_choices),
        by_grid => Value::from_serialize(tally(&drafts, |d| (d.grid.clone(), format!("第 {} 网格", d.grid)))),
        by_rule => Value::from_serialize(tally(&drafts, |d| (d.rule.clone(), d.rule_text.clone()))),
        drafts => Value::from_serialize(&drafts),
    };
    let title = if grid.is_some() { "巡查记录" } else { "本月赋分" };
    render::page(
        state,
        frame,
        "drafts.html",
        &format!("{title} · {village} {month}"),
        body,
    )
}

async fn edit_page(
    state: &ConsoleState,
    frame: &Frame,
    draft: DraftView,
    fields: &FormFields,
    error: Option<String>,
) -> Response {
    let storage = state.storage.clone();
    let rules = match blocking(state, move || console_drafts::rule_list(storage.as_ref())).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let rule_choices = rule_choices(&rules);
    let body = context! {
        draft => Value::from_serialize(&draft),
        may_change => draft.status == "draft" && !matches!(frame.user.role, Role::Township),
        form => Value::from_serialize(fields),
        rules => Value::from_serialize(&rule_choices),
        error => error,
    };
    render::page(state, frame, "draft.html", &format!("{} 的记录", draft.household), body)
}

/// The village a user's drafts pages are about: their own, or the one a township user
/// asked for; `None` for a shop, or a township user who named none.
fn village_of(frame: &Frame, asked: Option<&str>) -> Option<String> {
    match &frame.user.role {
        Role::Grid { village, .. } | Role::Cadre { village } => Some(village.clone()),
        Role::Township => asked.map(|v| v.trim().to_ascii_uppercase()).filter(|v| !v.is_empty()),
        Role::Merchant { .. } => None,
    }
}

fn month_or_this(state: &ConsoleState, asked: Option<&str>) -> Month {
    asked
        .and_then(|m| m.parse::<Month>().ok())
        .unwrap_or_else(|| state.clock.this_month())
}

fn back_to_month(village: &str, month: &str) -> Response {
    Redirect::to(&format!("/console/drafts?village={village}&month={month}")).into_response()
}

fn tally(drafts: &[DraftView], key: impl Fn(&DraftView) -> (String, String)) -> Vec<Tally> {
    let mut by: BTreeMap<String, Tally> = BTreeMap::new();
    for d in drafts.iter().filter(|d| d.status == "draft") {
        let (k, text) = key(d);
        let t = by.entry(k.clone()).or_insert(Tally {
            key: k,
            text,
            count: 0,
            points: 0,
        });
        t.count += 1;
        t.points += d.delta;
    }
    by.into_values().collect()
}

/// The words for a refusal the user can act on; `None` for a failure of the server.
fn refusal_words(e: &TownshipError) -> Option<String> {
    match e {
        TownshipError::Invalid(words) => Some(words.clone()),
        TownshipError::App(AppError::Store(_)) => None,
        TownshipError::App(AppError::Photo { file, reason }) => Some(format!("照片 {file} 用不了：{reason}")),
        TownshipError::App(other) => Some(other.to_string()),
        _ => None,
    }
}

fn words_page(state: &ConsoleState, frame: &Frame, status: StatusCode, words: &str) -> Response {
    let mut r = render::page(state, frame, "refused.html", "表单无效", context! { words => words });
    *r.status_mut() = status;
    r
}

/// The form's fields, its token and its photos (an empty file input sends an empty part,
/// which is no photo).
async fn read_form(mut form: Multipart) -> Result<(FormFields, String, Vec<Photo>), String> {
    let mut fields = FormFields::default();
    let (mut csrf, mut photos) = (String::new(), Vec::new());
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(format!("表单没有传完整（{e}），照片太大时请少拍几张再试")),
        };
        let name = field.name().unwrap_or_default().to_string();
        let file = field.file_name().map(str::to_string);
        let bytes = field
            .bytes()
            .await
            .map_err(|e| format!("表单没有传完整（{e}），照片太大时请少拍几张再试"))?;
        if name == "photos" {
            if !bytes.is_empty() {
                let name = file.filter(|f| !f.is_empty()).unwrap_or_else(|| "照片".into());
                photos.push(Photo {
                    name,
                    bytes: bytes.to_vec(),
                });
            }
            continue;
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        match name.as_str() {
            "csrf" => csrf = text,
            "household" => fields.household = text,
            "rule" => fields.rule = text,
            "points" => fields.points = text,
            "note" => fields.note = text,
            _ => {}
        }
    }
    Ok((fields, csrf, photos))
}

/// The rule select's options: code, words and the points it gives or takes.
fn rule_choices(rules: &[RuleItem]) -> Vec<Choice> {
    rules
        .iter()
        .map(|r| Choice {
            value: r.code.clone(),
            text: format!("{} {}（{:+}）", r.code, r.text, r.signed_points(None)),
        })
        .collect()
}
