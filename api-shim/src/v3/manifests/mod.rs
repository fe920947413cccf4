//! App manifests: applying one to a space, generating one for an app, and the diff `cf push`
//! shows before it applies. `manifest` is the message (its keys, units and checks), `plan` the
//! app spec it asks for; both are pure.

pub mod apply;
mod body;
pub mod diff;
pub mod generate;
pub mod manifest;
mod plan;
