//! Staging: a Build becomes a Job (see [`job`]) whose pod's outcome becomes the Build's status
//! (see [`outcome`]).

pub mod job;
pub mod outcome;

#[cfg(test)]
mod tests;
