//! `/v3/buildpacks`: the admin buildpacks, `Buildpack` objects in the root namespace, in
//! detection order. Everyone reads them; only admins change them (`admin`), upload their bits
//! (`bits`), and the api-shim installs the built-in ones at start (`builtin`).

pub mod admin;
pub mod bits;
pub mod builtin;
mod message;
mod order;

use crate::{
    http::{
        links::BaseUrl,
        present::{self, Link, Links, Metadata},
        query::{Accepts, ListQuery},
    },
    read::{Ctx, Listed, list::one_of},
    state::AppState,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;
use smelter_crds::{Buildpack, buildpack::BuildpackState};
use std::sync::Arc;

/// Every admin buildpack in the cache.
fn all(state: &AppState) -> Vec<Arc<Buildpack>> {
    state.caches.buildpacks.all()
}

/// Where each buildpack stands now.
fn slots(all: &[Arc<Buildpack>]) -> Vec<order::Slot> {
    all.iter()
        .filter_map(|b| Some(order::Slot::new(b.metadata.name.clone()?, b.spec.position)))
        .collect()
}

/// Whether a buildpack's zip is stored.
fn is_ready(b: &Buildpack) -> bool {
    b.status
        .as_ref()
        .is_some_and(|s| s.state == BuildpackState::Ready)
}

/// CC's buildpack JSON.
#[derive(Serialize)]
pub struct BuildpackView<'a> {
    guid: &'a str,
    created_at: String,
    updated_at: String,
    name: &'a str,
    state: &'static str,
    filename: Option<&'a str>,
    stack: Option<&'a str>,
    position: i32,
    enabled: bool,
    locked: bool,
    lifecycle: &'static str,
    metadata: Metadata<'a>,
    links: Links<'a, 2>,
}

impl<'a> BuildpackView<'a> {
    pub fn of(b: &'a Buildpack, base: &'a BaseUrl) -> Self {
        let guid = present::guid(&b.metadata);
        Self {
            guid,
            created_at: present::created_at(&b.metadata),
            updated_at: present::updated_at(&b.metadata),
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
            metadata: Metadata(&b.metadata),
            links: Links([
                ("self", Link::new(base, "/v3/buildpacks/", guid, "")),
                (
                    "upload",
                    Link::post(base, "/v3/buildpacks/", guid, "/upload"),
                ),
            ]),
        }
    }
}

/// The admin buildpacks list; in detection order unless told otherwise, as CC lists them.
pub struct Buildpacks;

impl Listed for Buildpacks {
    type Item = Arc<Buildpack>;
    const NAME: &'static str = "Buildpack";
    const LIST: Accepts =
        Accepts::filters(&["stacks", "names", "lifecycle"]).order_by(&["position", "lifecycle"]);
    const DEFAULT_ORDER: &'static str = "position";

    fn candidates(ctx: &Ctx, _: &ListQuery) -> Vec<Arc<Buildpack>> {
        all(&ctx.state)
    }

    fn get(ctx: &Ctx, guid: &str) -> Option<Arc<Buildpack>> {
        ctx.get(guid)
    }

    fn guid(b: &Arc<Buildpack>) -> &str {
        b.metadata.name.as_deref().unwrap_or_default()
    }

    fn meta(b: &Arc<Buildpack>) -> Option<&ObjectMeta> {
        Some(&b.metadata)
    }

    fn matches(_: &Ctx, b: &Arc<Buildpack>, key: &str, wanted: &[String]) -> Option<bool> {
        Some(match key {
            "names" => one_of(&b.spec.name, wanted),
            "stacks" => one_of(b.spec.stack.as_deref().unwrap_or_default(), wanted),
            "lifecycle" => one_of("buildpack", wanted),
            _ => return None,
        })
    }

    fn order_key(b: &Arc<Buildpack>, field: &str) -> Option<String> {
        match field {
            // Zero-padded, so text order is number order.
            "position" | "lifecycle" => Some(format!("{:010}", b.spec.position)),
            _ => None,
        }
    }

    fn present<'a>(ctx: &'a Ctx, b: &'a Arc<Buildpack>) -> impl Serialize + Send + 'a {
        BuildpackView::of(b, &ctx.base)
    }

    fn check(query: &ListQuery) -> Vec<String> {
        query
            .filter("lifecycle")
            .into_iter()
            .flatten()
            .filter(|l| !["buildpack", "cnb"].contains(&l.as_str()))
            .map(|_| "Lifecycle must be either \"buildpack\" or \"cnb\"".to_owned())
            .take(1)
            .collect()
    }
}
