//! Droplets and buildpack caches are gzipped tarballs. A droplet unpacks into `/home/vcap`:
//! `app/` (the staged app), `deps/` (what supply buildpacks installed), `profile.d/` (what the
//! final buildpack wants sourced at start), `tmp/`, `logs/` and `staging_info.yml`.

use flate2::{Compression, write::GzEncoder};
use sha2::{Digest, Sha256};
use std::{
    fs::{self, File},
    io::{self, Write},
    path::Path,
};

/// What was written: the tarball's sha256 (hex) and size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    pub sha256: String,
    pub size: u64,
}

/// Writes a gzipped tarball of `entries` (name in the archive, directory on disk) plus `files`
/// (name, contents) to `output`, atomically: it is written beside `output` and renamed into
/// place, so a failed staging never leaves half a droplet. Symlinks stay symlinks and file
/// modes are kept.
pub fn write(
    output: &Path,
    entries: &[(&str, &Path)],
    files: &[(&str, &[u8])],
) -> io::Result<Written> {
    let dir = output.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let partial = tempfile_in(dir, output)?;
    let result = (|| {
        let file = File::create(&partial)?;
        let hashing = Hashing::new(file);
        let mut tar = tar::Builder::new(GzEncoder::new(hashing, Compression::default()));
        tar.follow_symlinks(false);
        for (name, path) in entries {
            if path.is_dir() {
                tar.append_dir_all(name, path)?;
            } else {
                let mut header = tar::Header::new_gnu();
                header.set_entry_type(tar::EntryType::Directory);
                header.set_mode(0o755);
                header.set_size(0);
                tar.append_data(&mut header, name, io::empty())?;
            }
        }
        for (name, contents) in files {
            let mut header = tar::Header::new_gnu();
            header.set_mode(0o644);
            header.set_size(contents.len() as u64);
            tar.append_data(&mut header, name, *contents)?;
        }
        let hashing = tar.into_inner()?.finish()?;
        let (file, written) = hashing.finish();
        file.sync_all()?;
        Ok(written)
    })();
    match result {
        Ok(written) => {
            fs::rename(&partial, output)?;
            Ok(written)
        }
        Err(e) => {
            let _ = fs::remove_file(&partial);
            Err(e)
        }
    }
}

/// Unpacks a tarball written by [`write`] into `dir`, keeping modes (the tests' way of looking
/// inside a droplet; in pods the init container does this).
pub fn unpack(tarball: &Path, dir: &Path) -> io::Result<()> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(File::open(tarball)?));
    archive.set_preserve_permissions(true);
    archive.unpack(dir)
}

fn tempfile_in(dir: &Path, output: &Path) -> io::Result<std::path::PathBuf> {
    let name = output
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "droplet".into());
    Ok(dir.join(format!(".{name}.{}.partial", std::process::id())))
}

/// A writer that hashes and counts what passes through it.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    size: u64,
}

impl<W> Hashing<W> {
    fn new(inner: W) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            size: 0,
        }
    }

    fn finish(self) -> (W, Written) {
        let sha256 = crate::transfer::hex(&self.hasher.finalize());
        (
            self.inner,
            Written {
                sha256,
                size: self.size,
            },
        )
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
