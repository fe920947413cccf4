//! Where CF state lives: watch caches of the custom resources (reads) and the writes made to
//! the API server as the caller.

pub mod cache;
pub mod owner;
pub mod store;
pub mod uploads;
pub mod write;
