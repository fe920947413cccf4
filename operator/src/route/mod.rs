//! Routes: the Ingress of each ([`ingress`], pure), the Service and EndpointSlices of a route
//! to several destinations ([`emitter`], pure), and the controller that keeps them
//! ([`controller`]): Diego's route emitter.

pub(crate) mod controller;
pub mod emitter;
pub mod ingress;
