//! The blobstore: one `object_store` code path over a local directory (a PVC in production)
//! or an S3 bucket.
//!
//! Writes stream through at most one 5 MiB part in memory and a blob only becomes visible
//! when complete: `LocalFileSystem` stages into `<key>#<n>` and renames, S3 publishes on the
//! PUT or on `CompleteMultipartUpload`. Every failure path aborts the upload.

use std::{
    error::Error as StdError,
    fmt,
    path::{Path, PathBuf},
    pin::{Pin, pin},
    sync::Arc,
    time::SystemTime,
};

use bytes::Bytes;
use futures::{Stream, StreamExt, TryStreamExt, stream::BoxStream};
use object_store::{
    ObjectStore, ObjectStoreExt, PutPayloadMut, WriteMultipart, aws::AmazonS3Builder,
    local::LocalFileSystem, path::Path as ObjectPath,
};
use tokio::io::AsyncWriteExt;

use crate::hash::{BlobInfo, Hasher};

/// Multipart part size: S3's minimum for all but the last part.
const MULTIPART_PART_SIZE: usize = 5 * 1024 * 1024;

/// Parts in flight per upload; with 5 MiB parts this bounds an upload's memory to ~25 MiB.
const MAX_PARTS_IN_FLIGHT: usize = 4;

/// Read size when streaming a local file into the store.
const FILE_READ_CHUNK: usize = 256 * 1024;

/// Errors from blobstore operations.
#[derive(Debug, thiserror::Error)]
pub enum BlobstoreError {
    /// The key is not plain `a/b/c` ASCII segments (see [`crate::keys`]).
    #[error("invalid blob key '{key}'")]
    InvalidKey { key: String },
    /// No blob at the key.
    #[error("blob '{key}' not found")]
    NotFound { key: String },
    /// The stream went past the caller's `max_size`; nothing was stored.
    #[error("blob '{key}' is larger than {max} bytes")]
    TooLarge { key: String, max: u64 },
    /// The caller's stream (an HTTP body, a file) failed; nothing was stored.
    #[error("failed to read the data for blob '{key}'")]
    Source {
        key: String,
        #[source]
        source: Box<dyn StdError + Send + Sync>,
    },
    /// The backend refused or failed.
    #[error("failed to {action} blob '{key}'")]
    Store {
        action: &'static str,
        key: String,
        #[source]
        source: object_store::Error,
    },
    /// A local file could not be read or written.
    #[error("failed to {action} '{}'", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The backend could not be set up from its configuration.
    #[error("failed to configure the {backend} blobstore")]
    Config {
        backend: &'static str,
        #[source]
        source: object_store::Error,
    },
}

impl BlobstoreError {
    /// Whether the blob simply is not there (a 404 rather than a 500 for callers).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }

    fn store(action: &'static str, key: &str, source: object_store::Error) -> Self {
        match source {
            object_store::Error::NotFound { .. } => Self::NotFound {
                key: key.to_owned(),
            },
            source => Self::Store {
                action,
                key: key.to_owned(),
                source,
            },
        }
    }

    fn io(action: &'static str, path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            action,
            path: path.to_owned(),
            source,
        }
    }
}

/// Connection settings for an S3 (or S3-compatible) bucket.
#[derive(Clone, Default)]
pub struct S3Config {
    /// Endpoint of an S3-compatible service (MinIO, Ceph RGW, ...); `None` means AWS itself.
    /// Requests use path-style URLs, which every compatible service accepts.
    pub endpoint: Option<String>,
    /// Bucket holding all kinds of bits (they are separated by key prefix).
    pub bucket: String,
    /// Region, e.g. `us-east-1`; compatible services usually accept any value.
    pub region: String,
    /// Static access key id.
    pub access_key_id: String,
    /// Static secret access key.
    pub secret_access_key: String,
    /// Allow an `http://` endpoint, e.g. an in-cluster MinIO without TLS.
    pub allow_http: bool,
}

// Hand-written so the secret never reaches a log line.
impl fmt::Debug for S3Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("allow_http", &self.allow_http)
            .finish()
    }
}

/// A stored blob as `list` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobMeta {
    /// The full key, e.g. `resources/<sha1>`.
    pub key: String,
    /// Length in bytes.
    pub size: u64,
    /// When the blob was last written (published), by the backend's clock: the file's mtime,
    /// or S3's `LastModified`.
    pub last_modified: SystemTime,
}

/// A blob being read, for serving a download without buffering it.
pub struct Download {
    /// Length in bytes, for `Content-Length`.
    pub size: u64,
    /// The bytes, in order.
    pub stream: BoxStream<'static, Result<Bytes, BlobstoreError>>,
}

impl fmt::Debug for Download {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Download")
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// Package, droplet, buildpack and resource bits. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Blobstore {
    inner: Arc<dyn ObjectStore>,
}

impl Blobstore {
    /// A blobstore in a local directory, created if missing.
    pub fn filesystem(dir: impl AsRef<Path>) -> Result<Self, BlobstoreError> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| BlobstoreError::io("create", dir, e))?;
        let store = LocalFileSystem::new_with_prefix(dir)
            .map_err(|source| BlobstoreError::Config {
                backend: "filesystem",
                source,
            })?
            // Deleting the last blob under a prefix removes the emptied directories too, so
            // per-app buildpack cache directories do not pile up on the volume.
            .with_automatic_cleanup(true)
            // A blob is recorded in a CRD as soon as the put returns; without fsync a node
            // crash could leave that record pointing at a truncated file.
            .with_fsync(true);
        Ok(Self {
            inner: Arc::new(store),
        })
    }

    /// A blobstore in an S3 bucket. Builds the client only; nothing is contacted until the
    /// first operation.
    pub fn s3(config: S3Config) -> Result<Self, BlobstoreError> {
        // reqwest is built without a bundled TLS provider (the workspace uses ring, and aws-lc
        // would add a C build) and panics when building a client if none is installed. An Err
        // here means some provider already is, which is just as good.
        let _ = rustls::crypto::ring::default_provider().install_default();

        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(config.bucket)
            .with_region(config.region)
            .with_access_key_id(config.access_key_id)
            .with_secret_access_key(config.secret_access_key)
            .with_allow_http(config.allow_http);
        if let Some(endpoint) = config.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        let store = builder.build().map_err(|source| BlobstoreError::Config {
            backend: "s3",
            source,
        })?;
        Ok(Self {
            inner: Arc::new(store),
        })
    }

    /// Stores a local file at `key`, replacing any blob there.
    pub async fn put_file(&self, key: &str, path: &Path) -> Result<BlobInfo, BlobstoreError> {
        let file = tokio::fs::File::open(path)
            .await
            .map_err(|e| BlobstoreError::io("open", path, e))?;
        let stream = tokio_util::io::ReaderStream::with_capacity(file, FILE_READ_CHUNK);
        self.put_stream(key, stream, u64::MAX).await
    }

    /// Stores a stream at `key`, replacing any blob there, and returns its size and digests.
    ///
    /// If the stream yields an error, goes past `max_size` bytes, or the backend fails, the
    /// upload is aborted: nothing new appears at `key` (a blob already there is untouched)
    /// and no staging file is left behind. Dropping the future aborts it as well.
    pub async fn put_stream<S, E>(
        &self,
        key: &str,
        stream: S,
        max_size: u64,
    ) -> Result<BlobInfo, BlobstoreError>
    where
        S: Stream<Item = Result<Bytes, E>>,
        E: Into<Box<dyn StdError + Send + Sync>>,
    {
        let location = parse_key(key)?;
        let mut stream = pin!(stream);
        let mut hasher = Hasher::default();

        // Up to one part's worth is buffered first; if the stream ends there (most
        // resource-pool files) a single PUT stores it, where S3 multipart would need three
        // requests. Both paths publish atomically (LocalFileSystem stages and renames).
        let mut head = PutPayloadMut::new();
        while head.content_length() < MULTIPART_PART_SIZE {
            match next_chunk(&mut stream, &mut hasher, key, max_size).await? {
                Some(chunk) => head.push(chunk),
                None => {
                    self.inner
                        .put(&location, head.freeze())
                        .await
                        .map_err(|e| BlobstoreError::store("write", key, e))?;
                    return Ok(hasher.finish());
                }
            }
        }

        let upload = self
            .inner
            .put_multipart(&location)
            .await
            .map_err(|e| BlobstoreError::store("start an upload of", key, e))?;
        let mut pending = PendingUpload(Some(WriteMultipart::new_with_chunk_size(
            upload,
            MULTIPART_PART_SIZE,
        )));
        let copied = async {
            for chunk in head.freeze() {
                pending
                    .write(chunk)
                    .await
                    .map_err(|e| BlobstoreError::store("write", key, e))?;
            }
            while let Some(chunk) = next_chunk(&mut stream, &mut hasher, key, max_size).await? {
                pending
                    .write(chunk)
                    .await
                    .map_err(|e| BlobstoreError::store("write", key, e))?;
            }
            Ok::<_, BlobstoreError>(())
        }
        .await;

        match copied {
            Ok(()) => {
                pending
                    .finish()
                    .await
                    .map_err(|e| BlobstoreError::store("write", key, e))?;
                Ok(hasher.finish())
            }
            Err(err) => {
                if let Err(abort_err) = pending.abort().await {
                    tracing::warn!(key, error = %abort_err, "failed to abort a blob upload");
                }
                Err(err)
            }
        }
    }

    /// Copies the blob at `key` into a local file, which appears only once complete.
    pub async fn get_to_file(&self, key: &str, path: &Path) -> Result<BlobInfo, BlobstoreError> {
        let location = parse_key(key)?;
        let result = self
            .inner
            .get(&location)
            .await
            .map_err(|e| BlobstoreError::store("read", key, e))?;

        // A temp file beside the target, so the final rename stays on one filesystem; it is
        // removed on drop if anything below fails.
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let temp = tempfile::Builder::new()
            .prefix(".download-")
            .tempfile_in(dir)
            .map_err(|e| BlobstoreError::io("create a temp file in", dir, e))?;
        let std_file = temp
            .as_file()
            .try_clone()
            .map_err(|e| BlobstoreError::io("open", temp.path(), e))?;
        let mut file = tokio::fs::File::from_std(std_file);

        let mut hasher = Hasher::default();
        let mut stream = result.into_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| BlobstoreError::store("read", key, e))?;
            hasher.update(&chunk);
            file.write_all(&chunk)
                .await
                .map_err(|e| BlobstoreError::io("write", temp.path(), e))?;
        }
        file.flush()
            .await
            .map_err(|e| BlobstoreError::io("write", temp.path(), e))?;
        drop(file);
        temp.persist(path)
            .map_err(|e| BlobstoreError::io("rename a temp file to", path, e.error))?;
        Ok(hasher.finish())
    }

    /// Opens the blob at `key` for streaming, or `None` if there is none.
    pub async fn get_stream(&self, key: &str) -> Result<Option<Download>, BlobstoreError> {
        let location = parse_key(key)?;
        let result = match self.inner.get(&location).await {
            Ok(result) => result,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(BlobstoreError::store("read", key, e)),
        };
        let size = result.meta.size;
        let owned_key = key.to_owned();
        let stream = result
            .into_stream()
            .map_err(move |e| BlobstoreError::store("read", &owned_key, e))
            .boxed();
        Ok(Some(Download { size, stream }))
    }

    /// Whether a blob exists at `key`.
    pub async fn exists(&self, key: &str) -> Result<bool, BlobstoreError> {
        let location = parse_key(key)?;
        match self.inner.head(&location).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(BlobstoreError::store("look up", key, e)),
        }
    }

    /// Deletes the blob at `key`; deleting a missing blob succeeds.
    pub async fn delete(&self, key: &str) -> Result<(), BlobstoreError> {
        let location = parse_key(key)?;
        match self.inner.delete(&location).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(BlobstoreError::store("delete", key, e)),
        }
    }

    /// Every blob under `prefix`, which matches whole key segments: `resources` lists
    /// `resources/...` but not `resourcesX/...`.
    pub async fn list(&self, prefix: &str) -> Result<Vec<BlobMeta>, BlobstoreError> {
        self.list_stream(prefix).try_collect().await
    }

    /// [`Self::list`] as a stream, for walking a prefix of any size in bounded memory: S3
    /// pages through the keys a thousand at a time, the filesystem walks its directories in
    /// batches. Blobs written or deleted during the walk may or may not appear; a blob deleted
    /// under the walk (by another api-shim replica, say) is skipped, not an error.
    pub fn list_stream(
        &self,
        prefix: &str,
    ) -> BoxStream<'static, Result<BlobMeta, BlobstoreError>> {
        let location = match parse_key(prefix) {
            Ok(location) => location,
            Err(e) => return futures::stream::once(async { Err(e) }).boxed(),
        };
        let owned_prefix = prefix.to_owned();
        self.inner
            .list(Some(&location))
            .map_ok(|meta| BlobMeta {
                key: meta.location.to_string(),
                size: meta.size,
                last_modified: meta.last_modified.into(),
            })
            .map_err(move |e| BlobstoreError::store("list", &owned_prefix, e))
            .boxed()
    }

    /// The first segment of every key (one per kind of bits stored, `packages`, `resources`,
    /// ...), without walking below it: for noticing keys no one knows about.
    pub async fn top_level(&self) -> Result<Vec<String>, BlobstoreError> {
        let listed = self
            .inner
            .list_with_delimiter(None)
            .await
            .map_err(|e| BlobstoreError::store("list", "/", e))?;
        Ok(listed
            .common_prefixes
            .iter()
            .chain(listed.objects.iter().map(|o| &o.location))
            .map(ToString::to_string)
            .collect())
    }
}

/// The next chunk of the caller's stream, hashed and counted; refuses it before it is
/// written anywhere if it would pass `max_size`.
async fn next_chunk<S, E>(
    stream: &mut Pin<&mut S>,
    hasher: &mut Hasher,
    key: &str,
    max_size: u64,
) -> Result<Option<Bytes>, BlobstoreError>
where
    S: Stream<Item = Result<Bytes, E>>,
    E: Into<Box<dyn StdError + Send + Sync>>,
{
    let Some(chunk) = stream.next().await else {
        return Ok(None);
    };
    let chunk = chunk.map_err(|e| BlobstoreError::Source {
        key: key.to_owned(),
        source: e.into(),
    })?;
    if hasher.size().saturating_add(chunk.len() as u64) > max_size {
        return Err(BlobstoreError::TooLarge {
            key: key.to_owned(),
            max: max_size,
        });
    }
    hasher.update(&chunk);
    Ok(Some(chunk))
}

/// A multipart upload that is aborted if dropped before `finish` or `abort` (a client
/// hanging up mid-push). Without this an S3 multipart upload would linger, billed, until a
/// bucket lifecycle rule removes it. The `Option` is only emptied by those two consuming
/// methods and by `drop`.
struct PendingUpload(Option<WriteMultipart>);

impl PendingUpload {
    async fn write(&mut self, chunk: Bytes) -> object_store::Result<()> {
        if let Some(writer) = self.0.as_mut() {
            // Back pressure: wait for an in-flight part before buffering more.
            writer.wait_for_capacity(MAX_PARTS_IN_FLIGHT).await?;
            writer.put(chunk);
        }
        Ok(())
    }

    /// Publishes the blob; on failure `WriteMultipart::finish` aborts the upload itself.
    async fn finish(mut self) -> object_store::Result<()> {
        match self.0.take() {
            Some(writer) => writer.finish().await.map(drop),
            None => Ok(()),
        }
    }

    async fn abort(mut self) -> object_store::Result<()> {
        match self.0.take() {
            Some(writer) => writer.abort().await,
            None => Ok(()),
        }
    }
}

impl Drop for PendingUpload {
    fn drop(&mut self) {
        if let Some(writer) = self.0.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(async move {
                if let Err(e) = writer.abort().await {
                    tracing::warn!(error = %e, "failed to abort a dropped blob upload");
                }
            });
        }
    }
}

/// Accepts only plain `a/b/c` keys of ASCII letters, digits, `-`, `_` and `.`.
///
/// Keys embed guids and stack names; anything else could become `..` or an absolute path on
/// the filesystem backend, or a `name#1` that `LocalFileSystem` would mistake for one of its
/// own staging files and hide from `list`.
fn parse_key(key: &str) -> Result<ObjectPath, BlobstoreError> {
    let plain = !key.is_empty()
        && key.split('/').all(|segment| {
            !segment.is_empty()
                && segment != "."
                && segment != ".."
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        });
    let invalid = || BlobstoreError::InvalidKey {
        key: key.to_owned(),
    };
    if !plain {
        return Err(invalid());
    }
    ObjectPath::parse(key).map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_must_be_plain_segments() {
        for good in [
            "packages/0f1e-2d",
            "resources/abc",
            "buildpack_cache/a/cflinuxfs4",
        ] {
            assert!(parse_key(good).is_ok(), "{good}");
        }
        for bad in [
            "", "/abs", "a//b", "a/../b", "..", "a/./b", "a/b/", "a#1", "a b", "a\\b", "é",
        ] {
            assert!(
                matches!(parse_key(bad), Err(BlobstoreError::InvalidKey { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn s3_debug_hides_the_secret() {
        let config = S3Config {
            secret_access_key: "hunter2".into(),
            ..S3Config::default()
        };
        assert!(!format!("{config:?}").contains("hunter2"));
    }

    // Only builds the client (no request is made): proves the TLS provider wiring does not
    // panic. Talking to an S3 server is tested in tests/it, against the test server.
    #[tokio::test]
    async fn s3_constructor_builds_a_client() {
        let store = Blobstore::s3(S3Config {
            endpoint: Some("http://127.0.0.1:9".into()),
            bucket: "bits".into(),
            region: "us-east-1".into(),
            access_key_id: "id".into(),
            secret_access_key: "secret".into(),
            allow_http: true,
        });
        assert!(store.is_ok());
    }
}
