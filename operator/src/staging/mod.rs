//! Staging: a Build becomes a Job (see [`job`]) with the buildpacks [`select`] picks, whose
//! pod's outcome (see [`outcome`]) becomes the Build's status (see [`status`]). The
//! controller that does the I/O is [`controller`].

pub(crate) mod controller;
pub mod job;
pub mod outcome;
pub mod select;
pub mod status;

#[cfg(test)]
mod tests;
