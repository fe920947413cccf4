//! Integration tests of the blobstore against both backends: a filesystem directory in a temp
//! dir, and a bucket of the S3-compatible server `tests/run` starts (s3s-fs), talked to over
//! HTTP with signed requests as a real S3 would be.

mod assemble;
mod pool;
mod store;
mod support;
