//! App manifests: applying one to a space, generating one for an app, and the diff `cf push`
//! shows before it applies.

pub mod apply;
pub mod generate;
pub mod manifest;
