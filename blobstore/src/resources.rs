//! CF's resource pool: file contents already stored, keyed by SHA-1, so `cf push` uploads
//! only the files CC does not have yet.
//!
//! The set of known SHA-1s (with sizes) lives in memory, loaded with one `list` at start and
//! updated on every add, so matching a push's thousands of files costs no I/O.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{PoisonError, RwLock},
};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha1::{Digest, Sha1};
use tokio::io::AsyncReadExt;

use crate::{
    hash::{hex, is_sha1},
    keys,
    store::{Blobstore, BlobstoreError},
};

/// CC's mode for a resource that comes without one (`FingerprintsCollection::DEFAULT_FILE_MODE`).
pub const DEFAULT_RESOURCE_MODE: &str = "744";

/// One file of an app as the cf CLI describes it: where it goes, its mode, and its contents'
/// SHA-1 and size.
///
/// Serializes as v3 `resource_match` JSON, `{"path","mode","checksum":{"value"},"size_in_bytes"}`.
/// Also deserializes the v2 shape `{"fn","mode","sha1","size"}`, which the cf CLI still sends
/// in the `resources` field of a package upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// Relative path inside the package, `/`-separated.
    pub path: String,
    /// Octal permission bits as text, e.g. `"644"`.
    pub mode: String,
    /// Lowercase hex SHA-1 of the contents.
    pub sha1: String,
    /// Size of the contents in bytes.
    pub size: u64,
}

#[derive(Serialize, Deserialize)]
struct Checksum {
    value: String,
}

#[derive(Serialize)]
struct ResourceOut<'a> {
    path: &'a str,
    mode: &'a str,
    checksum: Checksum,
    size_in_bytes: u64,
}

#[derive(Deserialize)]
struct ResourceIn {
    #[serde(default, alias = "fn")]
    path: String,
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    checksum: Option<Checksum>,
    #[serde(default)]
    sha1: Option<String>,
    #[serde(alias = "size")]
    size_in_bytes: u64,
}

impl Serialize for Resource {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        ResourceOut {
            path: &self.path,
            mode: &self.mode,
            checksum: Checksum {
                value: self.sha1.clone(),
            },
            size_in_bytes: self.size,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Resource {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = ResourceIn::deserialize(deserializer)?;
        let sha1 = match (wire.checksum, wire.sha1) {
            (Some(checksum), _) => checksum.value,
            (None, Some(sha1)) => sha1,
            (None, None) => return Err(serde::de::Error::missing_field("checksum")),
        };
        Ok(Self {
            path: wire.path,
            mode: wire
                .mode
                .unwrap_or_else(|| DEFAULT_RESOURCE_MODE.to_owned()),
            sha1,
            size: wire.size_in_bytes,
        })
    }
}

/// Errors from the resource pool.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    /// The initial listing failed.
    #[error("failed to load the resource pool")]
    Load(#[source] BlobstoreError),
    /// No stored contents with this SHA-1 and size.
    #[error("resource {sha1} is not in the resource pool")]
    Missing { sha1: String },
    /// The stored contents no longer hash to their key; the blob has been removed.
    #[error("resource {sha1} in the resource pool is corrupt")]
    Corrupt { sha1: String },
    /// A file changed while it was being added.
    #[error("failed to add '{}' to the resource pool: it changed while being read", path.display())]
    Changed { path: PathBuf },
    /// The blobstore failed.
    #[error("failed to {action} resource {sha1}")]
    Store {
        action: &'static str,
        sha1: String,
        #[source]
        source: BlobstoreError,
    },
    /// A local file could not be read.
    #[error("failed to read '{}'", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// File contents by SHA-1 under `resources/`, plus the in-memory index of what is there.
#[derive(Debug)]
pub struct ResourcePool {
    store: Blobstore,
    /// SHA-1 → size of what is stored; the size check keeps a colliding or truncated blob from
    /// being matched.
    known: RwLock<HashMap<String, u64>>,
}

impl ResourcePool {
    /// Loads the index with one `list` of `resources/`.
    pub async fn load(store: Blobstore) -> Result<Self, PoolError> {
        let blobs = store
            .list(keys::RESOURCES_PREFIX)
            .await
            .map_err(PoolError::Load)?;
        let prefix = format!("{}/", keys::RESOURCES_PREFIX);
        let known = blobs
            .into_iter()
            .filter_map(|blob| {
                let sha1 = blob.key.strip_prefix(&prefix)?;
                is_sha1(sha1).then(|| (sha1.to_owned(), blob.size))
            })
            .collect();
        Ok(Self {
            store,
            known: RwLock::new(known),
        })
    }

    /// The blobstore the pool lives in.
    pub fn store(&self) -> &Blobstore {
        &self.store
    }

    /// Number of distinct contents in the pool.
    pub fn len(&self) -> usize {
        self.read_known().len()
    }

    /// Whether the pool holds nothing.
    pub fn is_empty(&self) -> bool {
        self.read_known().is_empty()
    }

    /// Whether contents with this SHA-1 and exactly this size are stored. Empty files never
    /// are: there is nothing to save by matching them.
    pub fn contains(&self, sha1: &str, size: u64) -> bool {
        size > 0 && self.read_known().get(sha1) == Some(&size)
    }

    /// The resources whose contents are already stored (CC's `resource_match`), in input order.
    pub fn matches(&self, resources: &[Resource]) -> Vec<Resource> {
        let known = self.read_known();
        resources
            .iter()
            .filter(|r| r.size > 0 && known.get(&r.sha1) == Some(&r.size))
            .cloned()
            .collect()
    }

    /// Adds a local file and returns its SHA-1. It is hashed first, so a file already in the
    /// pool is not uploaded again. Empty files are not added.
    pub async fn add_file(&self, path: &Path) -> Result<String, PoolError> {
        let (sha1, size) = sha1_of_file(path).await?;
        self.add_file_with_sha1(path, &sha1, size).await?;
        Ok(sha1)
    }

    /// Adds a local file whose SHA-1 and size the caller already computed. The upload is
    /// hashed again on the way and discarded if it does not match, so a wrong `sha1` can
    /// never poison the pool.
    pub(crate) async fn add_file_with_sha1(
        &self,
        path: &Path,
        sha1: &str,
        size: u64,
    ) -> Result<(), PoolError> {
        if size == 0 || self.contains(sha1, size) {
            return Ok(());
        }
        let key = keys::resource(sha1);
        let info = self
            .store
            .put_file(&key, path)
            .await
            .map_err(|source| PoolError::Store {
                action: "store",
                sha1: sha1.to_owned(),
                source,
            })?;
        if info.sha1 != sha1 || info.size != size {
            self.discard(sha1).await;
            return Err(PoolError::Changed {
                path: path.to_owned(),
            });
        }
        self.write_known().insert(sha1.to_owned(), size);
        Ok(())
    }

    /// Copies stored contents into a local file, checking they still hash to their key.
    pub async fn fetch(&self, sha1: &str, size: u64, dest: &Path) -> Result<(), PoolError> {
        if !self.contains(sha1, size) {
            return Err(PoolError::Missing {
                sha1: sha1.to_owned(),
            });
        }
        let info = match self.store.get_to_file(&keys::resource(sha1), dest).await {
            Ok(info) => info,
            Err(e) if e.is_not_found() => {
                // Removed behind our back (an operator cleaning the volume): forget it so the
                // next push uploads the file again.
                self.write_known().remove(sha1);
                return Err(PoolError::Missing {
                    sha1: sha1.to_owned(),
                });
            }
            Err(source) => {
                return Err(PoolError::Store {
                    action: "fetch",
                    sha1: sha1.to_owned(),
                    source,
                });
            }
        };
        if info.sha1 != sha1 || info.size != size {
            self.discard(sha1).await;
            // dest holds the bad bytes; the caller's staging area is thrown away on error.
            return Err(PoolError::Corrupt {
                sha1: sha1.to_owned(),
            });
        }
        Ok(())
    }

    /// Drops a blob that does not hash to its key, so the next push uploads a good copy.
    async fn discard(&self, sha1: &str) {
        self.write_known().remove(sha1);
        if let Err(e) = self.store.delete(&keys::resource(sha1)).await {
            tracing::warn!(sha1, error = %e, "failed to delete a bad resource pool blob");
        }
    }

    // A panic while holding the lock cannot leave the map half-updated (single insert or
    // remove), so a poisoned lock is still safe to use.
    fn read_known(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, u64>> {
        self.known.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write_known(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, u64>> {
        self.known.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// SHA-1 and size of a local file, read in chunks.
async fn sha1_of_file(path: &Path) -> Result<(String, u64), PoolError> {
    let io_err = |source| PoolError::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = tokio::fs::File::open(path).await.map_err(io_err)?;
    let mut hasher = Sha1::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf).await.map_err(io_err)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((hex(&hasher.finalize()), size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v3_json_round_trip() {
        let json = r#"{"path":"app/main.rb","mode":"644","checksum":{"value":"a9993e364706816aba3e25717850c26c9cd0d89d"},"size_in_bytes":3}"#;
        let r: Resource = serde_json::from_str(json).unwrap();
        assert_eq!(
            r,
            Resource {
                path: "app/main.rb".into(),
                mode: "644".into(),
                sha1: "a9993e364706816aba3e25717850c26c9cd0d89d".into(),
                size: 3,
            }
        );
        let back: serde_json::Value = serde_json::to_value(&r).unwrap();
        assert_eq!(
            back,
            serde_json::from_str::<serde_json::Value>(json).unwrap()
        );
    }

    #[test]
    fn v2_json_and_default_mode() {
        let json = r#"{"fn":"bin/run","sha1":"a9993e364706816aba3e25717850c26c9cd0d89d","size":3}"#;
        let r: Resource = serde_json::from_str(json).unwrap();
        assert_eq!(r.path, "bin/run");
        assert_eq!(r.mode, DEFAULT_RESOURCE_MODE);
        assert_eq!(r.size, 3);
    }

    #[test]
    fn checksum_is_required() {
        let err = serde_json::from_str::<Resource>(r#"{"path":"a","size_in_bytes":1}"#);
        assert!(err.is_err());
    }
}
