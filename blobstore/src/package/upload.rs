//! Unzips an uploaded package into a private staging dir, refusing anything unsafe.
//!
//! Two passes: the central directory first (names, kinds, declared sizes, counts), so most
//! bad archives are refused before a byte is inflated; then every entry is read to its end,
//! which makes the zip crate check each CRC, while actual bytes are counted because headers
//! can lie.

use std::{
    fs::File,
    io::{BufReader, BufWriter, Read, Write},
    path::{Path, PathBuf},
};

use sha1::{Digest, Sha1};
use zip::{ZipArchive, result::ZipError};

use super::{Limits, PackageError, paths};
use crate::hash::hex;

/// Longest symlink target accepted (Linux `PATH_MAX`).
const MAX_SYMLINK_TARGET: u64 = 4096;

/// Mode for an entry without unix permissions (zipped on Windows). CC's default for
/// resources; owner-executable because Windows has no execute bit to carry.
const DEFAULT_FILE_MODE: u32 = 0o744;

const S_IFMT: u32 = 0o170_000;
const S_IFREG: u32 = 0o100_000;
const S_IFDIR: u32 = 0o040_000;
const S_IFLNK: u32 = 0o120_000;

/// One validated entry of the upload.
#[derive(Debug)]
pub(crate) struct UploadedEntry {
    /// Normalized path (see [`paths::normalize`]).
    pub path: String,
    /// Permission bits.
    pub mode: u32,
    pub kind: EntryKind,
}

#[derive(Debug)]
pub(crate) enum EntryKind {
    Dir,
    /// Contents copied to `staged`.
    File {
        staged: PathBuf,
        size: u64,
        sha1: String,
    },
    Symlink {
        target: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Dir,
    File,
    Symlink,
}

/// Validates `zip_path` and copies its files into `staging` (named by entry index).
pub(crate) fn stage_upload(
    zip_path: &Path,
    limits: &Limits,
    staging: &Path,
) -> Result<Vec<UploadedEntry>, PackageError> {
    let file = File::open(zip_path).map_err(PackageError::io("open", zip_path))?;
    let zip_size = file
        .metadata()
        .map_err(PackageError::io("read", zip_path))?
        .len();
    if zip_size > limits.max_package_bytes {
        return Err(PackageError::PackageTooLarge {
            max: limits.max_package_bytes,
        });
    }
    let mut archive = ZipArchive::new(BufReader::new(file)).map_err(zip_error)?;
    if archive.len() > limits.max_entries {
        return Err(PackageError::TooManyEntries {
            max: limits.max_entries,
        });
    }

    let planned = plan(&archive, limits)?;

    let mut entries = Vec::with_capacity(planned.len());
    let mut counter = Counter {
        total: 0,
        max: limits.max_uncompressed,
    };
    let mut buf = vec![0u8; 64 * 1024];
    for (index, path, kind, mode) in planned {
        let kind = match kind {
            Kind::Dir => EntryKind::Dir,
            Kind::File => {
                let staged = staging.join(format!("u{index}"));
                let (size, sha1) =
                    copy_entry(&mut archive, index, &staged, &mut counter, &mut buf)?;
                EntryKind::File { staged, size, sha1 }
            }
            Kind::Symlink => {
                let target = read_symlink(&mut archive, index, &path, &mut counter)?;
                if !paths::symlink_stays_inside(&path, &target) {
                    return Err(PackageError::SymlinkEscapes { path });
                }
                EntryKind::Symlink { target }
            }
        };
        entries.push(UploadedEntry { path, mode, kind });
    }
    Ok(entries)
}

/// Pass one: every entry's normalized path, kind and mode, from the central directory.
fn plan<R: Read + std::io::Seek>(
    archive: &ZipArchive<R>,
    limits: &Limits,
) -> Result<Vec<(usize, String, Kind, u32)>, PackageError> {
    let mut planned = Vec::with_capacity(archive.len());
    let mut declared_total = 0u64;
    for index in 0..archive.len() {
        let entry = archive.by_index_data(index).map_err(zip_error)?;
        let raw = entry.name().map_err(|_| PackageError::Corrupt)?;
        let path = paths::normalize(&raw).ok_or_else(|| PackageError::UnsafePath {
            path: raw.to_string(),
        })?;
        if entry.encrypted() {
            return Err(PackageError::Encrypted { path });
        }
        let unix = entry.unix_mode();
        let kind = match unix.map(|m| m & S_IFMT) {
            _ if raw.ends_with('/') => Kind::Dir,
            Some(S_IFDIR) => Kind::Dir,
            Some(S_IFLNK) => Kind::Symlink,
            Some(S_IFREG | 0) | None => Kind::File,
            Some(_) => return Err(PackageError::SpecialFile { path }),
        };
        if path.is_empty() {
            // "./" is the root itself, which needs no entry; "." as a file is nonsense.
            if kind == Kind::Dir {
                continue;
            }
            return Err(PackageError::UnsafePath {
                path: raw.to_string(),
            });
        }
        declared_total = declared_total.saturating_add(entry.size());
        if declared_total > limits.max_uncompressed {
            return Err(PackageError::UncompressedTooLarge {
                max: limits.max_uncompressed,
            });
        }
        let mode = match (kind, unix.map(|m| m & 0o777)) {
            (Kind::Dir, _) => 0o755,
            (Kind::Symlink, _) => 0o777,
            // No bits at all means none were recorded, not an unreadable file.
            (Kind::File, Some(0) | None) => DEFAULT_FILE_MODE,
            (Kind::File, Some(bits)) => bits,
        };
        planned.push((index, path, kind, mode));
    }
    Ok(planned)
}

/// Running total of bytes actually inflated, across all entries.
struct Counter {
    total: u64,
    max: u64,
}

impl Counter {
    /// Counts `n` more bytes; refuses before they are written anywhere.
    fn add(&mut self, n: usize) -> Result<(), PackageError> {
        self.total = self.total.saturating_add(n as u64);
        if self.total > self.max {
            return Err(PackageError::UncompressedTooLarge { max: self.max });
        }
        Ok(())
    }
}

/// Inflates one file entry to `staged`; returns its size and SHA-1.
fn copy_entry<R: Read + std::io::Seek>(
    archive: &mut ZipArchive<R>,
    index: usize,
    staged: &Path,
    counter: &mut Counter,
    buf: &mut [u8],
) -> Result<(u64, String), PackageError> {
    let mut entry = archive.by_index(index).map_err(zip_error)?;
    let declared = entry.size();
    let file = File::create(staged).map_err(PackageError::io("create", staged))?;
    let mut out = BufWriter::new(file);
    let mut hasher = Sha1::new();
    let mut size = 0u64;
    loop {
        // Any read error here is the archive's: bad deflate data, a CRC mismatch, more
        // bytes than declared, or a local header the central directory disagrees with.
        let n = entry.read(buf).map_err(|_| PackageError::Corrupt)?;
        if n == 0 {
            break;
        }
        counter.add(n)?;
        let chunk = buf.get(..n).ok_or(PackageError::Corrupt)?;
        hasher.update(chunk);
        out.write_all(chunk)
            .map_err(PackageError::io("write", staged))?;
        size += n as u64;
    }
    if size != declared {
        return Err(PackageError::Corrupt);
    }
    out.flush().map_err(PackageError::io("write", staged))?;
    Ok((size, hex(&hasher.finalize())))
}

/// Reads a symlink entry's target (its contents), bounded and to the end so the CRC is
/// checked.
fn read_symlink<R: Read + std::io::Seek>(
    archive: &mut ZipArchive<R>,
    index: usize,
    path: &str,
    counter: &mut Counter,
) -> Result<String, PackageError> {
    let mut entry = archive.by_index(index).map_err(zip_error)?;
    if entry.size() > MAX_SYMLINK_TARGET {
        return Err(PackageError::SymlinkEscapes {
            path: path.to_owned(),
        });
    }
    let mut target = Vec::new();
    // One byte past the limit tells an over-long target from one exactly at it.
    (&mut entry)
        .take(MAX_SYMLINK_TARGET + 1)
        .read_to_end(&mut target)
        .map_err(|_| PackageError::Corrupt)?;
    counter.add(target.len())?;
    if target.len() as u64 > MAX_SYMLINK_TARGET {
        return Err(PackageError::SymlinkEscapes {
            path: path.to_owned(),
        });
    }
    // Reaching the end is what makes the zip crate compare the CRC.
    let mut rest = [0u8; 1];
    if entry.read(&mut rest).map_err(|_| PackageError::Corrupt)? != 0
        || target.len() as u64 != entry.size()
    {
        return Err(PackageError::Corrupt);
    }
    String::from_utf8(target).map_err(|_| PackageError::SymlinkEscapes {
        path: path.to_owned(),
    })
}

fn zip_error(e: ZipError) -> PackageError {
    match e {
        ZipError::UnsupportedArchive(what) => PackageError::Unsupported {
            what: what.to_owned(),
        },
        ZipError::CompressionMethodNotSupported(method) => PackageError::Unsupported {
            what: format!("compression method {method}"),
        },
        _ => PackageError::Corrupt,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;
    use zip::{CompressionMethod, ZipWriter, write::SimpleFileOptions};

    /// A zip whose entry claims `claimed` bytes but inflates to `actual` zeros.
    fn lying_zip(actual: usize, claimed: u32) -> Vec<u8> {
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        let opts = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .unix_permissions(0o644);
        w.start_file("zeros", opts).unwrap();
        w.write_all(&vec![0u8; actual]).unwrap();
        let mut bytes = w.finish().unwrap().into_inner();
        let actual = u32::try_from(actual).unwrap().to_le_bytes();
        // Patch the uncompressed size in the local header (offset 22) and the central
        // directory entry (offset 24) wherever the true size appears.
        for (sig, offset) in [(b"PK\x03\x04", 22), (b"PK\x01\x02", 24)] {
            let at = bytes.windows(4).position(|w| w == sig).unwrap() + offset;
            assert_eq!(&bytes[at..at + 4], &actual);
            bytes[at..at + 4].copy_from_slice(&claimed.to_le_bytes());
        }
        bytes
    }

    fn staged_bytes(dir: &Path) -> u64 {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().metadata().unwrap().len())
            .sum()
    }

    #[test]
    fn lying_headers_are_refused_without_writing_past_the_limit() {
        let work = tempfile::tempdir().unwrap();
        let zip = work.path().join("bomb.zip");
        std::fs::write(&zip, lying_zip(4 << 20, 1000)).unwrap();
        let staging = work.path().join("staging");
        std::fs::create_dir(&staging).unwrap();
        let limits = Limits {
            max_uncompressed: 64 * 1024,
            ..Limits::default()
        };

        let err = stage_upload(&zip, &limits, &staging).unwrap_err();
        eprintln!("lying header refusal: {err}");
        assert!(
            matches!(
                err,
                PackageError::Corrupt | PackageError::UncompressedTooLarge { .. }
            ),
            "{err}"
        );
        assert!(staged_bytes(&staging) <= limits.max_uncompressed);
    }

    #[test]
    fn actual_bytes_are_counted_across_entries() {
        // Honest headers under the limit each, but the limit is tiny: the running count
        // across entries must stop the copy before it passes the limit.
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        let opts = SimpleFileOptions::default().unix_permissions(0o644);
        for name in ["a", "b", "c"] {
            w.start_file(name, opts).unwrap();
            w.write_all(&[7u8; 1000]).unwrap();
        }
        let work = tempfile::tempdir().unwrap();
        let zip = work.path().join("three.zip");
        std::fs::write(&zip, w.finish().unwrap().into_inner()).unwrap();
        let staging = work.path().join("staging");
        std::fs::create_dir(&staging).unwrap();

        let mut counter = Counter {
            total: 0,
            max: 2500,
        };
        let file = File::open(&zip).unwrap();
        let mut archive = ZipArchive::new(BufReader::new(file)).unwrap();
        let mut buf = vec![0u8; 256];
        let mut results = (0..3).map(|i| {
            copy_entry(
                &mut archive,
                i,
                &staging.join(i.to_string()),
                &mut counter,
                &mut buf,
            )
        });
        assert!(results.next().unwrap().is_ok());
        assert!(results.next().unwrap().is_ok());
        assert!(matches!(
            results.next().unwrap(),
            Err(PackageError::UncompressedTooLarge { max: 2500 })
        ));
        drop(results);
        assert!(staged_bytes(&staging) <= 2500);
    }
}
