//! What Smelter's long-running binaries share: logging, the health and metrics endpoints,
//! graceful shutdown, the check that the custom resources are installed, and the reading of
//! CF security group rules (checked by the one, enforced by the other).
#![forbid(unsafe_code)]

pub mod crd_check;
pub mod health;
pub mod secrets;
pub mod security_groups;
pub mod shutdown;
pub mod telemetry;
