//! `/v3/buildpacks`: the admin buildpacks, `Buildpack` objects in the root namespace, in
//! detection order. Everyone reads them; only admins change them (`admin`), upload their bits
//! (`bits`), and the api-shim installs the built-in ones at start (`builtin`).

pub mod admin;
pub mod bits;
pub mod builtin;
mod message;
mod order;
mod presenter;

pub use presenter::BuildpackView;

use crate::{state::AppState, v3::prelude::*};
use smelter_crds::{Buildpack, buildpack::BuildpackState};

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

/// The admin buildpacks list; in detection order unless told otherwise, as CC lists them.
pub struct Buildpacks;

impl Objects for Buildpacks {
    type Kind = Buildpack;
    const LIST: Accepts = Accepts::filters("stacks names lifecycle").order_by("position lifecycle");
    const DEFAULT_ORDER: &'static str = "position";

    fn matches(_: &Ctx, b: &Buildpack, key: &str, wanted: &[String]) -> Option<bool> {
        Some(match key {
            "stacks" => one_of(b.spec.stack.as_deref().unwrap_or_default(), wanted),
            "lifecycle" => one_of("buildpack", wanted),
            _ => return None,
        })
    }

    fn order_key(b: &Buildpack, field: &str) -> Option<String> {
        // Zero-padded, so text order is number order.
        matches!(field, "position" | "lifecycle").then(|| format!("{:010}", b.spec.position))
    }

    fn check(query: &ListQuery) -> Vec<String> {
        let known = |l: &String| ["buildpack", "cnb"].contains(&l.as_str());
        match query.filter("lifecycle") {
            Some(l) if !l.iter().all(known) => {
                vec!["Lifecycle must be either \"buildpack\" or \"cnb\"".to_owned()]
            }
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests;
