//! `/v3/security_groups`: CF's application security groups, `SecurityGroup` objects in the
//! root namespace with the spaces they are bound to; `/v3/spaces/:guid/running_security_groups`
//! and `staging_security_groups` list what applies to one space. The operator enforces them as
//! egress NetworkPolicies in the space namespaces.

pub mod handlers;
mod message;
mod presenter;

pub use presenter::SecurityGroupView;

use crate::v3::prelude::*;
use kube::{Api, Client, api::ListParams};
use smelter_crds::{GloballyEnabled, SecurityGroup, SecurityGroupRule, SecurityGroupSpec, Space};

/// Makes cf-deployment's default groups, `public_networks` (everything but the private
/// ranges) and `dns` (port 53), both enabled globally for running and staging, when there is no
/// group at all: as CC seeds them on its first start, and never again.
pub async fn ensure_defaults(client: &Client, root_namespace: &str) -> Result<(), kube::Error> {
    let api: Api<SecurityGroup> = Api::namespaced(client.clone(), root_namespace);
    if !api
        .list_metadata(&ListParams::default().limit(1))
        .await?
        .items
        .is_empty()
    {
        return Ok(());
    }
    let rule = SecurityGroupRule::new;
    let public = [
        "0.0.0.0-9.255.255.255",
        "11.0.0.0-169.253.255.255",
        "169.255.0.0-172.15.255.255",
        "172.32.0.0-192.167.255.255",
        "192.169.0.0-255.255.255.255",
    ];
    let groups = [
        (
            "public_networks",
            public.iter().map(|d| rule("all", d, None)).collect(),
        ),
        (
            "dns",
            vec![
                rule("tcp", "0.0.0.0/0", Some("53")),
                rule("udp", "0.0.0.0/0", Some("53")),
            ],
        ),
    ];
    for (name, rules) in groups {
        let guid = uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_DNS,
            format!("{name}.securitygroup.cf.smelter.dev").as_bytes(),
        );
        let group = SecurityGroup::new(
            &guid.to_string(),
            SecurityGroupSpec {
                name: name.to_owned(),
                rules,
                globally_enabled: GloballyEnabled {
                    running: true,
                    staging: true,
                },
                running_spaces: vec![],
                staging_spaces: vec![],
            },
        );
        write::seed(client, root_namespace, &group).await?;
    }
    Ok(())
}

/// Whether a `globally_enabled_*` filter value is CC's `true` or `false`.
fn flag(wanted: &[String], on: bool) -> bool {
    wanted
        .iter()
        .any(|w| w == if on { "true" } else { "false" })
}

/// The security groups list.
pub struct SecurityGroups;

impl Objects for SecurityGroups {
    type Kind = SecurityGroup;
    const LIST: Accepts = Accepts::filters(
        "names running_space_guids staging_space_guids globally_enabled_running globally_enabled_staging",
    )
    .without_label_selector()
    .unprocessable();
    const INDEXED: Indexed = &[("names", By::Name)];

    fn matches(_: &Ctx, g: &SecurityGroup, key: &str, wanted: &[String]) -> Option<bool> {
        let s = &g.spec;
        Some(match key {
            "running_space_guids" => s.running_spaces.iter().any(|sp| wanted.contains(sp)),
            "staging_space_guids" => s.staging_spaces.iter().any(|sp| wanted.contains(sp)),
            "globally_enabled_running" => flag(wanted, s.globally_enabled.running),
            "globally_enabled_staging" => flag(wanted, s.globally_enabled.staging),
            _ => return None,
        })
    }

    fn check(query: &ListQuery) -> Vec<String> {
        [
            ("globally_enabled_running", "Globally enabled running"),
            ("globally_enabled_staging", "Globally enabled staging"),
        ]
        .into_iter()
        .filter(|(key, _)| {
            query
                .filter(key)
                .is_some_and(|v| !matches!(v, [b] if b == "true" || b == "false"))
        })
        .map(|(_, attr)| format!("{attr} must be 'true' or 'false'"))
        .collect()
    }
}

/// The groups that apply to a space's running apps: bound to it, or enabled for all.
pub struct RunningSecurityGroups;
/// The same for its stagings.
pub struct StagingSecurityGroups;

/// CC's `SpaceSecurityGroupsListMessage`: names and GUIDs, refused with 422s.
const SPACE_GROUPS: Accepts = Accepts::filters("names")
    .without_label_selector()
    .unprocessable();

macro_rules! space_groups {
    ($list:ident, $spaces:ident, $global:ident) => {
        impl Objects for $list {
            type Kind = SecurityGroup;
            const LIST: Accepts = SPACE_GROUPS;
            const INDEXED: Indexed = &[("names", By::Name)];

            fn matches(_: &Ctx, _: &SecurityGroup, _: &str, _: &[String]) -> Option<bool> {
                None
            }
        }

        impl Nested<Space> for $list {
            const NESTED: Accepts = SPACE_GROUPS;

            fn under(ctx: &Ctx, space: &Arc<Space>, query: &ListQuery) -> Vec<Arc<SecurityGroup>> {
                let space = guid_of(&**space);
                narrowed::<SecurityGroup>(ctx, query, Self::INDEXED)
                    .into_iter()
                    .filter(|g| {
                        g.spec.globally_enabled.$global || g.spec.$spaces.iter().any(|s| s == space)
                    })
                    .collect()
            }
        }
    };
}

space_groups!(RunningSecurityGroups, running_spaces, running);
space_groups!(StagingSecurityGroups, staging_spaces, staging);

#[cfg(test)]
mod tests;
