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

mod answers;
mod authenticate;
mod photos;
mod routes;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use ed25519_dalek::SigningKey;

use super::auth::{self};
use crate::domain::clock::Clock;
use crate::township::{TownshipError, TownshipStorage};

pub use answers::ApiError;
use photos::{photo, put_photo};
pub use photos::{PHOTO_CHUNK, PHOTO_SIZE};
use routes::{changes, health, hello, push, village};

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
    /// Other routes served on the same port beside `/v1` (the web console, `/console/`),
    /// answered as they are: not signed, not counted against a kiosk's rate.
    pub also: Option<Router>,
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
            also: None,
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
    let also = state.also.clone();
    let app = match also {
        Some(other) => router(state).merge(other),
        None => router(state),
    };
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
