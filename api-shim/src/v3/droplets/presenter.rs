//! CC's droplet JSON, from the build that made the droplet.

use crate::v3::{builds, lifecycle::LifecycleView, prelude::*};
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
pub struct Fields<'a> {
    state: &'static str,
    error: Option<()>,
    lifecycle: LifecycleView<'a>,
    checksum: Option<ChecksumView<'a>>,
    buildpacks: Vec<BuildpackView<'a>>,
    stack: Option<&'a str>,
    image: Option<&'a str>,
    execution_metadata: &'a str,
    process_types: &'a BTreeMap<String, String>,
}

/// CC's droplet JSON (a droplet has no metadata of its own here).
pub type DropletView<'a> = View<'a, Fields<'a>, 1, 3>;

impl<'a> DropletView<'a> {
    /// The view of the droplet `build` made (a build not staged shows an empty droplet).
    pub fn of(build: &'a Build, base: &'a BaseUrl) -> Self {
        static NONE: std::sync::OnceLock<Droplet> = std::sync::OnceLock::new();
        let d = builds::staged_droplet(build).unwrap_or_else(|| NONE.get_or_init(Droplet::default));
        let spec = &build.spec;
        let checksum = d.checksum.as_ref().map(|c| ChecksumView {
            type_: match c.type_ {
                ChecksumType::Sha256 => "sha256",
                ChecksumType::Sha1 => "sha1",
            },
            value: &c.value,
        });
        let buildpacks = d.buildpacks.iter().map(|b| BuildpackView {
            name: &b.name,
            detect_output: b.detect_output.as_deref(),
            buildpack_name: b.buildpack_name.as_deref(),
            version: b.version.as_deref(),
        });
        let fields = Fields {
            state: "STAGED",
            error: None,
            lifecycle: LifecycleView(&spec.lifecycle),
            checksum,
            buildpacks: buildpacks.collect(),
            stack: d.stack.as_deref(),
            image: d.image.as_deref(),
            execution_metadata: d.execution_metadata.as_deref().unwrap_or_default(),
            process_types: &d.process_types,
        };
        View::part(&d.guid, &build.metadata, fields)
            .related([("app", Rel::to(&spec.app_guid))])
            .links([
                ("self", Link::to(base, "/v3/droplets/", &d.guid)),
                (
                    "package",
                    Link::to(base, "/v3/packages/", &spec.package_guid),
                ),
                ("app", Link::to(base, "/v3/apps/", &spec.app_guid)),
            ])
    }
}

#[cfg(test)]
mod tests;
