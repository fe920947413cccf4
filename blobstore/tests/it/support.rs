//! Helpers shared by the integration tests.

use std::{
    io::{Cursor, Read, Write},
    path::{Path, PathBuf},
};

use zip::{CompressionMethod, ZipArchive, ZipWriter, write::SimpleFileOptions};

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
