//! Smelter's blobstore (ARCHITECTURE decision 4): package, droplet and buildpack bits on a
//! local volume or in S3, CF's resource pool, and assembly of a pushed package from an
//! uploaded zip plus the files the pool already had.

#![forbid(unsafe_code)]

mod hash;
pub mod keys;
pub mod package;
mod resources;
pub mod signing;
mod store;

pub use hash::{BlobInfo, is_sha1};
pub use package::{Assembled, Limits, PackageError, assemble};
pub use resources::{DEFAULT_RESOURCE_MODE, PoolError, Resource, ResourcePool};
pub use signing::{SignatureError, UrlSigner};
pub use store::{BlobMeta, Blobstore, BlobstoreError, Download, S3Config};
