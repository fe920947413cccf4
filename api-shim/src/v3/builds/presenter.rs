//! CC's build JSON.

use super::state_name;
use crate::{
    http::{
        links::BaseUrl,
        present::{self, Guid, Link, Metadata, ToOne},
    },
    v3::lifecycle::LifecycleView,
};
use serde::Serialize;
use serde_json::Value;
use smelter_crds::Build;

/// The annotation recording who asked for a build (CC's `created_by`), as JSON.
pub const CREATED_BY: &str = "cf.smelter.dev/created-by";

#[derive(Serialize)]
struct Relationships<'a> {
    app: ToOne<'a>,
}

#[derive(Serialize)]
struct BuildLinks<'a> {
    #[serde(rename = "self")]
    self_: Link<'a>,
    app: Link<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    droplet: Option<Link<'a>>,
}

#[derive(Serialize)]
pub struct BuildView<'a> {
    guid: &'a str,
    created_at: String,
    updated_at: String,
    state: &'static str,
    staging_memory_in_mb: i64,
    staging_disk_in_mb: i64,
    staging_log_rate_limit_bytes_per_second: i64,
    error: Option<&'a str>,
    lifecycle: LifecycleView<'a>,
    package: Guid<'a>,
    droplet: Option<Guid<'a>>,
    created_by: Value,
    relationships: Relationships<'a>,
    metadata: Metadata<'a>,
    links: BuildLinks<'a>,
}

impl<'a> BuildView<'a> {
    pub fn of(b: &'a Build, base: &'a BaseUrl) -> Self {
        let guid = present::guid(&b.metadata);
        let status = b.status.as_ref();
        let droplet = status.and_then(|s| s.droplet.as_ref());
        let created_by = b
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(CREATED_BY))
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_else(|| serde_json::json!({ "guid": "", "name": "", "email": "" }));
        Self {
            guid,
            created_at: present::created_at(&b.metadata),
            updated_at: present::updated_at(&b.metadata),
            state: state_name(b),
            staging_memory_in_mb: b.spec.staging_memory_in_mb.unwrap_or(1024),
            staging_disk_in_mb: b.spec.staging_disk_in_mb.unwrap_or(1024),
            staging_log_rate_limit_bytes_per_second: b
                .spec
                .staging_log_rate_limit_bytes_per_second
                .unwrap_or(-1),
            error: status.and_then(|s| s.error.as_deref()),
            lifecycle: LifecycleView(&b.spec.lifecycle),
            package: Guid {
                guid: &b.spec.package_guid,
            },
            droplet: droplet
                .filter(|_| state_name(b) == "STAGED")
                .map(|d| Guid { guid: &d.guid }),
            created_by,
            relationships: Relationships {
                app: ToOne::to(&b.spec.app_guid),
            },
            metadata: Metadata(&b.metadata),
            links: BuildLinks {
                self_: Link::new(base, "/v3/builds/", guid, ""),
                app: Link::new(base, "/v3/apps/", &b.spec.app_guid, ""),
                droplet: droplet.map(|d| Link::new(base, "/v3/droplets/", &d.guid, "")),
            },
        }
    }
}
