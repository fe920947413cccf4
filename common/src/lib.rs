//! What Smelter's long-running binaries share: logging, the health and metrics endpoints,
//! graceful shutdown and the check that the custom resources are installed.
#![forbid(unsafe_code)]

pub mod crd_check;
pub mod health;
pub mod secrets;
pub mod shutdown;
pub mod telemetry;
