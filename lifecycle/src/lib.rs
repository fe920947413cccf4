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
