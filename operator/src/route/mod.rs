//! Routes: the Ingress of each ([`ingress`], pure) and the controller that keeps it
//! ([`controller`]): Diego's route emitter.

pub(crate) mod controller;
pub mod ingress;
