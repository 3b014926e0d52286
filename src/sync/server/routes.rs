//! The `/v1` routes of sync itself: health, the village, hello, push and pull.

use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::answers::json;
use super::authenticate::{authenticate, blocking};
use super::ApiError;
use super::ServerState;
use super::MAX_PULL_LIMIT;
use crate::domain::kiosk::parse_public_key;
use crate::store::DeviceRow;
use crate::sync::wire::{
    HealthResponse, HelloRequest, PullResponse, PushBody, PushResponse, VillageResponse, PROTOCOLS,
};
use crate::township::DeviceHello;

pub(super) async fn health(State(state): State<ServerState>) -> Result<Response, ApiError> {
    let storage = state.storage.clone();
    let villages = blocking(move || storage.villages()).await?;
    Ok(json(
        StatusCode::OK,
        &HealthResponse {
            status: "ok".into(),
            villages: villages.len(),
            protocols: PROTOCOLS.to_vec(),
        },
    ))
}

pub(super) async fn village(
    State(state): State<ServerState>,
    Path(code): Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    let a = authenticate(&state, request, &code).await?;
    let answer = village_answer(&state, &code, &a.device, None).await?;
    Ok(json(StatusCode::OK, &answer))
}

pub(super) async fn hello(
    State(state): State<ServerState>,
    Path(code): Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    let a = authenticate(&state, request, &code).await?;
    let said: HelloRequest = serde_json::from_slice(&a.body)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("malformed JSON: {e}")))?;
    let voucher_key = parse_public_key(&said.voucher_key)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("voucher_key: {e}")))?;
    let hello = DeviceHello {
        voucher_key,
        outbox_last: said.outbox_last,
        legacy_serials: said.legacy_serials,
        kiosk_number: said.kiosk_number,
    };
    let answer = village_answer(&state, &code, &a.device, Some(hello)).await?;
    // Events set aside at the township are tried again once per round of each kiosk.
    let storage = state.storage.clone();
    let c = code.clone();
    let released = blocking(move || storage.retry_set_aside(&c, &crate::sync::client::decode_event)).await?;
    if released > 0 {
        tracing::info!(village = %code, released, "set-aside events applied");
    }
    tracing::info!(village = %code, device = %a.device.id, "hello");
    Ok(json(StatusCode::OK, &answer))
}

pub(super) async fn village_answer(
    state: &ServerState,
    code: &str,
    device: &DeviceRow,
    hello: Option<DeviceHello>,
) -> Result<VillageResponse, ApiError> {
    let storage = state.storage.clone();
    let (c, id) = (code.to_string(), device.id.clone());
    let facts = blocking(move || storage.hello(&c, &id, hello.as_ref())).await?;
    use base64::Engine;
    Ok(VillageResponse {
        code: facts.village.code,
        name: facts.village.name,
        device: device.id.clone(),
        id_number_key: base64::engine::general_purpose::STANDARD.encode(facts.id_number_key),
        kiosk_number: Some(facts.kiosk_number),
        generation: Some(facts.generation),
        acked_through: Some(facts.acked_through),
        feed_last: Some(facts.feed_last),
        server_time: Some(state.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
    })
}

pub(super) async fn push(
    State(state): State<ServerState>,
    Path(code): Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    let a = authenticate(&state, request, &code).await?;
    let request: PushBody = serde_json::from_slice(&a.body)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("malformed JSON: {e}")))?;
    let incoming = request
        .into_incoming()
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.to_string()))?;
    let count = incoming.len();
    let storage = state.storage.clone();
    let (village, id) = (code.clone(), a.device.id.clone());
    let outcome = blocking(move || storage.receive(&village, &id, &incoming)).await?;
    let status = if outcome.refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    tracing::info!(
        village = %code, device = %a.device.id, events = count, applied = outcome.applied,
        acked_through = outcome.acked_through, set_aside = outcome.set_aside.len(),
        refused = ?outcome.refused.as_ref().map(|r| &r.reason), "push"
    );
    Ok(json(status, &PushResponse::from_outcome(&outcome)))
}

#[derive(Deserialize)]
pub(super) struct ChangesQuery {
    #[serde(default)]
    after: i64,
    limit: Option<usize>,
}

pub(super) async fn changes(
    State(state): State<ServerState>,
    Path(code): Path<String>,
    query: Result<Query<ChangesQuery>, axum::extract::rejection::QueryRejection>,
    request: Request,
) -> Result<Response, ApiError> {
    let a = authenticate(&state, request, &code).await?;
    let Query(q) = query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.body_text()))?;
    let limit = q.limit.unwrap_or(1000).clamp(1, MAX_PULL_LIMIT);
    let storage = state.storage.clone();
    let (village, id) = (code.clone(), a.device.id.clone());
    let page = blocking(move || storage.changes(&village, &id, q.after.max(0), limit)).await?;
    tracing::info!(village = %code, device = %a.device.id, after = q.after, served = page.changes.len(), "pull");
    Ok(json(StatusCode::OK, &PullResponse::from_page(&page)))
}
