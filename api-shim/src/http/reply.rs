//! Answers with a JSON body, as most handlers give them.

use axum::{
    Json,
    http::StatusCode,
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
