//! HTTP plumbing every endpoint shares: CF errors, request bodies, list queries and label
//! selectors, absolute links, presenter pieces and `X-Cf-Warnings`.

pub mod errors;
pub mod links;
pub mod message;
pub mod multipart;
pub mod paging;
pub mod path;
pub mod present;
pub mod query;
pub mod reply;
pub mod selector;
pub mod warnings;
