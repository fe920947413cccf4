//! Package assembly for `cf push`: the uploaded zip (only the files CC did not have) plus the
//! matched resources from the pool become one new zip, CC's `PackageBits` job.
//!
//! The pipeline: validate matched resources (pure) → stage the upload (unzip into a private
//! temp dir, validating every entry) → check the combined tree (pure) → fetch matched files
//! from the pool → write the zip → seed the pool with the new files → rename into place.
//! Staged files are named by index, never by the user's paths, so nothing a zip says can
//! touch the server's filesystem outside the staging dir.

mod error;
mod paths;
mod upload;
mod write;

use std::{
    collections::HashSet,
    path::{Path, PathBuf},
};

use futures::{StreamExt, TryStreamExt, stream};

use crate::{
    hash::is_sha1,
    resources::{PoolError, Resource, ResourcePool},
};
pub use error::PackageError;
use paths::{check_tree, normalize, parse_resource_mode};
use upload::{EntryKind, stage_upload};
use write::{OutEntry, OutKind, write_zip};

/// Pool transfers in flight during one assembly.
const POOL_CONCURRENCY: usize = 4;

/// Size and count limits for one package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest uploaded zip and largest assembled package zip, in bytes (CC's
    /// `packages.max_package_size`, 1 GiB by default). The API should also apply it to the
    /// request body while receiving the upload.
    pub max_package_bytes: u64,
    /// Largest total size of all files once extracted (uploaded and matched), in bytes. This
    /// bounds the disk used while assembling and stops zip bombs.
    pub max_uncompressed: u64,
    /// Most entries (uploaded zip entries plus matched resources).
    pub max_entries: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_package_bytes: 1 << 30,
            max_uncompressed: 3 << 30,
            max_entries: 100_000,
        }
    }
}

/// The assembled package zip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assembled {
    /// Zip size in bytes.
    pub size: u64,
    /// Lowercase hex SHA-256 of the zip (CC's package checksum).
    pub sha256: String,
    /// Lowercase hex SHA-1 of the zip.
    pub sha1: String,
    /// Regular files and symlinks in the zip (directories not counted).
    pub file_count: usize,
}

/// A matched resource after validation.
struct MatchedFile {
    path: String,
    mode: u32,
    sha1: String,
    size: u64,
}

/// Builds the package zip at `out_zip` from the uploaded zip (if any) and the matched
/// resources, and adds the uploaded files to the pool so the next push matches them.
///
/// Entries are sorted by path, deflated, with unix modes kept (directories 0755, symlinks as
/// symlinks) and a fixed 1980-01-01 timestamp, so the same input gives the same bytes. On
/// any error nothing is left at `out_zip` and the temp files beside it are removed.
pub async fn assemble(
    uploaded_zip: Option<&Path>,
    matched: &[Resource],
    pool: &ResourcePool,
    limits: &Limits,
    out_zip: &Path,
) -> Result<Assembled, PackageError> {
    let matched = validate_matched(matched, limits)?;

    let out_dir = match out_zip.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    // Beside the output, so the final rename is atomic and staging shares its volume.
    let staging = tempfile::Builder::new()
        .prefix(".assemble-")
        .tempdir_in(&out_dir)
        .map_err(PackageError::io("create a staging directory in", &out_dir))?;

    let result = assemble_in(
        uploaded_zip,
        &matched,
        pool,
        limits,
        staging.path(),
        &out_dir,
        out_zip,
    )
    .await;
    // Removing thousands of staged files blocks; keep it off the async workers. If this
    // future is dropped instead, TempDir's Drop does it.
    let _ = tokio::task::spawn_blocking(move || staging.close()).await;
    result
}

async fn assemble_in(
    uploaded_zip: Option<&Path>,
    matched: &[MatchedFile],
    pool: &ResourcePool,
    limits: &Limits,
    staging: &Path,
    out_dir: &Path,
    out_zip: &Path,
) -> Result<Assembled, PackageError> {
    let uploaded = match uploaded_zip {
        Some(zip) => {
            let (zip, limits, staging) = (zip.to_owned(), limits.clone(), staging.to_owned());
            tokio::task::spawn_blocking(move || stage_upload(&zip, &limits, &staging))
                .await
                .map_err(PackageError::Task)??
        }
        None => Vec::new(),
    };

    if uploaded.len() + matched.len() > limits.max_entries {
        return Err(PackageError::TooManyEntries {
            max: limits.max_entries,
        });
    }
    let total = uploaded
        .iter()
        .map(|e| match &e.kind {
            EntryKind::File { size, .. } => *size,
            EntryKind::Symlink { target } => target.len() as u64,
            EntryKind::Dir => 0,
        })
        .chain(matched.iter().map(|m| m.size))
        .fold(0u64, u64::saturating_add);
    if total > limits.max_uncompressed {
        return Err(PackageError::UncompressedTooLarge {
            max: limits.max_uncompressed,
        });
    }
    let implied_dirs = check_tree(
        uploaded
            .iter()
            .map(|e| (e.path.as_str(), matches!(e.kind, EntryKind::Dir)))
            .chain(matched.iter().map(|m| (m.path.as_str(), false))),
    )?;

    let fetched: Vec<PathBuf> = stream::iter(matched.iter().enumerate())
        .map(|(i, m)| async move {
            let dest = staging.join(format!("m{i}"));
            match pool.fetch(&m.sha1, m.size, &dest).await {
                Ok(()) => Ok(dest),
                Err(PoolError::Missing { sha1 }) => Err(PackageError::ResourceNotInPool { sha1 }),
                Err(e) => Err(PackageError::Pool(Box::new(e))),
            }
        })
        .buffered(POOL_CONCURRENCY)
        .try_collect()
        .await?;

    let mut entries: Vec<OutEntry> = implied_dirs
        .into_iter()
        .map(|path| OutEntry {
            path,
            mode: 0o755,
            kind: OutKind::Dir,
        })
        .collect();
    let mut new_files = Vec::new();
    let mut seen_sha1 = HashSet::new();
    for entry in uploaded {
        let kind = match entry.kind {
            EntryKind::Dir => OutKind::Dir,
            EntryKind::Symlink { target } => OutKind::Symlink { target },
            EntryKind::File { staged, size, sha1 } => {
                if size > 0 && seen_sha1.insert(sha1.clone()) {
                    new_files.push((staged.clone(), sha1, size));
                }
                OutKind::File {
                    source: staged,
                    size,
                }
            }
        };
        entries.push(OutEntry {
            path: entry.path,
            mode: entry.mode,
            kind,
        });
    }
    for (m, source) in matched.iter().zip(fetched) {
        entries.push(OutEntry {
            path: m.path.clone(),
            mode: m.mode,
            kind: OutKind::File {
                source,
                size: m.size,
            },
        });
    }

    let dir = out_dir.to_owned();
    let (temp_zip, assembled) = tokio::task::spawn_blocking(move || write_zip(entries, &dir))
        .await
        .map_err(PackageError::Task)??;
    if assembled.size > limits.max_package_bytes {
        return Err(PackageError::PackageTooLarge {
            max: limits.max_package_bytes,
        });
    }

    stream::iter(new_files)
        .map(|(staged, sha1, size)| async move {
            pool.add_file_with_sha1(&staged, &sha1, size)
                .await
                .map_err(|e| PackageError::Pool(Box::new(e)))
        })
        .buffer_unordered(POOL_CONCURRENCY)
        .try_collect::<Vec<()>>()
        .await?;

    temp_zip
        .persist(out_zip)
        .map_err(|e| PackageError::io("rename the package zip to", out_zip)(e.error))?;
    Ok(assembled)
}

/// Checks each matched resource's path, mode and checksum as CC does.
fn validate_matched(
    matched: &[Resource],
    limits: &Limits,
) -> Result<Vec<MatchedFile>, PackageError> {
    if matched.len() > limits.max_entries {
        return Err(PackageError::TooManyEntries {
            max: limits.max_entries,
        });
    }
    matched
        .iter()
        .map(|r| {
            let path = normalize(&r.path)
                .filter(|p| !p.is_empty())
                .ok_or_else(|| PackageError::ResourcePathUnsafe {
                    path: r.path.clone(),
                })?;
            let mode =
                parse_resource_mode(&r.mode).ok_or_else(|| PackageError::ResourceModeInvalid {
                    mode: r.mode.clone(),
                })?;
            if !is_sha1(&r.sha1) {
                return Err(PackageError::ResourceChecksumInvalid {
                    path: r.path.clone(),
                    sha1: r.sha1.clone(),
                });
            }
            Ok(MatchedFile {
                path,
                mode,
                sha1: r.sha1.clone(),
                size: r.size,
            })
        })
        .collect()
}
