//! Path parameters. axum answers a parameter it cannot decode (`/v3/apps/%ff%fe`, not UTF-8)
//! in plain text; this extractor answers as CC does, with 400 `CF-InvalidRequest`.

use crate::http::errors::ApiError;
use axum::{extract::FromRequestParts, http::request::Parts};
use serde::de::DeserializeOwned;

/// The path parameters of the route, as `T` (a `String`, or a tuple of them).
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(t)| Path(t))
            .map_err(|_| ApiError::invalid_request())
    }
}
