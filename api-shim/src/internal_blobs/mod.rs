//! The internal blob endpoint (ARCHITECTURE decision 4): staging and app pods download package
//! bits, buildpacks, caches and droplets, and staging pods store droplets and caches, with a
//! URL the operator signed (see `smelter_blobstore::signing`) instead of a CF token. The
//! signature covers the method, the blob key and the expiry.
//!
//! `PUT` streams the body into the blobstore (never buffered whole) and answers the digests it
//! computed; given `sha256`, a body with another digest is refused and leaves no blob.

use crate::{
    http::{
        errors::{ApiError, ApiResult},
        path::Path,
    },
    state::AppState,
};
use axum::{
    Json,
    body::Body,
    extract::{RawQuery, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::json;
use smelter_blobstore::{BlobstoreError, SignatureError};
use std::{sync::Arc, time::SystemTime};

/// The query of a signed URL. Every field is optional here, so a URL missing one is refused
/// like a forged one (403) rather than with a bare query-parsing error.
#[derive(Deserialize, Default)]
struct Signed {
    #[serde(default)]
    expires: Option<String>,
    #[serde(default)]
    signature: Option<String>,
    /// The sha256 (hex) an upload must have.
    #[serde(default)]
    sha256: Option<String>,
}

/// The signature fields of a query; one that cannot be read has none (and is refused as
/// unsigned).
fn signed(query: Option<&str>) -> Signed {
    serde_urlencoded::from_str(query.unwrap_or_default()).unwrap_or_default()
}

fn check(state: &AppState, method: &str, key: &str, signed: &Signed) -> ApiResult<()> {
    let (Some(expires), Some(signature)) = (
        signed
            .expires
            .as_deref()
            .and_then(|e| e.parse::<u64>().ok()),
        signed.signature.as_deref(),
    ) else {
        return Err(ApiError::not_authorized());
    };
    match state
        .signer
        .verify(method, key, expires, signature, SystemTime::now())
    {
        Ok(()) => Ok(()),
        Err(SignatureError::Expired) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            10003,
            "CF-NotAuthorized",
            "The signed URL has expired",
        )),
        Err(SignatureError::Invalid) => Err(ApiError::not_authorized()),
    }
}

pub async fn download(
    State(state): State<Arc<AppState>>,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let signed = signed(query.as_deref());
    check(&state, "GET", &key, &signed)?;
    let blob = state.blobs.get_stream(&key).await.map_err(blob_error)?;
    let Some(blob) = blob else {
        return Err(ApiError::not_found("Blob"));
    };
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CONTENT_LENGTH, blob.size.to_string()),
        ],
        Body::from_stream(blob.stream),
    )
        .into_response())
}

pub async fn upload(
    State(state): State<Arc<AppState>>,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
    body: Body,
) -> ApiResult<Response> {
    let signed = signed(query.as_deref());
    check(&state, "PUT", &key, &signed)?;
    let stored = state
        .blobs
        .put_stream(
            &key,
            body.into_data_stream(),
            state.config.max_droplet_bytes,
        )
        .await
        .map_err(blob_error)?;
    if let Some(expected) = signed.sha256.as_deref()
        && !expected.eq_ignore_ascii_case(&stored.sha256)
    {
        // It was stored before its digest was known; take it back.
        if let Err(e) = state.blobs.delete(&key).await {
            tracing::warn!(key, error = %e, "failed to delete a blob with the wrong sha256");
        }
        return Err(ApiError::unprocessable(format!(
            "The uploaded bits have sha256 {}, not {expected}",
            stored.sha256
        )));
    }
    Ok((
        StatusCode::CREATED,
        Json(json!({ "size": stored.size, "sha1": stored.sha1, "sha256": stored.sha256 })),
    )
        .into_response())
}

fn blob_error(error: BlobstoreError) -> ApiError {
    match error {
        BlobstoreError::TooLarge { max, .. } => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            10005,
            "CF-BlobTooLarge",
            format!("The blob is larger than the limit of {max} bytes"),
        ),
        BlobstoreError::InvalidKey { .. } => ApiError::not_found("Blob"),
        // The client went away or sent a broken body; nothing was stored.
        BlobstoreError::Source { .. } => ApiError::bad_request("The upload was interrupted"),
        other => ApiError::server_error(&other),
    }
}
