//! Moving bits between pods and the blobstore over the api-shim's signed URLs: downloads
//! checked against the sha256 the operator expects, and uploads that tell the api-shim the
//! sha256 to expect, so corruption on either path is caught.

use sha2::{Digest, Sha256};
use std::{
    fs,
    path::{Path, PathBuf},
};
use tokio::io::AsyncWriteExt;

/// The HTTP client for blob transfers. reqwest is built with rustls but no bundled crypto
/// provider (the workspace's choice, see the blobstore crate), and panics when building a
/// client unless one is installed: a workspace build (`cargo build --bins`) unifies that
/// feature into these binaries too. An Err from `install_default` means a provider is
/// already installed, which is just as good.
pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error("failed to {what} {url}")]
    Http {
        what: &'static str,
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("{url} answered {status}: {body}")]
    Status {
        url: String,
        status: u16,
        body: String,
    },
    #[error("the download from {url} has sha256 {actual}, not the expected {expected}")]
    Checksum {
        url: String,
        expected: String,
        actual: String,
    },
    #[error("failed to {what} {path}")]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to unpack {path}")]
    Zip {
        path: PathBuf,
        #[source]
        source: zip::result::ZipError,
    },
}

fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> TransferError {
    let path = path.to_owned();
    move |source| TransferError::Io { what, path, source }
}

/// What the signed URLs carry in their query; never logged.
pub fn redact(url: &str) -> String {
    url.split_once('?')
        .map_or_else(|| url.to_owned(), |(base, _)| format!("{base}?..."))
}

/// Downloads `url` to `dest`, which appears only complete and, when `sha256` is given, only
/// with that digest. `Ok(false)` when `optional` and there is nothing at the URL (a first
/// staging has no buildpack cache).
pub async fn download(
    client: &reqwest::Client,
    url: &str,
    dest: &Path,
    sha256: Option<&str>,
    optional: bool,
) -> Result<bool, TransferError> {
    let shown = redact(url);
    let http = |what| {
        let url = shown.clone();
        move |source| TransferError::Http { what, url, source }
    };
    let response = client.get(url).send().await.map_err(http("download"))?;
    let status = response.status();
    if optional && status == reqwest::StatusCode::NOT_FOUND {
        return Ok(false);
    }
    let mut response = success(response, &shown).await?;
    let partial = dest.with_extension("partial");
    if let Some(dir) = dest.parent() {
        fs::create_dir_all(dir).map_err(io("create", dir))?;
    }
    let mut file = tokio::fs::File::create(&partial)
        .await
        .map_err(io("create", &partial))?;
    let mut hasher = Sha256::new();
    while let Some(chunk) = response.chunk().await.map_err(http("download"))? {
        hasher.update(&chunk);
        file.write_all(&chunk)
            .await
            .map_err(io("write", &partial))?;
    }
    file.flush().await.map_err(io("write", &partial))?;
    drop(file);
    let actual = hex(&hasher.finalize());
    if let Some(expected) = sha256
        && !expected.eq_ignore_ascii_case(&actual)
    {
        let _ = fs::remove_file(&partial);
        return Err(TransferError::Checksum {
            url: shown,
            expected: expected.to_owned(),
            actual,
        });
    }
    fs::rename(&partial, dest).map_err(io("rename", dest))?;
    Ok(true)
}

/// Uploads `path` to `url`, telling the api-shim its sha256, streaming it from disk.
pub async fn upload(
    client: &reqwest::Client,
    url: &str,
    path: &Path,
    sha256: &str,
) -> Result<(), TransferError> {
    let shown = redact(url);
    let file = tokio::fs::File::open(path)
        .await
        .map_err(io("open", path))?;
    let size = file.metadata().await.map_err(io("read", path))?.len();
    let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(file));
    let separator = if url.contains('?') { '&' } else { '?' };
    let response = client
        .put(format!("{url}{separator}sha256={sha256}"))
        .header(reqwest::header::CONTENT_LENGTH, size)
        .body(body)
        .send()
        .await
        .map_err(|source| TransferError::Http {
            what: "upload to",
            url: shown.clone(),
            source,
        })?;
    success(response, &shown).await.map(drop)
}

/// The response if it is a success, else its status and body as the error.
async fn success(
    response: reqwest::Response,
    shown: &str,
) -> Result<reqwest::Response, TransferError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let body = response.text().await.unwrap_or_default();
    Err(TransferError::Status {
        url: shown.to_owned(),
        status: status.as_u16(),
        body,
    })
}

/// Unpacks a zip (package bits, a buildpack) into `dir`, keeping file modes; entries that
/// would land outside `dir` are not written.
pub fn unzip(path: &Path, dir: &Path) -> Result<(), TransferError> {
    let file = fs::File::open(path).map_err(io("open", path))?;
    let mut archive = zip::ZipArchive::new(file).map_err(|source| TransferError::Zip {
        path: path.to_owned(),
        source,
    })?;
    fs::create_dir_all(dir).map_err(io("create", dir))?;
    archive.extract(dir).map_err(|source| TransferError::Zip {
        path: path.to_owned(),
        source,
    })
}

pub fn sha256_file(path: &Path) -> Result<String, TransferError> {
    use std::io::Read;
    let mut file = fs::File::open(path).map_err(io("open", path))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buffer).map_err(io("read", path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// Lowercase hex, as digests are written everywhere in CF.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
