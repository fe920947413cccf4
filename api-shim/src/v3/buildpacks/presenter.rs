//! CC's buildpack JSON.

use super::is_ready;
use crate::v3::prelude::*;
use smelter_crds::Buildpack;

/// CC's buildpack JSON (a buildpack has no relationships).
#[derive(Serialize)]
pub struct Fields<'a> {
    name: &'a str,
    state: &'static str,
    filename: Option<&'a str>,
    stack: Option<&'a str>,
    position: i32,
    enabled: bool,
    locked: bool,
    lifecycle: &'static str,
}

pub type BuildpackView<'a> = View<'a, Fields<'a>, 0, 2>;

presented!(Buildpack => BuildpackView);

impl<'a> BuildpackView<'a> {
    pub fn of(b: &'a Buildpack, base: &'a BaseUrl) -> Self {
        let at = Hrefs::new(base, "/v3/buildpacks/", guid_of(b));
        let fields = Fields {
            name: &b.spec.name,
            state: if is_ready(b) {
                "READY"
            } else {
                "AWAITING_UPLOAD"
            },
            filename: b.status.as_ref().and_then(|s| s.filename.as_deref()),
            stack: b.spec.stack.as_deref(),
            position: b.spec.position,
            enabled: b.spec.enabled,
            locked: b.spec.locked,
            lifecycle: "buildpack",
        };
        View::object(&b.metadata, fields)
            .links([("self", at.link("")), ("upload", at.post("/upload"))])
    }
}

#[cfg(test)]
mod tests;
