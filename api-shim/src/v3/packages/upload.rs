//! Package bits: `POST /v3/resource_matches` (which files the blobstore already has) and
//! `POST /v3/packages/:guid/upload` (a multipart `resources` list plus a `bits` zip of the rest).
//! The stored package is the uploaded zip combined with the matched files from the resource
//! pool, so a re-push of an unchanged app uploads almost nothing — CF's resource matching, done
//! for real. An upload that fails leaves no blob and a FAILED package, never a half-written one.

use crate::{
    auth::Caller,
    auth::permissions::Access,
    http::errors::{ApiError, ApiResult},
    http::links::BaseUrl,
    state::AppState,
    v3::packages,
};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{DefaultBodyLimit, Multipart, Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::post,
};
use futures::TryStreamExt;
use kube::{
    Api,
    api::{Patch, PatchParams},
};
use serde::Deserialize;
use serde_json::json;
use smelter_blobstore::{Resource, keys};
use smelter_crds::{
    Checksum, ChecksumType, Package,
    package::{PackageState, PackageStatus, PackageType},
};
use std::sync::Arc;
use tokio::io::AsyncWriteExt;

/// The most resources one match request may name (the CLI sends chunks of 5,000).
const MAX_MATCH_RESOURCES: usize = 5000;

pub fn routes(max_upload: u64) -> Router<Arc<AppState>> {
    // Multipart overhead on top of the zip itself.
    let limit = usize::try_from(max_upload)
        .unwrap_or(usize::MAX)
        .saturating_add(16 << 20);
    Router::new()
        .route("/v3/resource_matches", post(resource_matches))
        .route(
            "/v3/packages/{guid}/upload",
            post(upload).layer(DefaultBodyLimit::max(limit)),
        )
}

#[derive(Deserialize)]
struct MatchRequest {
    resources: Vec<Resource>,
}

async fn resource_matches(
    State(state): State<Arc<AppState>>,
    _caller: Caller,
    bytes: Bytes,
) -> ApiResult<Response> {
    let req: MatchRequest = crate::http::body::parse(&bytes, &["resources"])?;
    if req.resources.len() > MAX_MATCH_RESOURCES {
        return Err(ApiError::unprocessable(format!(
            "Resources array may not contain more than {MAX_MATCH_RESOURCES} resources"
        )));
    }
    let matched = state.pool.matches(&req.resources);
    Ok((StatusCode::CREATED, Json(json!({ "resources": matched }))).into_response())
}

/// The parts of an upload, with the zip spooled to a temporary file.
struct Parts {
    resources: Vec<Resource>,
    bits: Option<tempfile::TempPath>,
}

/// A multipart error as CC reports an unreadable upload.
pub(crate) fn unreadable(e: axum::extract::multipart::MultipartError) -> ApiError {
    ApiError::bad_request(format!("Bad request: the upload could not be read: {e}"))
}

/// Streams one multipart field into a new temporary file in `dir`, refusing it as soon as it
/// passes `max` bytes (`what` names the upload in that error). Nothing is held in memory but
/// the chunk in hand, and the file is removed when the returned path is dropped, so a refused
/// or broken upload leaves nothing behind.
pub(crate) async fn spool(
    field: axum::extract::multipart::Field<'_>,
    dir: &std::path::Path,
    max: u64,
    what: &str,
) -> ApiResult<tempfile::TempPath> {
    let file = tempfile::Builder::new()
        .prefix("upload-")
        .suffix(".zip")
        .tempfile_in(dir)
        .map_err(|e| ApiError::server_error(&e))?;
    let (std_file, path) = file.into_parts();
    let mut out = tokio::fs::File::from_std(std_file);
    let mut written: u64 = 0;
    let mut stream = field.map_err(unreadable);
    while let Some(chunk) = stream.try_next().await? {
        written += chunk.len() as u64;
        if written > max {
            return Err(ApiError::unprocessable(format!(
                "The {what} is larger than the maximum of {max} bytes"
            )));
        }
        out.write_all(&chunk)
            .await
            .map_err(|e| ApiError::server_error(&e))?;
    }
    out.flush().await.map_err(|e| ApiError::server_error(&e))?;
    Ok(path)
}

async fn read_parts(mut multipart: Multipart, dir: &std::path::Path, max: u64) -> ApiResult<Parts> {
    let mut parts = Parts {
        resources: Vec::new(),
        bits: None,
    };
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        match field.name() {
            Some("resources") => {
                let text = field.text().await.map_err(unreadable)?;
                parts.resources = serde_json::from_str(&text).map_err(|e| {
                    ApiError::unprocessable(format!("The resources field is invalid: {e}"))
                })?;
            }
            Some("bits") => parts.bits = Some(spool(field, dir, max, "package").await?),
            // CC ignores parts it does not know.
            _ => {}
        }
    }
    Ok(parts)
}

async fn upload(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(guid): Path<String>,
    multipart: Multipart,
) -> ApiResult<Response> {
    let access = Access::of(&caller, &state.caches);
    let package = packages::visible(&state, &access, &guid)?;
    if package.spec.type_ != PackageType::Bits {
        return Err(ApiError::unprocessable("Package type must be bits."));
    }
    let current = package
        .status
        .as_ref()
        .map(|s| s.state.clone())
        .unwrap_or_default();
    if !matches!(current, PackageState::AwaitingUpload | PackageState::Failed) {
        return Err(ApiError::unprocessable(
            "Bits can only be uploaded to a package in state AWAITING_UPLOAD.",
        ));
    }
    // The upload is a write to the package: made as the caller, so RBAC decides whether they may.
    stamp_as_caller::<Package>(
        &state,
        &caller,
        package.metadata.namespace.as_deref().unwrap_or_default(),
        &guid,
    )
    .await?;
    let work = work_dir(&state, PACKAGE_WORK)?;
    let parts = read_parts(multipart, work.path(), state.limits.max_package_bytes).await?;
    if let Some(bits) = &parts.bits {
        record_upload(&state, bits);
    }
    packages::write_status(
        &state,
        &package,
        PackageStatus {
            state: PackageState::ProcessingUpload,
            ..Default::default()
        },
    )
    .await?;

    let out = work.path().join("package.zip");
    let bits = parts.bits.as_ref().map(|p| p.to_path_buf());
    // Assembly is mostly zip work, so it runs on a blocking thread (driving its own I/O through
    // the runtime); that also keeps its future, whose borrows rustc cannot prove `Send` for
    // every lifetime, off the request task.
    let handle = tokio::runtime::Handle::current();
    let (st, g, resources) = (state.clone(), guid.clone(), parts.resources);
    let stored =
        tokio::task::spawn_blocking(move || handle.block_on(store(st, g, bits, resources, out)))
            .await
            .unwrap_or_else(|e| Err(UploadError::Panicked(e.to_string())));
    match stored {
        Ok((assembled, info)) => {
            tracing::info!(package = %guid, files = assembled.file_count, bytes = info.size, "package stored");
            let status = PackageStatus {
                state: PackageState::Ready,
                checksum: Some(Checksum {
                    type_: ChecksumType::Sha256,
                    value: info.sha256,
                }),
                size: i64::try_from(info.size).ok(),
                ..Default::default()
            };
            let ready = packages::write_status(&state, &package, status).await?;
            Ok(Json(packages::present(&ready, &base)).into_response())
        }
        Err(e) => {
            let (client_fault, detail) = match &e {
                UploadError::Package(p) if p.is_invalid() => (true, p.to_string()),
                other => (false, other.to_string()),
            };
            let failed = PackageStatus {
                state: PackageState::Failed,
                error: Some(detail.clone()),
                ..Default::default()
            };
            packages::write_status(&state, &package, failed).await?;
            if client_fault {
                Err(ApiError::unprocessable(detail))
            } else {
                Err(ApiError::server_error(&e))
            }
        }
    }
}

/// Counts what an upload carried: its bytes, and the files with content in its zip (what
/// resource matching did not spare the client). An unreadable zip counts no files; assembly
/// refuses it with the reason.
fn record_upload(state: &AppState, bits: &std::path::Path) {
    let size = std::fs::metadata(bits).map(|m| m.len()).unwrap_or_default();
    state.metrics.uploaded_bytes.inc_by(size);
    let files = std::fs::File::open(bits)
        .ok()
        .and_then(|f| zip::ZipArchive::new(f).ok())
        .map(|mut z| {
            (0..z.len())
                .filter(|i| {
                    z.by_index_raw(*i)
                        .is_ok_and(|e| e.is_file() && e.size() > 0)
                })
                .count()
        })
        .unwrap_or_default();
    state.metrics.uploaded_files.inc_by(files as u64);
}

/// Assembles the package from the upload and the pool, and stores it at its key.
async fn store(
    state: Arc<AppState>,
    guid: String,
    bits: Option<std::path::PathBuf>,
    resources: Vec<Resource>,
    out: std::path::PathBuf,
) -> Result<(smelter_blobstore::Assembled, smelter_blobstore::BlobInfo), UploadError> {
    let assembled = smelter_blobstore::assemble(
        bits.as_deref(),
        &resources,
        &state.pool,
        &state.limits,
        &out,
    )
    .await?;
    let info = state.blobs.put_file(&keys::package(&guid), &out).await?;
    Ok((assembled, info))
}

#[derive(Debug, thiserror::Error)]
enum UploadError {
    #[error(transparent)]
    Package(#[from] smelter_blobstore::PackageError),
    #[error("failed to store the package")]
    Store(#[from] smelter_blobstore::BlobstoreError),
    #[error("package assembly stopped unexpectedly: {0}")]
    Panicked(String),
}

/// Marks `guid` as uploaded to by the caller, as the caller: an upload is a change to the
/// object, so Kubernetes RBAC decides whether they may make it before any bits are read.
pub async fn stamp_as_caller<K>(
    state: &AppState,
    caller: &Caller,
    namespace: &str,
    guid: &str,
) -> ApiResult<()>
where
    K: kube::Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    let as_caller: Api<K> = Api::namespaced(
        state.client_for(caller).map_err(ApiError::from_kube)?,
        namespace,
    );
    let stamp =
        json!({ "metadata": { "annotations": { "cf.smelter.dev/uploaded-by": caller.guid() } } });
    as_caller
        .patch(guid, &PatchParams::default(), &Patch::Merge(&stamp))
        .await
        .map_err(ApiError::from_kube)?;
    Ok(())
}

/// Name prefixes of the per-upload directories in the work directory: packages, buildpack
/// uploads, built-in buildpack installs. The blob collector removes old ones a crash left
/// (`blob_gc::work_dir`), and nothing else, so every work directory must use one of these.
pub const WORK_PREFIXES: &[&str] = &[PACKAGE_WORK, BUILDPACK_WORK, BUILTIN_WORK];
pub const PACKAGE_WORK: &str = "package-";
pub const BUILDPACK_WORK: &str = "buildpack-";
pub const BUILTIN_WORK: &str = "builtin-";

/// A private directory for one upload under the configured work directory, removed when
/// dropped, so a failed upload leaves nothing behind (and one a crash left behind is removed
/// by the blob collector). `prefix` is one of [`WORK_PREFIXES`].
pub fn work_dir(state: &AppState, prefix: &str) -> ApiResult<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(&state.config.work_dir)
        .map_err(|e| ApiError::server_error(&e))
}
