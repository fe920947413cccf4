//! `/v3/domains`: shared domains (visible to everyone) and private domains (owned by an org),
//! `Domain` objects in the root namespace. The default shared apps domain comes from the
//! api-shim's config and is made at start-up.

pub mod handlers;
mod message;
mod presenter;

pub use presenter::DomainView;

use crate::v3::prelude::*;
use kube::Client;
use smelter_crds::{Domain, DomainSpec, Org};

/// The GUID of a domain named `name`: a name-based UUID, so replicas creating the default
/// domain at the same time create the same object and one of them just gets a conflict.
pub fn guid_for(name: &str) -> String {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_DNS, name.as_bytes()).to_string()
}

/// Makes sure the default shared domain exists.
pub async fn ensure_default(
    client: &Client,
    root_namespace: &str,
    name: &str,
) -> Result<(), kube::Error> {
    let domain = Domain::new(
        &guid_for(name),
        DomainSpec {
            name: name.to_owned(),
            internal: false,
            organization_guid: None,
            shared_organization_guids: vec![],
        },
    );
    write::seed(client, root_namespace, &domain).await
}

/// The default shared domain: the configured one, else the oldest shared domain.
pub fn default_domain(ctx: &Ctx) -> Option<Arc<Domain>> {
    let domains = &ctx.state.caches.domains;
    domains
        .by(By::Name, &ctx.state.config.apps_domain)
        .into_iter()
        .next()
        .or_else(|| {
            let mut shared: Vec<_> = domains
                .all()
                .into_iter()
                .filter(|d| d.spec.organization_guid.is_none() && !d.spec.internal)
                .collect();
            shared.sort_by_key(|d| d.metadata.creation_timestamp.clone().map(|t| t.0));
            shared.into_iter().next()
        })
}

/// The domain named `name`, if the caller may use it.
pub fn named(ctx: &Ctx, name: &str) -> Option<Arc<Domain>> {
    ctx.seen_by(By::Name, name).next()
}

/// The domains list.
pub struct Domains;

impl Objects for Domains {
    type Kind = Domain;
    const LIST: Accepts = Accepts::filters("names organization_guids");
    const INDEXED: Indexed = &[("names", By::Name), ("organization_guids", By::Org)];

    fn matches(_: &Ctx, d: &Domain, key: &str, wanted: &[String]) -> Option<bool> {
        let owner = d.spec.organization_guid.as_deref().unwrap_or_default();
        Some(match key {
            "organization_guids" => one_of(owner, wanted),
            _ => return None,
        })
    }
}

/// `/v3/organizations/:guid/domains`: the domains the org may use (shared ones, its own, and
/// those shared with it).
impl Nested<Org> for Domains {
    const NESTED: Accepts = <Self as Objects>::LIST;

    fn under(ctx: &Ctx, org: &Arc<Org>, query: &ListQuery) -> Vec<Arc<Domain>> {
        let org = org.metadata.name.as_deref().unwrap_or_default();
        narrowed::<Domain>(ctx, query, Self::INDEXED)
            .into_iter()
            .filter(|d| {
                d.spec
                    .organization_guid
                    .as_deref()
                    .is_none_or(|owner| owner == org)
                    || d.spec.shared_organization_guids.iter().any(|s| s == org)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
