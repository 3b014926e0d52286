//! The township's HTTP server (`jifen township serve`): axum routes on hyper connections
//! on tokio. It is built to face the internet (DESIGN.md §9):
//!
//! - a request is authenticated from its headers (device, signature over the declared
//!   body digest, freshness, nonce, village) before a byte of its body is read; only then
//!   is the body read, bounded in size and time, and checked against its digest;
//! - headers must arrive within 10 s (which also ends idle keep-alive connections), a
//!   body within 30 s, and at most [`Limits::connections`] connections are served at
//!   once; each kiosk may make [`Limits::per_device_per_second`] requests a second;
//! - every answer is signed with the township's key, bound to the request's nonce, so a
//!   proxy on the path can neither forge nor replay one.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};

use super::auth::{self, AuthError, SignedHeaders};
use super::wire::{
    ErrorResponse, HealthResponse, HelloRequest, PullResponse, PushBody, PushResponse, VillageResponse, PROTOCOLS,
};
use crate::app::AppError;
use crate::domain::clock::Clock;
use crate::domain::kiosk::parse_public_key;
use crate::store::DeviceRow;
use crate::township::{DeviceHello, TownshipError, TownshipStorage};

/// The largest request body: a push of 500 events is about 0.5 MB.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// The most changes one pull page may ask for.
pub const MAX_PULL_LIMIT: usize = 10_000;

/// What the server allows, so one misbehaving client cannot starve the kiosks.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Time for a client to send a request's headers (and for the next request on an idle
    /// connection to begin).
    pub header_timeout: Duration,
    /// Time for a request's body to arrive once authenticated.
    pub body_timeout: Duration,
    /// Connections served at once; more are closed at once.
    pub connections: usize,
    /// A kiosk's requests per second, on average (bursts of ten times that pass).
    pub per_device_per_second: f64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            connections: 1024,
            per_device_per_second: 50.0,
        }
    }
}

#[derive(Clone)]
pub struct ServerState {
    pub storage: Arc<dyn TownshipStorage>,
    pub clock: Arc<dyn Clock>,
    /// Signs every answer; kiosks pin its public half at enrolment.
    pub key: Arc<SigningKey>,
    pub limits: Limits,
    rates: Arc<Mutex<HashMap<String, (f64, Instant)>>>,
}

impl ServerState {
    pub fn new(storage: Arc<dyn TownshipStorage>, clock: Arc<dyn Clock>) -> Result<ServerState, TownshipError> {
        let key = Arc::new(storage.township_key()?);
        Ok(ServerState {
            storage,
            clock,
            key,
            limits: Limits::default(),
            rates: Arc::default(),
        })
    }

    pub fn with_limits(mut self, limits: Limits) -> ServerState {
        self.limits = limits;
        self
    }

    /// Takes one request from a device's allowance; false when it is spent.
    fn allow(&self, device: &str) -> bool {
        let rate = self.limits.per_device_per_second;
        let burst = rate * 10.0;
        let mut rates = self.rates.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let (tokens, at) = rates.entry(device.to_string()).or_insert((burst, now));
        *tokens = (*tokens + rate * now.duration_since(*at).as_secs_f64()).min(burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Bytes of a photo per answer.
pub const PHOTO_CHUNK: usize = 64 * 1024;
/// The header giving a photo's whole size.
pub const PHOTO_SIZE: &str = "jifen-photo-size";

/// The `/v1` API as a router, for `serve` and for tests that wrap it in a fault layer.
pub fn router(state: ServerState) -> Router {
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/villages/{code}", get(village))
        .route("/v1/villages/{code}/hello", post(hello))
        .route("/v1/villages/{code}/events", post(push))
        .route("/v1/villages/{code}/changes", get(changes))
        .route("/v1/villages/{code}/evidence/{sha256}", get(photo).put(put_photo))
        .layer(axum::middleware::from_fn_with_state(state.clone(), sign_answers))
        .with_state(state)
}

/// Serves until `shutdown` resolves, finishing the requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: ServerState,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let limits = state.limits.clone();
    let app = router(state);
    let open = Arc::new(AtomicUsize::new(0));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment, keep serving.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        if open.load(Ordering::Relaxed) >= limits.connections {
            tracing::warn!(%peer, limit = limits.connections, "too many connections; closing this one");
            drop(stream);
            continue;
        }
        let guard = ConnectionGuard::new(open.clone());
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        let header_timeout = limits.header_timeout;
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let _guard = guard;
            let io = hyper_util::rt::TokioIo::new(stream);
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(header_timeout)
                .serve_connection(io, service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
    }
    tracing::info!("shutting down: finishing requests in flight");
    let _ = stop_tx.send(true);
    while open.load(Ordering::Relaxed) > 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// Counts a served connection while it lives.
struct ConnectionGuard(Arc<AtomicUsize>);

impl ConnectionGuard {
    fn new(open: Arc<AtomicUsize>) -> ConnectionGuard {
        open.fetch_add(1, Ordering::Relaxed);
        ConnectionGuard(open)
    }
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// Signs every answer with the township key, bound to the request's nonce and body.
async fn sign_answers(State(state): State<ServerState>, request: Request, next: Next) -> Response {
    let nonce = request
        .headers()
        .get(auth::NONCE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let response = next.run(request).await;
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => return ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    };
    let (digest, signature) = auth::sign_answer(&state.key, parts.status.as_u16(), &nonce, &bytes);
    for (name, value) in [(auth::CONTENT_DIGEST, digest), (auth::ANSWER_SIGNATURE, signature)] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            parts.headers.insert(name, v);
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// A refusal with its HTTP status and reason in words.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    reason: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&ErrorResponse { error: self.reason }).unwrap_or_default();
        (self.status, [("content-type", "application/json")], body).into_response()
    }
}

impl ApiError {
    fn new(status: StatusCode, reason: impl Into<String>) -> ApiError {
        ApiError {
            status,
            reason: reason.into(),
        }
    }
}

impl From<TownshipError> for ApiError {
    fn from(e: TownshipError) -> ApiError {
        match e {
            TownshipError::UnknownVillage(_) => ApiError::new(StatusCode::NOT_FOUND, e.to_string()),
            TownshipError::Invalid(reason) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, reason),
            TownshipError::App(e @ (AppError::Invalid(_) | AppError::Picture(_))) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
            }
            other => {
                tracing::error!(error = %other, "storage error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the township server could not do this; try again later",
                )
            }
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, e.to_string())
    }
}

async fn health(State(state): State<ServerState>) -> Result<Response, ApiError> {
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

/// An authenticated request: the device, and its body once read and checked.
struct Authenticated {
    device: DeviceRow,
    body: Bytes,
}

async fn village(
    State(state): State<ServerState>,
    Path(code): Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    let a = authenticate(&state, request, &code).await?;
    let answer = village_answer(&state, &code, &a.device, None).await?;
    Ok(json(StatusCode::OK, &answer))
}

async fn hello(
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
    let released = blocking(move || storage.retry_set_aside(&c, &super::client::decode_event)).await?;
    if released > 0 {
        tracing::info!(village = %code, released, "set-aside events applied");
    }
    tracing::info!(village = %code, device = %a.device.id, "hello");
    Ok(json(StatusCode::OK, &answer))
}

async fn village_answer(
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

async fn push(
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
struct ChangesQuery {
    #[serde(default)]
    after: i64,
    limit: Option<usize>,
}

async fn changes(
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

#[derive(Deserialize)]
struct PhotoQuery {
    /// Where to continue a download cut short (bytes already held).
    #[serde(default)]
    from: usize,
}

/// A photo's bytes from `from` on, at most [`PHOTO_CHUNK`] of them: a cut link costs one
/// chunk, and the kiosk continues where it stopped. `jifen-photo-size` gives the whole.
async fn photo(
    State(state): State<ServerState>,
    Path((code, sha256)): Path<(String, String)>,
    query: Result<Query<PhotoQuery>, axum::extract::rejection::QueryRejection>,
    request: Request,
) -> Result<Response, ApiError> {
    let a = authenticate(&state, request, &code).await?;
    let Query(q) = query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.body_text()))?;
    if !crate::domain::evidence::is_sha256_hex(&sha256) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "a photo is named by its SHA-256 in lower-case hex",
        ));
    }
    let storage = state.storage.clone();
    let (village, sha) = (code.clone(), sha256.clone());
    let bytes = blocking(move || storage.photo(&village, &sha)).await?.ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("photo {sha256} is not held at the township"),
        )
    })?;
    if q.from > bytes.len() {
        return Err(ApiError::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            format!("photo {sha256} has {} bytes, not {}", bytes.len(), q.from),
        ));
    }
    let end = (q.from + PHOTO_CHUNK).min(bytes.len());
    tracing::info!(village = %code, device = %a.device.id, photo = %sha256, from = q.from, "photo");
    Ok((
        StatusCode::OK,
        [
            ("content-type", "image/jpeg".to_string()),
            (PHOTO_SIZE, bytes.len().to_string()),
        ],
        bytes[q.from..end].to_vec(),
    )
        .into_response())
}

/// A photo recorded at a kiosk, sent after the event that names it.
async fn put_photo(
    State(state): State<ServerState>,
    Path((code, sha256)): Path<(String, String)>,
    request: Request,
) -> Result<Response, ApiError> {
    let a = authenticate(&state, request, &code).await?;
    if !crate::domain::evidence::is_sha256_hex(&sha256) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "a photo is named by its SHA-256 in lower-case hex",
        ));
    }
    let storage = state.storage.clone();
    let (village, sha) = (code.clone(), sha256.clone());
    let kept = blocking(move || storage.put_photo(&village, &sha, &a.body)).await?;
    if !kept {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("no entry of village {code} names photo {sha256} yet; send its event first"),
        ));
    }
    tracing::info!(village = %code, device = %a.device.id, photo = %sha256, "photo received");
    Ok(json(StatusCode::OK, &serde_json::json!({ "kept": sha256 })))
}

/// Checks the signature, freshness and nonce of a request from its headers, that the
/// device is registered, not retired, within its rate, and belongs to the village in the
/// path; then reads the body (bounded in size and time) and checks it against the digest
/// the signature covers.
async fn authenticate(state: &ServerState, request: Request, village: &str) -> Result<Authenticated, ApiError> {
    let (parts, body) = request.into_parts();
    let signed = signed_headers(&parts.headers)?;
    let storage = state.storage.clone();
    let id = signed.device.clone();
    let device = blocking(move || storage.device(&id))
        .await?
        .ok_or(AuthError::NotRegistered)?;
    let key = parse_public_key(&device.public_key).map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e))?;
    let path = parts.uri.path_and_query().map_or(parts.uri.path(), |p| p.as_str());
    let now = state.clock.now().timestamp();
    auth::verify_headers(&key, parts.method.as_str(), path, &signed, now)?;
    if let Some((_, reason)) = &device.retired {
        return Err(AuthError::Retired(reason.clone()).into());
    }
    if !state.allow(&device.id) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too many requests from this kiosk; slow down",
        ));
    }
    let storage = state.storage.clone();
    let (id, nonce) = (device.id.clone(), signed.nonce.clone());
    if !blocking(move || storage.remember_nonce(&id, &nonce, now)).await? {
        return Err(AuthError::Replayed.into());
    }
    if device.village != village {
        tracing::warn!(device = %device.id, own = %device.village, asked = %village, "device asked for another village");
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "device {} belongs to village {}, not {village}",
                device.id, device.village
            ),
        ));
    }
    let declared = parts
        .headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is over {MAX_BODY_BYTES} bytes"),
        ));
    }
    let body = match tokio::time::timeout(state.limits.body_timeout, axum::body::to_bytes(body, MAX_BODY_BYTES)).await {
        Err(_) => {
            return Err(ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "the body did not arrive in time",
            ))
        }
        Ok(Err(_)) => {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the body is over {MAX_BODY_BYTES} bytes, or was cut off"),
            ))
        }
        Ok(Ok(b)) => b,
    };
    auth::body_matches(&signed, &body)?;
    Ok(Authenticated { device, body })
}

fn signed_headers(headers: &HeaderMap) -> Result<SignedHeaders, AuthError> {
    SignedHeaders::from_lookup(|name| headers.get(name).and_then(|v| v.to_str().ok()))
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> crate::township::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(ApiError::from),
        Err(e) => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("worker failed: {e}"),
        )),
    }
}

fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => (status, [("content-type", "application/json")], body).into_response(),
        Err(e) => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// Binds and serves on a fresh tokio runtime until a shutdown signal; prints the
/// address actually bound (port 0 picks a free one) so scripts and tests can find it.
pub fn run_blocking(listen: SocketAddr, state: ServerState) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let bound = listener.local_addr()?;
        println!("jifen township server listening on http://{bound}");
        use std::io::Write;
        let _ = std::io::stdout().flush();
        tracing::info!(%bound, "listening");
        serve(listener, state, shutdown_signal()).await
    })
}

/// Serves on a background runtime (benchmarks, tests); it stops when the runtime drops.
pub fn start_in_background(state: ServerState) -> std::io::Result<(String, tokio::runtime::Runtime)> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let url = format!("http://{}", listener.local_addr()?);
    runtime.spawn(async move { serve(listener, state, std::future::pending()).await });
    Ok((url, runtime))
}
