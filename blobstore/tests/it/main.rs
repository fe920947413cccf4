//! Integration tests against the filesystem backend in temp dirs. (The S3 backend has no
//! server here; only its constructor is covered, by a unit test.)

mod assemble;
mod pool;
mod store;
mod support;
