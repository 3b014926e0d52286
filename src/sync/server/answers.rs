//! Errors as answers: a status and one line of words, from the township's and the
//! signature check's errors; JSON answers.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::sync::auth::AuthError;
use crate::sync::wire::ErrorResponse;

use crate::app::AppError;
use crate::township::TownshipError;

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
    pub(super) fn new(status: StatusCode, reason: impl Into<String>) -> ApiError {
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

pub(super) fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => (status, [("content-type", "application/json")], body).into_response(),
        Err(e) => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}
