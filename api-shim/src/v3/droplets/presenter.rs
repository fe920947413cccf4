//! CC's droplet JSON, from the build that made the droplet.

use crate::{
    http::{
        links::BaseUrl,
        present::{self, Link, Links, NoMetadata, ToOne},
    },
    v3::{builds, lifecycle::LifecycleView},
};
use serde::Serialize;
use smelter_crds::{Build, ChecksumType, build::Droplet};
use std::collections::BTreeMap;

#[derive(Serialize)]
struct ChecksumView<'a> {
    #[serde(rename = "type")]
    type_: &'static str,
    value: &'a str,
}

#[derive(Serialize)]
struct BuildpackView<'a> {
    name: &'a str,
    detect_output: Option<&'a str>,
    buildpack_name: Option<&'a str>,
    version: Option<&'a str>,
}

#[derive(Serialize)]
struct Relationships<'a> {
    app: ToOne<'a>,
}

#[derive(Serialize)]
pub struct DropletView<'a> {
    guid: &'a str,
    created_at: String,
    updated_at: String,
    state: &'static str,
    error: Option<()>,
    lifecycle: LifecycleView<'a>,
    checksum: Option<ChecksumView<'a>>,
    buildpacks: Vec<BuildpackView<'a>>,
    stack: Option<&'a str>,
    image: Option<&'a str>,
    execution_metadata: &'a str,
    process_types: &'a BTreeMap<String, String>,
    relationships: Relationships<'a>,
    metadata: NoMetadata,
    links: Links<'a, 3>,
}

impl<'a> DropletView<'a> {
    /// The view of the droplet `build` made (a build not staged shows an empty droplet).
    pub fn of(build: &'a Build, base: &'a BaseUrl) -> Self {
        static NONE: std::sync::OnceLock<Droplet> = std::sync::OnceLock::new();
        let d = builds::staged_droplet(build).unwrap_or_else(|| NONE.get_or_init(Droplet::default));
        Self {
            guid: &d.guid,
            created_at: present::created_at(&build.metadata),
            updated_at: present::updated_at(&build.metadata),
            state: "STAGED",
            error: None,
            lifecycle: LifecycleView(&build.spec.lifecycle),
            checksum: d.checksum.as_ref().map(|c| ChecksumView {
                type_: match c.type_ {
                    ChecksumType::Sha256 => "sha256",
                    ChecksumType::Sha1 => "sha1",
                },
                value: &c.value,
            }),
            buildpacks: d
                .buildpacks
                .iter()
                .map(|b| BuildpackView {
                    name: &b.name,
                    detect_output: b.detect_output.as_deref(),
                    buildpack_name: b.buildpack_name.as_deref(),
                    version: b.version.as_deref(),
                })
                .collect(),
            stack: d.stack.as_deref(),
            image: d.image.as_deref(),
            execution_metadata: d.execution_metadata.as_deref().unwrap_or_default(),
            process_types: &d.process_types,
            relationships: Relationships {
                app: ToOne::to(&build.spec.app_guid),
            },
            metadata: NoMetadata,
            links: Links([
                ("self", Link::new(base, "/v3/droplets/", &d.guid, "")),
                (
                    "package",
                    Link::new(base, "/v3/packages/", &build.spec.package_guid, ""),
                ),
                (
                    "app",
                    Link::new(base, "/v3/apps/", &build.spec.app_guid, ""),
                ),
            ]),
        }
    }
}
