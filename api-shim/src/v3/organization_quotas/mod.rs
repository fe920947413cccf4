//! `/v3/organization_quotas`: CF's org quota definitions, `OrgQuota` objects in the root
//! namespace. Every org has one: the one its spec names, else the quota called `default`,
//! which the api-shim makes at start-up as CC seeds it. Org totals span the org's space
//! namespaces, so the api-shim checks them before it writes (`v3::quota_usage`).

pub mod handlers;
pub mod limits;
mod message;
mod presenter;

pub use presenter::OrganizationQuotaView;

use crate::{storage::cache::Caches, v3::prelude::*};
use kube::Client;
use smelter_crds::{AppLimits, Org, OrgQuota, OrgQuotaSpec, RouteLimits};
use std::sync::LazyLock;

/// The name of the quota an org gets when it names none (CC's `default_quota_definition`).
pub const DEFAULT: &str = "default";

/// The default quota's GUID: the same in every installation and for every replica, so an org
/// that names no quota shows it without a lookup.
pub fn default_guid() -> &'static str {
    static GUID: LazyLock<String> = LazyLock::new(|| {
        uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_DNS,
            b"default.orgquota.cf.smelter.dev",
        )
        .to_string()
    });
    &GUID
}

/// Makes the `default` quota unless it exists, with the limits capi-release gives it: 100 GB
/// of memory, 1,000 routes, 100 reserved route ports, paid plans allowed, the rest unlimited.
pub async fn ensure_default(client: &Client, root_namespace: &str) -> Result<(), kube::Error> {
    let quota = OrgQuota::new(
        default_guid(),
        OrgQuotaSpec {
            name: DEFAULT.to_owned(),
            apps: AppLimits {
                total_memory_in_mb: Some(102_400),
                ..Default::default()
            },
            routes: RouteLimits {
                total_routes: Some(1000),
                total_reserved_ports: Some(100),
            },
            ..Default::default()
        },
    );
    write::seed(client, root_namespace, &quota).await
}

/// The GUID of the quota `org` is under: the one it names, else the `default` one.
pub fn quota_guid_of(org: &Org) -> &str {
    org.spec.quota.as_deref().unwrap_or(default_guid())
}

/// The quota `org` is under.
pub fn quota_of(caches: &Caches, org: &Org) -> Option<Arc<OrgQuota>> {
    caches.org_quotas.get(quota_guid_of(org))
}

/// The orgs under `quota` that the caller may see, by GUID.
pub fn organizations_using(ctx: &Ctx, quota: &OrgQuota) -> Vec<String> {
    let mut orgs: Vec<String> = ctx
        .state
        .caches
        .orgs
        .all()
        .into_iter()
        .filter(|o| ctx.perms.sees_org(guid_of(&**o)))
        .filter(|o| quota_guid_of(o) == guid_of(quota))
        .map(|o| guid_of(&*o).to_owned())
        .collect();
    orgs.sort();
    orgs
}

/// The org quotas list.
pub struct OrganizationQuotas;

impl Objects for OrganizationQuotas {
    type Kind = OrgQuota;
    const LIST: Accepts = Accepts::filters("names organization_guids").without_label_selector();
    const INDEXED: Indexed = &[("names", By::Name)];

    fn matches(ctx: &Ctx, q: &OrgQuota, key: &str, wanted: &[String]) -> Option<bool> {
        Some(match key {
            "organization_guids" => organizations_using(ctx, q)
                .iter()
                .any(|o| wanted.contains(o)),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests;
