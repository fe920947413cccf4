//! Cloud Controller's v3 resources, one folder each, named as the v3 API docs name them.

pub mod apps;
pub mod buildpacks;
pub mod builds;
pub mod domains;
pub mod droplets;
pub mod empty;
pub mod jobs;
pub mod lifecycle;
pub mod manifests;
pub mod organization_quotas;
pub mod organizations;
pub mod packages;
pub mod prelude;
pub mod processes;
pub mod resource_matches;
pub mod roles;
pub mod root;
pub mod routes;
pub mod service_credential_bindings;
pub mod service_instances;
pub mod space_quotas;
pub mod spaces;
pub mod stacks;
pub mod users;
pub mod vcap;
