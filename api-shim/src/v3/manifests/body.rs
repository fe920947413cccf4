//! A manifest request body, as CC's `SpaceManifestsController` takes it: YAML (by its
//! Content-Type), at most 1 MB, parsed, and checked in full, every problem its own error.

use super::manifest::{self, MAX_BYTES, Manifest};
use crate::http::{errors::ApiError, message};
use axum::{
    extract::{FromRequest, Request},
    http::header,
};

/// A checked manifest.
pub struct ManifestBody(pub Manifest);

impl<S: Send + Sync> FromRequest<S> for ManifestBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let yaml = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|t| {
                ["application/x-yaml", "text/yaml", "application/yaml"]
                    .contains(&t.trim().to_ascii_lowercase().as_str())
            });
        if !yaml {
            return Err(ApiError::bad_request(
                "Bad request: Content-Type must be yaml",
            ));
        }
        let bytes = message::read(req.into_body(), MAX_BYTES)
            .await
            .map_err(|e| {
                if e.status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::bad_request(
                        "Bad request: Manifest size is too large. The maximum supported size is 1MB.",
                    )
                } else {
                    e
                }
            })?;
        let manifest = manifest::parse(&bytes)?;
        let problems = manifest::check(&manifest);
        if !problems.is_empty() {
            return Err(ApiError::unprocessable_each(problems));
        }
        Ok(Self(manifest))
    }
}
