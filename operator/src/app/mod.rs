//! Apps: what an app should run ([`desired`], pure), what its status says ([`status`], pure)
//! and the controller that makes its LRPs ([`controller`]).

pub(crate) mod controller;
pub mod desired;
pub mod status;
