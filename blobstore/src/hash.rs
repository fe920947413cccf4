//! Size and digests of a blob, computed while its bytes stream past so nothing is read twice.

use sha1::Sha1;
use sha2::{Digest, Sha256};

/// What the blobstore knows about a blob it wrote or read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobInfo {
    /// Length in bytes.
    pub size: u64,
    /// Lowercase hex SHA-1: the resource pool key and CC's `checksum` for packages.
    pub sha1: String,
    /// Lowercase hex SHA-256: what CC reports as a package's and droplet's checksum.
    pub sha256: String,
}

/// Running SHA-1 + SHA-256 + byte count.
#[derive(Debug, Clone, Default)]
pub(crate) struct Hasher {
    size: u64,
    sha1: Sha1,
    sha256: Sha256,
}

impl Hasher {
    pub(crate) fn update(&mut self, data: &[u8]) {
        self.size += data.len() as u64;
        self.sha1.update(data);
        self.sha256.update(data);
    }

    /// Bytes seen so far.
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    pub(crate) fn finish(self) -> BlobInfo {
        BlobInfo {
            size: self.size,
            sha1: hex(&self.sha1.finalize()),
            sha256: hex(&self.sha256.finalize()),
        }
    }
}

/// Lowercase hex, the form CC uses for every checksum.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Whether `s` looks like a SHA-1 as CC sends it (40 lowercase hex digits).
///
/// Checked before a client-supplied checksum becomes part of a blob key.
pub fn is_sha1(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests_of_empty_and_abc() {
        let empty = Hasher::default().finish();
        assert_eq!(empty.size, 0);
        assert_eq!(empty.sha1, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(
            empty.sha256,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );

        let mut h = Hasher::default();
        h.update(b"a");
        h.update(b"bc");
        let abc = h.finish();
        assert_eq!(abc.size, 3);
        assert_eq!(abc.sha1, "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(
            abc.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn sha1_shape() {
        assert!(is_sha1("a9993e364706816aba3e25717850c26c9cd0d89d"));
        assert!(!is_sha1("A9993E364706816ABA3E25717850C26C9CD0D89D"));
        assert!(!is_sha1("../../../../../../../../../../etc/passwd"));
        assert!(!is_sha1(""));
    }
}
