//! Multipart uploads (package and buildpack bits). axum answers a request that is not
//! `multipart/form-data` with a boundary in plain text; this extractor answers with CF errors,
//! and so does a part that cannot be read.

use crate::http::errors::ApiError;
use axum::extract::{FromRequest, Request, multipart::MultipartError};

/// The request's multipart body.
pub struct Multipart(pub axum::extract::Multipart);

impl<S: Send + Sync> FromRequest<S> for Multipart {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Multipart::from_request(req, state)
            .await
            .map(Multipart)
            .map_err(|e| {
                ApiError::message_parse(format!(
                    "the upload must be multipart/form-data with a boundary ({})",
                    e.body_text()
                ))
            })
    }
}

/// A part that could not be read: past the route's size limit (413), or a broken body (400).
pub fn unreadable(e: MultipartError, limit: usize) -> ApiError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::too_large(limit)
    } else {
        ApiError::bad_request(format!("Bad request: the upload could not be read: {e}"))
    }
}
