//! Writes the package zip: sorted, deflated, unix modes kept, fixed timestamps.

use std::{
    fs::File,
    io::{BufReader, BufWriter, Read, Write},
    path::{Path, PathBuf},
};

use tempfile::NamedTempFile;
use zip::{CompressionMethod, DateTime, ZipWriter, write::SimpleFileOptions};

use super::{Assembled, PackageError};
use crate::hash::Hasher;

/// One entry of the package to write.
#[derive(Debug)]
pub(crate) struct OutEntry {
    /// Normalized path, without a trailing `/` for directories.
    pub path: String,
    /// Permission bits.
    pub mode: u32,
    pub kind: OutKind,
}

#[derive(Debug)]
pub(crate) enum OutKind {
    Dir,
    File { source: PathBuf, size: u64 },
    Symlink { target: String },
}

/// Writes `entries` (in path order) to a temp file in `dir` and hashes the result. The
/// caller renames the temp file into place, or drops it to delete it.
pub(crate) fn write_zip(
    mut entries: Vec<OutEntry>,
    dir: &Path,
) -> Result<(NamedTempFile, Assembled), PackageError> {
    entries.sort_by(|a, b| a.path.cmp(&b.path));

    let temp = tempfile::Builder::new()
        .prefix(".package-")
        .suffix(".zip")
        .tempfile_in(dir)
        .map_err(PackageError::io("create a temp file in", dir))?;
    let file = temp
        .as_file()
        .try_clone()
        .map_err(PackageError::io("open", temp.path()))?;
    let mut zip = ZipWriter::new(BufWriter::new(file));
    // A fixed time: the same files always give the same zip, hence the same checksum.
    let base = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::default());

    let mut file_count = 0;
    for entry in &entries {
        let opts = base.unix_permissions(entry.mode);
        match &entry.kind {
            OutKind::Dir => zip
                .add_directory(entry.path.as_str(), opts)
                .map_err(PackageError::Write)?,
            OutKind::Symlink { target } => {
                file_count += 1;
                zip.add_symlink(entry.path.as_str(), target.as_str(), opts)
                    .map_err(PackageError::Write)?;
            }
            OutKind::File { source, size } => {
                file_count += 1;
                // Without zip64 headers an entry stops at 4 GiB.
                let opts = opts.large_file(*size >= u64::from(u32::MAX));
                zip.start_file(entry.path.as_str(), opts)
                    .map_err(PackageError::Write)?;
                let mut input = File::open(source).map_err(PackageError::io("open", source))?;
                std::io::copy(&mut input, &mut zip)
                    .map_err(PackageError::io("copy into the package", source))?;
            }
        }
    }
    let mut out = zip.finish().map_err(PackageError::Write)?;
    out.flush()
        .map_err(PackageError::io("write", temp.path()))?;
    drop(out);

    let info = hash_file(temp.path())?;
    Ok((
        temp,
        Assembled {
            size: info.size,
            sha256: info.sha256,
            sha1: info.sha1,
            file_count,
        },
    ))
}

/// Hashes the finished zip by reading it back: the zip writer seeks back to patch headers,
/// so a hashing writer would see bytes that are later overwritten.
fn hash_file(path: &Path) -> Result<crate::BlobInfo, PackageError> {
    let file = File::open(path).map_err(PackageError::io("open", path))?;
    let mut reader = BufReader::new(file);
    let mut hasher = Hasher::default();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = reader
            .read(&mut buf)
            .map_err(PackageError::io("read", path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finish())
}
