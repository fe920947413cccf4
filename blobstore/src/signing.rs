//! Signed blob URLs (ARCHITECTURE decision 4): pods fetch package bits, buildpacks and droplets,
//! and staging pods store droplets, over plain HTTP at the api-shim's internal endpoint, with
//! no CF token. What authorizes a request is an HMAC over the method, the blob key and an
//! expiry, made by whoever holds the key (the operator, writing a Job or workload) and checked
//! by the api-shim. Both read the key from one Secret in the root namespace.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The Secret (in the root namespace) that holds the key, unless configured otherwise.
pub const DEFAULT_SECRET: &str = "smelter-blob-signing-key";

/// The Secret data field holding the key.
pub const SIGNING_KEY_FIELD: &str = "key";

/// The path under which the api-shim serves signed blob requests.
pub const SIGNED_PATH_PREFIX: &str = "/internal/v1/blobs/";

/// Why a signed request is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    #[error("the signed URL has expired")]
    Expired,
    #[error("the URL's signature does not match")]
    Invalid,
}

/// Signs and checks blob URLs with one key.
#[derive(Clone)]
pub struct UrlSigner {
    key: Vec<u8>,
}

impl std::fmt::Debug for UrlSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UrlSigner(..)")
    }
}

impl UrlSigner {
    pub fn new(key: impl Into<Vec<u8>>) -> Self {
        Self { key: key.into() }
    }

    fn mac(&self, method: &str, blob_key: &str, expires: u64) -> Hmac<Sha256> {
        // `new_from_slice` accepts keys of any length for HMAC; the error arm is unreachable.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key)
            .unwrap_or_else(|_| <Hmac<Sha256> as KeyInit>::new(&Default::default()));
        // The method is part of what is signed, so a download URL cannot be used to upload.
        mac.update(method.as_bytes());
        mac.update(b"\n");
        mac.update(blob_key.as_bytes());
        mac.update(b"\n");
        mac.update(expires.to_string().as_bytes());
        mac
    }

    /// The signature of `method` on `blob_key` until `expires` (Unix seconds), hex.
    pub fn signature(&self, method: &str, blob_key: &str, expires: u64) -> String {
        let bytes = self.mac(method, blob_key, expires).finalize().into_bytes();
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A URL under `base` (the api-shim's internal address) for `method` on `blob_key`, valid
    /// for `ttl` from `now`.
    pub fn url(
        &self,
        base: &str,
        method: &str,
        blob_key: &str,
        now: SystemTime,
        ttl: Duration,
    ) -> String {
        let expires = now
            .checked_add(ttl)
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs());
        format!(
            "{}{SIGNED_PATH_PREFIX}{blob_key}?expires={expires}&signature={}",
            base.trim_end_matches('/'),
            self.signature(method, blob_key, expires)
        )
    }

    /// Checks a request's signature (constant time) and expiry.
    pub fn verify(
        &self,
        method: &str,
        blob_key: &str,
        expires: u64,
        signature: &str,
        now: SystemTime,
    ) -> Result<(), SignatureError> {
        let Some(given) = decode_hex(signature) else {
            return Err(SignatureError::Invalid);
        };
        self.mac(method, blob_key, expires)
            .verify_slice(&given)
            .map_err(|_| SignatureError::Invalid)?;
        let now = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        if now > expires {
            return Err(SignatureError::Expired);
        }
        Ok(())
    }
}

/// A fresh random key.
pub fn generate_key() -> Vec<u8> {
    let mut key = vec![0u8; 32];
    // The OS random source failing leaves no way to make a secret key; a zero key would
    // be guessable, so refuse to go on.
    getrandom::fill(&mut key).expect("the operating system's random source failed");
    key
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn urls_carry_an_expiry_and_a_signature_that_verifies() {
        let signer = UrlSigner::new(b"k".to_vec());
        let url = signer.url(
            "http://smelter-api.cf.svc:8080/",
            "GET",
            "droplets/d1",
            at(1000),
            Duration::from_secs(60),
        );
        let signature = signer.signature("GET", "droplets/d1", 1060);
        assert_eq!(
            url,
            format!(
                "http://smelter-api.cf.svc:8080/internal/v1/blobs/droplets/d1?expires=1060&signature={signature}"
            )
        );
        assert_eq!(signature.len(), 64);
        assert_eq!(
            signer.verify("GET", "droplets/d1", 1060, &signature, at(1060)),
            Ok(())
        );
    }

    #[test]
    fn anything_changed_or_late_is_refused() {
        let signer = UrlSigner::new(b"k".to_vec());
        let good = signer.signature("GET", "droplets/d1", 1060);
        let cases = [
            (
                "PUT",
                "droplets/d1",
                1060,
                good.clone(),
                SignatureError::Invalid,
            ),
            (
                "GET",
                "droplets/d2",
                1060,
                good.clone(),
                SignatureError::Invalid,
            ),
            (
                "GET",
                "droplets/d1",
                9999,
                good.clone(),
                SignatureError::Invalid,
            ),
            (
                "GET",
                "droplets/d1",
                1060,
                "zz".into(),
                SignatureError::Invalid,
            ),
            (
                "GET",
                "droplets/d1",
                1060,
                "abc".into(),
                SignatureError::Invalid,
            ),
            (
                "GET",
                "droplets/d1",
                1060,
                String::new(),
                SignatureError::Invalid,
            ),
        ];
        for (method, key, expires, signature, error) in cases {
            assert_eq!(
                signer.verify(method, key, expires, &signature, at(1000)),
                Err(error),
                "{method} {key} {expires} {signature}"
            );
        }
        assert_eq!(
            signer.verify("GET", "droplets/d1", 1060, &good, at(1061)),
            Err(SignatureError::Expired)
        );
        let other = UrlSigner::new(b"other".to_vec());
        assert_eq!(
            other.verify("GET", "droplets/d1", 1060, &good, at(1000)),
            Err(SignatureError::Invalid)
        );
    }
}
