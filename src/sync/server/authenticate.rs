//! Who is asking: the signed headers checked before the body is read, then the body read
//! within its bounds and checked against its digest; storage calls on the blocking pool.

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode};

use super::ApiError;
use super::ServerState;
use super::MAX_BODY_BYTES;
use crate::domain::kiosk::parse_public_key;
use crate::store::DeviceRow;
use crate::sync::auth::{self, AuthError, SignedHeaders};

/// An authenticated request: the device, and its body once read and checked.
pub(super) struct Authenticated {
    pub(super) device: DeviceRow,
    pub(super) body: Bytes,
}

/// Checks the signature, freshness and nonce of a request from its headers, that the
/// device is registered, not retired, within its rate, and belongs to the village in the
/// path; then reads the body (bounded in size and time) and checks it against the digest
/// the signature covers.
pub(super) async fn authenticate(
    state: &ServerState,
    request: Request,
    village: &str,
) -> Result<Authenticated, ApiError> {
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

pub(super) fn signed_headers(headers: &HeaderMap) -> Result<SignedHeaders, AuthError> {
    SignedHeaders::from_lookup(|name| headers.get(name).and_then(|v| v.to_str().ok()))
}

pub(super) async fn blocking<T: Send + 'static>(
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
