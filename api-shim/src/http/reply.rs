//! Answers with a JSON body, as most handlers give them.

use super::errors::ApiError;
use axum::{
    Json,
    http::{StatusCode, header::CONTENT_TYPE},
    response::{IntoResponse, Response},
};
use serde::Serialize;

/// 200 with `view`.
pub fn ok(view: impl Serialize) -> Response {
    Json(view).into_response()
}

/// 201 with `view`, for what a request created.
pub fn created(view: impl Serialize) -> Response {
    (StatusCode::CREATED, Json(view)).into_response()
}

/// 200 with `view` written into a buffer of `capacity` bytes: a list of thousands is written
/// once, not copied again each time a small buffer fills up.
pub fn ok_sized(view: impl Serialize, capacity: usize) -> Response {
    let mut body = Vec::with_capacity(capacity);
    match serde_json::to_writer(&mut body, &view) {
        Ok(()) => ([(CONTENT_TYPE, "application/json")], body).into_response(),
        Err(e) => ApiError::server_error(&e).into_response(),
    }
}
