//! The in-container lifecycle of Smelter (ARCHITECTURE.md, "lifecycle"): `builder` runs CF
//! buildpacks (`bin/detect`, `bin/supply`, `bin/finalize`, `bin/release`, legacy `bin/compile`)
//! and writes the droplet; `launcher` sets the CF environment and runs the start command.
//! Both are copied into pods at `/tmp/lifecycle/`. The operator reads the staging [`result`].
#![forbid(unsafe_code)]

pub mod builder;
pub mod buildpack;
pub mod droplet;
pub mod launcher;
pub mod result;
pub mod transfer;

/// The single-threaded runtime each program runs its I/O on: they do one thing at a time, and
/// a container's CPU limit makes more threads pointless.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}
