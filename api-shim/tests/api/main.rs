//! The CF API of the api-shim against the real test Kubernetes, with the operator's
//! controllers running: every request goes over HTTP, every write through the API server.

mod apps;
mod bad_input;
mod blob_gc;
mod buildpacks;
mod env_groups;
mod feature_flags;
use smelter_test_harness as harness;
mod internal_blobs;
mod isolation_segments;
mod lists;
mod login;
mod manifests;
mod matrix;
mod orgs_spaces;
mod quota_usage;
mod quotas;
mod roles;
mod security_groups;
mod services;
mod staging;
mod upload;
mod users;
mod warnings;
