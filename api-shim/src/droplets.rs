//! Droplets: the result of a staged `Build` (kept in its status), as CC's droplet resource.

use crate::{apps, links::BaseUrl, present, state::AppState};
use serde_json::{Value, json};
use smelter_crds::{Build, build::Droplet};
use std::sync::Arc;

/// The build that produced droplet `guid`, and the droplet.
pub fn find(state: &AppState, guid: &str) -> Option<(Arc<Build>, Droplet)> {
    state.caches.builds.state().into_iter().find_map(|b| {
        let d = b.status.as_ref()?.droplet.clone()?;
        (d.guid == guid).then(|| (b.clone(), d))
    })
}

/// CC's droplet JSON.
pub fn present(build: &Build, d: &Droplet, base: &BaseUrl) -> Value {
    let mut m = present::base(&build.metadata);
    m.insert("guid".into(), json!(d.guid));
    m.insert("state".into(), json!("STAGED"));
    m.insert("error".into(), Value::Null);
    m.insert(
        "lifecycle".into(),
        apps::present_lifecycle(&build.spec.lifecycle),
    );
    m.insert(
        "checksum".into(),
        json!(d.checksum.as_ref().map(|c| json!({ "type": if c.type_ == smelter_crds::ChecksumType::Sha256 { "sha256" } else { "sha1" }, "value": c.value }))),
    );
    m.insert(
        "buildpacks".into(),
        json!(d.buildpacks.iter().map(|b| json!({ "name": b.name, "detect_output": b.detect_output, "buildpack_name": b.buildpack_name, "version": b.version })).collect::<Vec<_>>()),
    );
    m.insert("stack".into(), json!(d.stack));
    m.insert("image".into(), json!(d.image));
    m.insert(
        "execution_metadata".into(),
        json!(d.execution_metadata.clone().unwrap_or_default()),
    );
    m.insert("process_types".into(), json!(d.process_types));
    m.insert(
        "relationships".into(),
        json!({ "app": { "data": { "guid": build.spec.app_guid } } }),
    );
    m.insert(
        "metadata".into(),
        json!({ "labels": {}, "annotations": {} }),
    );
    m.insert(
        "links".into(),
        json!({
            "self": base.link(&format!("/v3/droplets/{}", d.guid)),
            "package": base.link(&format!("/v3/packages/{}", build.spec.package_guid)),
            "app": base.link(&format!("/v3/apps/{}", build.spec.app_guid)),
        }),
    );
    Value::Object(m)
}
