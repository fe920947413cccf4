//! Paths. axum answers a parameter it cannot decode (`/v3/apps/%ff%fe`, not UTF-8) in plain
//! text; [`Path`] answers as CC does, with 400 `CF-InvalidRequest`, and [`check`] refuses what
//! Rails refuses while routing, before any token is looked at.

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

/// What Rails refuses while routing a request, before CC looks at its token: a path that does
/// not decode to UTF-8 is 400 `CF-InvalidRequest`, and a `.` or `..` segment, which names no
/// resource, matches no route (404 `Unknown request`).
pub fn check(path: &str) -> Result<(), ApiError> {
    if percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .is_err()
    {
        return Err(ApiError::invalid_request());
    }
    if path
        .split('/')
        .any(|segment| segment == "." || segment == "..")
    {
        return Err(ApiError::unknown_request());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_rails_would_not_route_are_refused_as_cc_refuses_them() {
        assert!(check("/v3/apps/a1/processes").is_ok());
        assert!(check("/v3/apps/%C3%A9").is_ok());
        assert!(check("/internal/blobs/droplets/d1/droplet.tgz").is_ok());
        assert_eq!(check("/v3/apps/%ff%fe").unwrap_err().code, 10004);
        assert_eq!(check("/v3/apps/..").unwrap_err().code, 10000);
        assert_eq!(check("/v3/apps/./processes").unwrap_err().code, 10000);
    }
}
