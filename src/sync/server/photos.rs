//! Photos (`/v1/villages/{code}/evidence/{sha256}`): served in resumable pieces, and
//! taken from a kiosk once an entry of the village names them.

use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::answers::json;
use super::authenticate::{authenticate, blocking};
use super::ApiError;
use super::ServerState;

/// Bytes of a photo per answer.
pub const PHOTO_CHUNK: usize = 64 * 1024;
/// The header giving a photo's whole size.
pub const PHOTO_SIZE: &str = "jifen-photo-size";

#[derive(Deserialize)]
pub(super) struct PhotoQuery {
    /// Where to continue a download cut short (bytes already held).
    #[serde(default)]
    from: usize,
}

/// A photo's bytes from `from` on, at most [`PHOTO_CHUNK`] of them: a cut link costs one
/// chunk, and the kiosk continues where it stopped. `jifen-photo-size` gives the whole.
pub(super) async fn photo(
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
pub(super) async fn put_photo(
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
