//! `POST /v3/buildpacks/:guid/upload`: a buildpack's zip, as the multipart part `bits`. The
//! zip is spooled to disk (never held in memory), checked as thoroughly as a package, stored at
//! `keys::buildpack(guid)` with its sha256, and only then is the buildpack READY. A refused or
//! failed upload leaves the status, and any zip stored before, as they were.
//!
//! CC answers 202 with a job that stores the bits; Smelter stores them before answering, so the
//! job is COMPLETE at the first poll and a refusal is the upload's own 422, which the cf CLI
//! prints as it is.

use super::{BuildpackView, all, is_ready};
use crate::{
    http::multipart::{Multipart, unreadable},
    state::AppState,
    storage::uploads,
    v3::prelude::*,
};
use axum::http::header;
use smelter_crds::{
    Buildpack, Checksum, ChecksumType,
    buildpack::{BuildpackState, BuildpackStatus},
};
use std::path::PathBuf;

/// What CC's `BuildpackUploadMessage` says before each reason a zip is refused.
const INVALID: &str = "Uploaded buildpack file is invalid";

/// Why bits were not stored.
#[derive(Debug, thiserror::Error)]
pub enum BitsError {
    /// The zip itself is at fault: a 422 with this text.
    #[error("{INVALID}: {0}")]
    Invalid(String),
    #[error("failed to prepare the check of a buildpack zip")]
    Scratch(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("failed to check a buildpack zip")]
    Check(#[source] smelter_blobstore::PackageError),
    #[error("the check of a buildpack zip stopped unexpectedly: {0}")]
    Panicked(String),
    #[error("failed to store a buildpack zip")]
    Store(#[source] smelter_blobstore::BlobstoreError),
    #[error("failed to record a stored buildpack zip")]
    Status(#[source] kube::Error),
}

impl From<BitsError> for ApiError {
    fn from(e: BitsError) -> Self {
        match e {
            BitsError::Invalid(_) => ApiError::unprocessable(e.to_string()),
            BitsError::Status(source) => ApiError::from_kube(source),
            other => ApiError::server_error(&other),
        }
    }
}

/// `POST /v3/buildpacks/:guid/upload` (its body limit is set in the route table).
pub async fn upload(
    ctx: Ctx,
    Path(guid): Path<String>,
    Multipart(mut multipart): Multipart,
) -> ApiResult<Response> {
    let state = &ctx.state;
    let buildpack = all(state)
        .into_iter()
        .find(|b| b.metadata.name.as_deref() == Some(guid.as_str()))
        .ok_or_else(|| ApiError::not_found("Buildpack"))?;
    if !ctx.perms.is_admin() {
        return Err(ApiError::not_authorized());
    }
    if buildpack.spec.locked {
        return Err(ApiError::unprocessable("Buildpack is locked"));
    }
    // Bits are a change to the buildpack, so RBAC decides, as the caller, before any is read.
    let root = &state.config.root_namespace;
    uploads::authorize_write::<Buildpack>(&ctx.client()?, ctx.caller.guid(), root, &guid).await?;
    let work = uploads::work_dir(&state.config.work_dir, uploads::BUILDPACK_WORK)?;
    let max = state.limits.max_package_bytes;
    let limit = usize::try_from(max).unwrap_or(usize::MAX);
    let mut bits = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| unreadable(e, limit))?
    {
        if field.name() == Some("bits") {
            let filename = field.file_name().map(basename);
            let path = uploads::spool(field, work.path(), max, "buildpack").await?;
            bits = Some((path, filename));
        }
    }
    let Some((path, filename)) = bits else {
        return Err(
            BitsError::Invalid("A buildpack zip file must be uploaded as 'bits'".into()).into(),
        );
    };
    let filename = filename.unwrap_or_else(|| format!("{}.zip", buildpack.spec.name));
    let stored = store(state, &buildpack, &path, &filename, work.path()).await?;
    tracing::info!(buildpack = %guid, %filename, "buildpack bits stored");
    let location = jobs::location(&ctx.base, Operation::BuildpackUpload, &guid);
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, location)],
        Json(BuildpackView::of(&stored, &ctx.base)),
    )
        .into_response())
}

/// The last segment of a client's file name (browsers and Windows may send a path).
fn basename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base.chars().take(255).collect()
}

/// Checks the zip at `zip`, stores it as the buildpack's bits and marks the buildpack READY
/// with `filename` and the zip's sha256. `work` is scratch space, removed by the caller.
pub async fn store(
    state: &AppState,
    buildpack: &Buildpack,
    zip: &std::path::Path,
    filename: &str,
    work: &std::path::Path,
) -> Result<Buildpack, BitsError> {
    let guid = buildpack.metadata.name.clone().unwrap_or_default();
    check_cc(zip, filename).await?;
    check_contents(state, zip, work).await?;
    let key = smelter_blobstore::keys::buildpack(&guid);
    // The blobstore hashes while it streams the file in, and publishes it only when complete.
    let info = state
        .blobs
        .put_file(&key, zip)
        .await
        .map_err(BitsError::Store)?;
    let status = BuildpackStatus {
        state: BuildpackState::Ready,
        filename: Some(filename.to_owned()),
        checksum: Some(Checksum {
            type_: ChecksumType::Sha256,
            value: info.sha256,
        }),
        ..Default::default()
    };
    match write_status(state, &guid, &status).await {
        Ok(ready) => Ok(ready),
        Err(e) => {
            // A zip nothing records: keep it only if a READY record still points at the key.
            let gone = matches!(&e, BitsError::Status(kube::Error::Api(s)) if s.code == 404);
            if (gone || !is_ready(buildpack))
                && let Err(delete) = state.blobs.delete(&key).await
            {
                tracing::warn!(buildpack = %guid, error = %delete, "failed to remove an unrecorded buildpack zip");
            }
            Err(e)
        }
    }
}

/// Writes the status with the api-shim's own identity (it is the platform's record of what is
/// stored, not the caller's) and waits until the cache has it.
async fn write_status(
    state: &AppState,
    guid: &str,
    status: &BuildpackStatus,
) -> Result<Buildpack, BitsError> {
    let root = &state.config.root_namespace;
    write::status(
        &state.kube.own(),
        root,
        guid,
        status,
        &state.caches.buildpacks,
    )
    .await
    .map_err(BitsError::Status)
}

/// CC's own checks: a file, not empty, that starts as a zip does.
async fn check_cc(zip: &std::path::Path, filename: &str) -> Result<(), BitsError> {
    let io = |e: std::io::Error| BitsError::Scratch(Box::new(e));
    let size = tokio::fs::metadata(zip).await.map_err(io)?.len();
    if size == 0 {
        return Err(BitsError::Invalid(format!("{filename} cannot be empty")));
    }
    let mut magic = [0u8; 4];
    let mut file = tokio::fs::File::open(zip).await.map_err(io)?;
    let read = tokio::io::AsyncReadExt::read(&mut file, &mut magic)
        .await
        .map_err(io)?;
    if read < magic.len() || magic != *b"PK\x03\x04" {
        return Err(BitsError::Invalid(format!(
            "{filename} is not a zip file. Buildpacks of lifecycle \"buildpack\" must be valid zip files."
        )));
    }
    Ok(())
}

/// The package check, reused as it is: every entry's path, kind and size, the expansion
/// limits, and every CRC. `assemble` is its only public form; it also writes a normalised copy
/// of the zip and seeds a resource pool with the files, which a buildpack has no use for (and
/// which would keep a copy of every buildpack's files in the app resource pool for good), so
/// both go to a scratch pool in `work` and are thrown away. The stored zip is the one uploaded.
async fn check_contents(
    state: &AppState,
    zip: &std::path::Path,
    work: &std::path::Path,
) -> Result<(), BitsError> {
    let scratch = work.join("check");
    let (zip, limits) = (zip.to_owned(), state.limits.clone());
    // As for packages: zip work on a blocking thread, which also keeps `assemble`'s future
    // (whose borrows rustc cannot prove `Send` for every lifetime) off the request task.
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        handle.block_on(async move {
            let store = smelter_blobstore::Blobstore::filesystem(scratch.join("pool"))
                .map_err(|e| BitsError::Scratch(Box::new(e)))?;
            let pool = smelter_blobstore::ResourcePool::load(store)
                .await
                .map_err(|e| BitsError::Scratch(Box::new(e)))?;
            let copy: PathBuf = scratch.join("checked.zip");
            let result = smelter_blobstore::assemble(Some(&zip), &[], &pool, &limits, &copy).await;
            let _ = std::fs::remove_dir_all(&scratch);
            result.map(drop).map_err(refusal)
        })
    })
    .await
    .map_err(|e| BitsError::Panicked(e.to_string()))?
}

/// A package error as a buildpack refusal (the zip's fault) or a failure (ours).
fn refusal(e: smelter_blobstore::PackageError) -> BitsError {
    if !e.is_invalid() {
        return BitsError::Check(e);
    }
    // The package texts say what is wrong after a "the package is invalid" lead-in; for a
    // buildpack CC's own lead-in replaces it.
    let text = e.to_string();
    let reason = text
        .split_once(": ")
        .filter(|(lead, _)| lead.contains("package is invalid"))
        .map_or(text.as_str(), |(_, reason)| reason);
    BitsError::Invalid(reason.to_owned())
}
