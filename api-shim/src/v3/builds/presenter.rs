//! CC's build JSON.

use super::state_name;
use crate::v3::{lifecycle::LifecycleView, prelude::*};
use serde_json::Value;
use smelter_crds::Build;

/// The annotation recording who asked for a build (CC's `created_by`), as JSON.
pub const CREATED_BY: &str = "cf.smelter.dev/created-by";

#[derive(Serialize)]
pub struct Fields<'a> {
    state: &'static str,
    staging_memory_in_mb: i64,
    staging_disk_in_mb: i64,
    staging_log_rate_limit_bytes_per_second: i64,
    error: Option<&'a str>,
    lifecycle: LifecycleView<'a>,
    package: Guid<'a>,
    droplet: Option<Guid<'a>>,
    created_by: Value,
}

pub type BuildView<'a> = View<'a, Fields<'a>, 1, 3>;

presented!(Build => BuildView);

impl<'a> BuildView<'a> {
    pub fn of(b: &'a Build, base: &'a BaseUrl) -> Self {
        let status = b.status.as_ref();
        let droplet = status.and_then(|s| s.droplet.as_ref());
        let created_by = b
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(CREATED_BY))
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_else(|| serde_json::json!({ "guid": "", "name": "", "email": "" }));
        let droplet_link = Link::to(base, "/v3/droplets/", droplet.map_or("", |d| &d.guid));
        let fields = Fields {
            state: state_name(b),
            staging_memory_in_mb: b.spec.staging_memory_in_mb.unwrap_or(1024),
            staging_disk_in_mb: b.spec.staging_disk_in_mb.unwrap_or(1024),
            staging_log_rate_limit_bytes_per_second: b
                .spec
                .staging_log_rate_limit_bytes_per_second
                .unwrap_or(-1),
            error: status.and_then(|s| s.error.as_deref()),
            lifecycle: LifecycleView(&b.spec.lifecycle),
            package: Guid::of(&b.spec.package_guid),
            droplet: droplet
                .filter(|_| state_name(b) == "STAGED")
                .map(|d| Guid::of(&d.guid)),
            created_by,
        };
        View::object(&b.metadata, fields)
            .related([("app", Rel::to(&b.spec.app_guid))])
            .links([
                ("self", Link::to(base, "/v3/builds/", guid_of(b))),
                ("app", Link::to(base, "/v3/apps/", &b.spec.app_guid)),
                ("droplet", droplet_link.only_if(droplet.is_some())),
            ])
    }
}

#[cfg(test)]
mod tests;
