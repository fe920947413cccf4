//! Helpers shared by the integration tests.

use std::{
    io::{Cursor, Read, Write},
    path::{Path, PathBuf},
};

use futures::TryStreamExt;
use smelter_blobstore::Blobstore;
use smelter_test_support::s3;
use zip::{CompressionMethod, ZipArchive, ZipWriter, write::SimpleFileOptions};

/// The blobstore's backends; tests that touch the store run against each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `blobs/` in the test's temp directory.
    Filesystem,
    /// A fresh bucket on the S3-compatible test server (`SMELTER_TEST_S3_*`).
    S3,
}

/// An empty blobstore of one kind, and a temp directory for the test's own files.
pub struct TestStore {
    pub kind: Kind,
    pub store: Blobstore,
    pub dir: tempfile::TempDir,
    bucket: String,
}

impl TestStore {
    pub async fn new(kind: Kind) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, bucket) = match kind {
            Kind::Filesystem => (
                Blobstore::filesystem(dir.path().join("blobs")).expect("filesystem blobstore"),
                String::new(),
            ),
            Kind::S3 => {
                let config = s3::bucket().await;
                let bucket = config.bucket.clone();
                (Blobstore::s3(config).expect("S3 blobstore"), bucket)
            }
        };
        Self {
            kind,
            store,
            dir,
            bucket,
        }
    }

    /// The filesystem store's directory.
    pub fn blobs_dir(&self) -> PathBuf {
        self.dir.path().join("blobs")
    }

    /// Keys of writes begun and neither published nor cleaned up: the filesystem store's
    /// staging files (`<key>#<n>`), S3's open multipart uploads.
    pub fn open_uploads(&self) -> Vec<String> {
        match self.kind {
            Kind::Filesystem => {
                let root = self.blobs_dir();
                files_under(&root)
                    .iter()
                    .filter_map(|path| {
                        let key = path.strip_prefix(&root).ok()?.to_str()?;
                        Some(key.split_once('#')?.0.to_owned())
                    })
                    .collect()
            }
            Kind::S3 => s3::open_uploads(&self.bucket),
        }
    }

    /// Every key the store lists, sorted.
    pub async fn keys(&self) -> Vec<String> {
        let mut keys = Vec::new();
        for top in self.store.top_level().await.expect("top level") {
            let listed: Vec<String> = self
                .store
                .list_stream(&top)
                .map_ok(|blob| blob.key)
                .try_collect()
                .await
                .expect("list");
            keys.extend(listed);
        }
        keys.sort();
        keys
    }
}

/// Runs each `async fn NAME(kind: Kind)` listed as two tests, `filesystem::NAME` and
/// `s3::NAME`: one body, so the backends are held to the same behaviour.
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod filesystem {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::support::Kind::Filesystem).await;
                }
            )*
        }
        mod s3 {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::support::Kind::S3).await;
                }
            )*
        }
    };
}
pub(crate) use backend_tests;

/// One entry to put in a test zip; names are written verbatim, unsafe ones included.
pub enum Spec<'a> {
    File(&'a str, &'a [u8], u32),
    Dir(&'a str),
    Symlink(&'a str, &'a str),
}

pub fn zip_bytes(specs: &[Spec<'_>]) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    let base = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for spec in specs {
        match spec {
            Spec::File(name, data, mode) => {
                w.start_file(*name, base.unix_permissions(*mode))
                    .expect("start file");
                w.write_all(data).expect("write entry");
            }
            Spec::Dir(name) => w.add_directory(*name, base).expect("add dir"),
            Spec::Symlink(name, target) => {
                w.add_symlink(*name, *target, base).expect("add symlink")
            }
        }
    }
    w.finish().expect("finish zip").into_inner()
}

pub fn write_zip(path: &Path, specs: &[Spec<'_>]) {
    std::fs::write(path, zip_bytes(specs)).expect("write zip");
}

/// An entry as read back: name, full unix mode (type bits included) and contents.
#[derive(Debug, PartialEq, Eq)]
pub struct ZipEntry {
    pub name: String,
    pub mode: u32,
    pub data: Vec<u8>,
}

pub fn read_zip(path: &Path) -> Vec<ZipEntry> {
    let mut archive =
        ZipArchive::new(std::fs::File::open(path).expect("open zip")).expect("read zip");
    (0..archive.len())
        .map(|i| {
            let mut f = archive.by_index(i).expect("zip entry");
            let mut data = Vec::new();
            f.read_to_end(&mut data).expect("read entry");
            ZipEntry {
                name: f.name().expect("entry name").to_string(),
                mode: f.unix_mode().expect("unix mode"),
                data,
            }
        })
        .collect()
}

/// Every file (not directory) below `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

pub fn sha1_hex(data: &[u8]) -> String {
    use sha1::Digest;
    hex(&sha1::Sha1::digest(data))
}

pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(data))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
