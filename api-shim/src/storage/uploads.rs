//! Where uploads are assembled: a private directory per upload under the configured work
//! directory, removed when dropped, and bits spooled into it (never held in memory), so a
//! refused or broken upload leaves nothing behind.

use crate::http::errors::ApiError;
use futures::TryStreamExt;
use kube::{
    Api,
    api::{Patch, PatchParams},
};
use serde_json::json;
use std::path::Path;
use tokio::io::AsyncWriteExt;

/// Name prefixes of the per-upload directories in the work directory: packages, buildpack
/// uploads, built-in buildpack installs. The blob collector removes old ones a crash left
/// (`blob_gc::work_dir`), and nothing else, so every work directory must use one of these.
pub const WORK_PREFIXES: &[&str] = &[PACKAGE_WORK, BUILDPACK_WORK, BUILTIN_WORK];
pub const PACKAGE_WORK: &str = "package-";
pub const BUILDPACK_WORK: &str = "buildpack-";
pub const BUILTIN_WORK: &str = "builtin-";

/// How much of a part over the limit is read (and dropped) before the refusal is sent, so a
/// proxy in front sees the answer rather than a closed connection.
const MAX_DRAINED_BYTES: u64 = 256 << 20;

/// A private directory for one upload under `work_dir`, removed when dropped. `prefix` is one
/// of [`WORK_PREFIXES`].
pub fn work_dir(work_dir: &Path, prefix: &str) -> Result<tempfile::TempDir, ApiError> {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(work_dir)
        .map_err(|e| ApiError::server_error(&e))
}

/// Streams one multipart field into a new temporary file in `dir`, refusing it once it passes
/// `max` bytes (`what` names the upload in that error). The file is removed when the returned
/// path is dropped.
pub async fn spool(
    field: axum::extract::multipart::Field<'_>,
    dir: &Path,
    max: u64,
    what: &str,
) -> Result<tempfile::TempPath, ApiError> {
    let file = tempfile::Builder::new()
        .prefix("upload-")
        .suffix(".zip")
        .tempfile_in(dir)
        .map_err(|e| ApiError::server_error(&e))?;
    let (std_file, path) = file.into_parts();
    let mut out = tokio::fs::File::from_std(std_file);
    let mut written: u64 = 0;
    let limit = usize::try_from(max).unwrap_or(usize::MAX);
    let mut stream = field.map_err(|e| crate::http::multipart::unreadable(e, limit));
    while let Some(chunk) = stream.try_next().await? {
        written += chunk.len() as u64;
        if written > max {
            // Read on (dropping it), so the refusal reaches the client.
            while written <= max.saturating_add(MAX_DRAINED_BYTES) {
                match stream.try_next().await {
                    Ok(Some(more)) => written += more.len() as u64,
                    _ => break,
                }
            }
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

/// Asks the API server, with the caller's own `client`, whether they may change `name` in
/// `namespace`: an upload is a change to the object, so Kubernetes RBAC decides before any
/// bits are read. A dry run, so the question changes nothing.
pub async fn authorize_write<K>(
    client: &kube::Client,
    caller: &str,
    namespace: &str,
    name: &str,
) -> Result<(), ApiError>
where
    K: kube::Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    let as_caller: Api<K> = Api::namespaced(client.clone(), namespace);
    let stamp = json!({ "metadata": { "annotations": { "cf.smelter.dev/uploaded-by": caller } } });
    as_caller
        .patch(
            name,
            &PatchParams::default().dry_run(),
            &Patch::Merge(&stamp),
        )
        .await
        .map_err(ApiError::from_kube)?;
    Ok(())
}
