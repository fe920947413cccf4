//! Package bits: `POST /v3/packages/:guid/upload`, a multipart `resources` list (files the
//! blobstore already has, found by `POST /v3/resource_matches`) plus a `bits` zip of the rest.
//! The stored package is the uploaded zip combined with the matched files from the resource
//! pool, so a re-push of an unchanged app uploads almost nothing — CF's resource matching, done
//! for real. An upload that fails leaves no blob and a FAILED package, never a half-written one.

use super::handlers::write_status;
use crate::{
    http::multipart::{Multipart, unreadable},
    state::AppState,
    storage::uploads,
    v3::{packages::PackageView, prelude::*},
};
use smelter_blobstore::{Resource, keys};
use smelter_crds::{
    Checksum, ChecksumType, Package,
    package::{PackageState, PackageStatus, PackageType},
};

/// CC's refusal of an upload that carries nothing (`PackageUploadMessage`).
const NOTHING: &str = "Upload must include either resources or bits";

/// The parts of an upload, with the zip spooled to a temporary file.
struct Parts {
    resources: Vec<Resource>,
    bits: Option<tempfile::TempPath>,
}

async fn read_parts(
    mut multipart: axum::extract::Multipart,
    dir: &std::path::Path,
    max: u64,
) -> ApiResult<Parts> {
    let limit = usize::try_from(max).unwrap_or(usize::MAX);
    let mut parts = Parts {
        resources: Vec::new(),
        bits: None,
    };
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| unreadable(e, limit))?
    {
        match field.name() {
            Some("resources") => {
                let text = field.text().await.map_err(|e| unreadable(e, limit))?;
                parts.resources = serde_json::from_str(&text)
                    .map_err(|_| ApiError::unprocessable("Resources must be valid JSON."))?;
            }
            Some("bits") => parts.bits = Some(uploads::spool(field, dir, max, "package").await?),
            // CC ignores parts it does not know.
            _ => {}
        }
    }
    Ok(parts)
}

/// `POST /v3/packages/:guid/upload` (its body limit is set in the route table).
pub async fn upload(
    ctx: Ctx,
    Path(guid): Path<String>,
    Multipart(multipart): Multipart,
) -> ApiResult<Response> {
    let state = &ctx.state;
    let package = ctx.find::<Package>(&guid)?;
    crate::v3::feature_flags::require(&ctx, "app_bits_upload")?;
    if package.spec.type_ != PackageType::Bits {
        return Err(ApiError::unprocessable("Package type must be bits."));
    }
    let current = super::state_of(&package);
    if !matches!(current, PackageState::AwaitingUpload | PackageState::Failed) {
        return Err(ApiError::unprocessable(
            "Bits can only be uploaded to a package in state AWAITING_UPLOAD.",
        ));
    }
    // The upload is a write to the package: made as the caller, so RBAC decides whether they may.
    let namespace = space_of(&*package);
    uploads::authorize_write::<Package>(&ctx.client()?, ctx.caller.guid(), namespace, &guid)
        .await?;
    let work = uploads::work_dir(&state.config.work_dir, uploads::PACKAGE_WORK)?;
    let parts = read_parts(multipart, work.path(), state.limits.max_package_bytes).await?;
    if parts.bits.is_none() && parts.resources.is_empty() {
        return Err(ApiError::unprocessable(NOTHING));
    }
    if let Some(bits) = &parts.bits {
        record_upload(state, bits);
    }
    let processing = PackageStatus {
        state: PackageState::ProcessingUpload,
        ..Default::default()
    };
    write_status(state, &package, processing).await?;

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
            let ready = write_status(state, &package, status).await?;
            Ok(ok(PackageView::of(&ready, &ctx.base)))
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
            write_status(state, &package, failed).await?;
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
