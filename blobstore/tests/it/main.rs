//! Integration tests of the blobstore against both backends: a filesystem directory in a temp
//! dir, and a bucket of the S3-compatible server `tests/run` starts (s3s-fs), talked to over
//! HTTP with signed requests as a real S3 would be.

// The whole crate is tests; clippy's allow-unwrap-in-tests knows only `#[test]` functions, not
// the bodies `backend_tests!` runs once per backend.
#![allow(clippy::unwrap_used)]

mod assemble;
mod pool;
mod store;
mod support;
