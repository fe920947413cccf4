//! LRPs: the workload and Service of each ([`workload`], pure), how revisions replace each
//! other ([`rollout`], pure), the ActualLRP view from the pods ([`instances`], pure), and the
//! controller that does the I/O ([`controller`]).

pub(crate) mod controller;
pub mod instances;
pub mod rollout;
pub mod workload;
