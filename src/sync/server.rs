//! The township's HTTP server (`jifen township serve`): axum on tokio. Requests are
//! authenticated here, bodies are turned into domain records here, and the work runs
//! on blocking threads against the [`TownshipStorage`].

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};

use super::auth::{self, AuthError, SignedHeaders};
use super::wire::{ErrorResponse, PullResponse, PushRequest, PushResponse, VillageResponse};
use crate::domain::clock::Clock;
use crate::store::DeviceRow;
use crate::township::{TownshipError, TownshipStorage};

/// The largest request body: a push of 500 events is about 0.5 MB.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// The most changes one pull page may ask for.
pub const MAX_PULL_LIMIT: usize = 10_000;

#[derive(Clone)]
pub struct ServerState {
    pub storage: Arc<dyn TownshipStorage>,
    pub clock: Arc<dyn Clock>,
}

/// The `/v1` API as a router, for `serve` and for tests that wrap it in a fault layer.
pub fn router(state: ServerState) -> Router {
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/villages/{code}", get(village))
        .route("/v1/villages/{code}/events", post(push))
        .route("/v1/villages/{code}/changes", get(changes))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// Serves until Ctrl-C or SIGTERM, finishing the requests in flight.
pub async fn serve(listener: tokio::net::TcpListener, state: ServerState) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
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
    tracing::info!("shutting down: finishing requests in flight");
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

#[derive(Serialize)]
struct Health {
    status: &'static str,
    villages: usize,
}

async fn health(State(state): State<ServerState>) -> Result<Response, ApiError> {
    let storage = state.storage.clone();
    let villages = blocking(move || storage.villages()).await?;
    Ok(json(
        StatusCode::OK,
        &Health {
            status: "ok",
            villages: villages.len(),
        },
    ))
}

async fn village(
    State(state): State<ServerState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let device = authenticate(&state, &method, &uri, &headers, &body, &code).await?;
    let storage = state.storage.clone();
    let c = code.clone();
    let (row, key) = blocking(move || Ok((storage.village(&c)?, storage.id_number_key(&c)?))).await?;
    let row = row.ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("no village {code}")))?;
    use base64::Engine;
    Ok(json(
        StatusCode::OK,
        &VillageResponse {
            code: row.code,
            name: row.name,
            device: device.id,
            id_number_key: base64::engine::general_purpose::STANDARD.encode(key),
        },
    ))
}

async fn push(
    State(state): State<ServerState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let device = authenticate(&state, &method, &uri, &headers, &body, &code).await?;
    let request: PushRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("malformed JSON: {e}")))?;
    let incoming = request
        .into_incoming()
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.to_string()))?;
    let count = incoming.len();
    let storage = state.storage.clone();
    let (village, id) = (code.clone(), device.id.clone());
    let outcome = blocking(move || storage.receive(&village, &id, &incoming)).await?;
    let status = if outcome.refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    tracing::info!(
        village = %code, device = %device.id, events = count, applied = outcome.applied,
        acked_through = outcome.acked_through, refused = ?outcome.refused.as_ref().map(|r| &r.reason), "push"
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
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Path(code): Path<String>,
    query: Result<Query<ChangesQuery>, axum::extract::rejection::QueryRejection>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let device = authenticate(&state, &method, &uri, &headers, &body, &code).await?;
    let Query(q) = query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.body_text()))?;
    let limit = q.limit.unwrap_or(1000).clamp(1, MAX_PULL_LIMIT);
    let storage = state.storage.clone();
    let (village, id) = (code.clone(), device.id.clone());
    let page = blocking(move || storage.changes(&village, &id, q.after.max(0), limit)).await?;
    tracing::info!(village = %code, device = %device.id, after = q.after, served = page.changes.len(), "pull");
    Ok(json(StatusCode::OK, &PullResponse::from_page(&page)))
}

/// Checks the signature, freshness and nonce of a request, and that the device
/// belongs to the village named in the path.
async fn authenticate(
    state: &ServerState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
    village: &str,
) -> Result<DeviceRow, ApiError> {
    let signed = SignedHeaders::from_lookup(|name| headers.get(name).and_then(|v| v.to_str().ok()))?;
    let storage = state.storage.clone();
    let id = signed.device.clone();
    let device = blocking(move || storage.device(&id))
        .await?
        .ok_or_else(|| AuthError::UnknownDevice(signed.device.clone()))?;
    let key =
        auth::parse_public_key(&device.public_key).map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e))?;
    let path = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
    let now = state.clock.now().timestamp();
    auth::verify(&key, method.as_str(), path, body, &signed, now)?;
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
    Ok(device)
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
        serve(listener, state).await
    })
}

/// Serves on a background runtime (benchmarks); the server stops when the runtime drops.
pub fn start_in_background(state: ServerState) -> std::io::Result<(String, tokio::runtime::Runtime)> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let url = format!("http://{}", listener.local_addr()?);
    runtime.spawn(async move { axum::serve(listener, router(state)).await });
    Ok((url, runtime))
}
