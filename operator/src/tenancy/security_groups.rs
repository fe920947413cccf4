//! Pure: a space's security groups as the two NetworkPolicies that enforce them in its
//! namespace, as CF's are: egress of the app's instances is what the space's running groups
//! (the globally enabled ones and those bound to the space) allow, and egress of its staging
//! pods what its staging groups allow; everything else is refused (a NetworkPolicy that selects
//! a pod for egress denies what none of its rules allows). Ingress is left alone: CF's security
//! groups govern only what an app reaches.
//!
//! One allowance is Smelter's own: the api-shim, which staging and app pods fetch bits from
//! and upload droplets to (on Diego the cell does that, outside the container's network). Its
//! API pods are always reachable when the platform's namespace is configured (the chart), and
//! so is the blob URL's address when it names one (an api-shim outside the cluster).

use super::{
    build::{Tenant, labels_present},
    egress::egress_rules,
};
use k8s_openapi::{
    api::networking::v1::{
        NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyPeer, NetworkPolicyPort,
        NetworkPolicySpec,
    },
    apimachinery::pkg::{
        apis::meta::v1::{LabelSelector, LabelSelectorRequirement, ObjectMeta},
        util::intstr::IntOrString,
    },
};
use smelter_crds::{SecurityGroup, labels};
use std::collections::BTreeMap;

/// The NetworkPolicy of the app instances' egress.
pub const RUNNING: &str = "smelter-running-security-groups";
/// The NetworkPolicy of staging pods' egress.
pub const STAGING: &str = "smelter-staging-security-groups";
/// The annotation naming the groups a policy enforces, for `kubectl describe`.
pub const GROUPS_ANNOTATION: &str = "cf.smelter.dev/security-groups";
/// Rules left out because a NetworkPolicy cannot say them (ICMP), for `kubectl describe`.
pub const NOT_ENFORCED_ANNOTATION: &str = "cf.smelter.dev/not-enforced";

/// The label of the pods the chart's API Deployment runs, and the port they serve bits on.
const API_COMPONENT: (&str, &str) = ("app.kubernetes.io/component", "api");
const API_PORT: i32 = 8080;

/// Which of a space's pods a policy is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    Running,
    Staging,
}

impl Lifecycle {
    fn policy_name(self) -> &'static str {
        match self {
            Self::Running => RUNNING,
            Self::Staging => STAGING,
        }
    }

    /// The label every pod of the lifecycle has: an instance's process, a staging pod's build.
    fn pod_label(self) -> &'static str {
        match self {
            Self::Running => labels::PROCESS_GUID,
            Self::Staging => labels::BUILD_GUID,
        }
    }

    /// Whether `group` applies to `space`'s pods of this lifecycle.
    fn applies(self, group: &SecurityGroup, space: &str) -> bool {
        let spec = &group.spec;
        let (global, bound) = match self {
            Self::Running => (spec.globally_enabled.running, &spec.running_spaces),
            Self::Staging => (spec.globally_enabled.staging, &spec.staging_spaces),
        };
        global || bound.iter().any(|s| s == space)
    }
}

/// The NetworkPolicy enforcing `groups` (every group; those that apply are picked) on
/// `space`'s pods of `lifecycle`, after the `platform` rules ([`platform_rules`]).
pub fn build(
    space: &Tenant,
    lifecycle: Lifecycle,
    groups: &[&SecurityGroup],
    platform: &[NetworkPolicyEgressRule],
) -> NetworkPolicy {
    let mut applied: Vec<&SecurityGroup> = groups
        .iter()
        .copied()
        .filter(|g| lifecycle.applies(g, &space.guid))
        .collect();
    applied.sort_by(|a, b| a.spec.name.cmp(&b.spec.name));
    let mut egress: Vec<NetworkPolicyEgressRule> = platform.to_vec();
    let mut not_enforced = Vec::new();
    for group in &applied {
        let (rules, skipped) = egress_rules(&group.spec.rules);
        for rule in rules {
            // Groups often repeat a rule (dns in several); one copy says the same.
            if !egress.contains(&rule) {
                egress.push(rule);
            }
        }
        not_enforced.extend(
            skipped
                .into_iter()
                .map(|(i, why)| format!("{} rule {}: {why}", group.spec.name, i + 1)),
        );
    }
    let names: Vec<&str> = applied.iter().map(|g| g.spec.name.as_str()).collect();
    let mut annotations = BTreeMap::from([(GROUPS_ANNOTATION.to_owned(), names.join(","))]);
    if !not_enforced.is_empty() {
        annotations.insert(NOT_ENFORCED_ANNOTATION.to_owned(), not_enforced.join("; "));
    }
    NetworkPolicy {
        metadata: ObjectMeta {
            name: Some(lifecycle.policy_name().to_owned()),
            namespace: Some(space.guid.clone()),
            labels: Some(space.space_labels()),
            annotations: Some(annotations),
            ..ObjectMeta::default()
        },
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(LabelSelector {
                match_expressions: Some(vec![LabelSelectorRequirement {
                    key: lifecycle.pod_label().to_owned(),
                    operator: "Exists".to_owned(),
                    values: None,
                }]),
                match_labels: None,
            }),
            policy_types: Some(vec!["Egress".to_owned()]),
            egress: Some(egress),
            ingress: None,
        }),
    }
}

/// What staging and app pods always reach: the API pods in the `platform` namespace, and the
/// `blob_url`'s address when it is one (not a name a rule could not hold).
pub fn platform_rules(platform: Option<&str>, blob_url: &str) -> Vec<NetworkPolicyEgressRule> {
    let address = url::Url::parse(blob_url).ok().and_then(|u| {
        let ip = match u.host()? {
            url::Host::Ipv4(ip) => format!("{ip}/32"),
            url::Host::Ipv6(ip) => format!("{ip}/128"),
            url::Host::Domain(_) => return None,
        };
        Some((ip, u.port_or_known_default()?))
    });
    let address = address.map(|(cidr, port)| NetworkPolicyEgressRule {
        to: Some(vec![NetworkPolicyPeer {
            ip_block: Some(k8s_openapi::api::networking::v1::IPBlock { cidr, except: None }),
            ..NetworkPolicyPeer::default()
        }]),
        ports: Some(vec![tcp(i32::from(port))]),
    });
    platform.map(api_rule).into_iter().chain(address).collect()
}

fn tcp(port: i32) -> NetworkPolicyPort {
    NetworkPolicyPort {
        protocol: Some("TCP".to_owned()),
        port: Some(IntOrString::Int(port)),
        end_port: None,
    }
}

/// Egress to Smelter's API pods in `namespace`, on the port they serve bits on.
fn api_rule(namespace: &str) -> NetworkPolicyEgressRule {
    let (key, value) = API_COMPONENT;
    NetworkPolicyEgressRule {
        to: Some(vec![NetworkPolicyPeer {
            namespace_selector: Some(LabelSelector {
                match_labels: Some(BTreeMap::from([(
                    "kubernetes.io/metadata.name".to_owned(),
                    namespace.to_owned(),
                )])),
                match_expressions: None,
            }),
            pod_selector: Some(LabelSelector {
                match_labels: Some(BTreeMap::from([(key.to_owned(), value.to_owned())])),
                match_expressions: None,
            }),
            ip_block: None,
        }]),
        ports: Some(vec![tcp(API_PORT)]),
    }
}

/// Whether `live` already enforces what `desired` does. The API server drops an empty egress
/// list (Go's `omitempty`), so none and an empty one are the same: else a policy that allows
/// nothing would be written again on every reconcile its own write starts.
pub fn is_up_to_date(desired: &NetworkPolicy, live: &NetworkPolicy) -> bool {
    let egress = |p: &NetworkPolicy| {
        p.spec
            .as_ref()
            .and_then(|s| s.egress.clone())
            .unwrap_or_default()
    };
    let rest = |p: &NetworkPolicy| {
        p.spec.clone().map(|mut s| {
            s.egress = None;
            s
        })
    };
    labels_present(&desired.metadata, &live.metadata)
        && live.metadata.annotations.as_ref().is_some_and(|have| {
            desired
                .metadata
                .annotations
                .iter()
                .flatten()
                .all(|(k, v)| have.get(k) == Some(v))
        })
        && egress(live) == egress(desired)
        && rest(live) == rest(desired)
}

#[cfg(test)]
mod tests {
    use super::*;
    use smelter_crds::{GloballyEnabled, SecurityGroupRule, SecurityGroupSpec};

    fn group(name: &str, global: (bool, bool), bound: (&[&str], &[&str])) -> SecurityGroup {
        let rule = SecurityGroupRule::new;
        SecurityGroup::new(
            &format!("{name}-guid"),
            SecurityGroupSpec {
                name: name.into(),
                rules: vec![
                    rule("udp", "0.0.0.0/0", Some("53")),
                    rule("tcp", &format!("10.{}.0.0/16", name.len()), Some("443")),
                    rule("icmp", "0.0.0.0/0", None),
                ],
                globally_enabled: GloballyEnabled {
                    running: global.0,
                    staging: global.1,
                },
                running_spaces: bound.0.iter().map(|s| (*s).to_owned()).collect(),
                staging_spaces: bound.1.iter().map(|s| (*s).to_owned()).collect(),
            },
        )
    }

    fn cidrs(p: &NetworkPolicy) -> Vec<String> {
        let egress = p.spec.as_ref().and_then(|s| s.egress.as_ref());
        egress
            .into_iter()
            .flatten()
            .flat_map(|r| r.to.iter().flatten())
            .filter_map(|peer| peer.ip_block.as_ref().map(|b| b.cidr.clone()))
            .collect()
    }

    #[test]
    fn a_space_gets_the_global_groups_and_its_own_per_lifecycle() {
        let space = Tenant::test_space();
        let dns = group("dns", (true, true), (&[], &[]));
        let db = group("database", (false, false), (&["space-guid"], &[]));
        let other = group(
            "other",
            (false, false),
            (&["another-space"], &["another-space"]),
        );
        let groups = [&dns, &db, &other];

        let running = build(&space, Lifecycle::Running, &groups, &[]);
        assert_eq!(running.metadata.name.as_deref(), Some(RUNNING));
        assert_eq!(running.metadata.namespace.as_deref(), Some("space-guid"));
        let annotations = running.metadata.annotations.as_ref().expect("annotations");
        assert_eq!(annotations[GROUPS_ANNOTATION], "database,dns");
        assert_eq!(
            cidrs(&running),
            ["0.0.0.0/0", "10.8.0.0/16", "10.3.0.0/16"],
            "the shared dns rule once, each group's own"
        );
        assert_eq!(
            annotations[NOT_ENFORCED_ANNOTATION],
            "database rule 3: icmp cannot be enforced by a NetworkPolicy; \
             dns rule 3: icmp cannot be enforced by a NetworkPolicy"
        );
        let spec = running.spec.as_ref().expect("spec");
        assert_eq!(
            spec.policy_types.as_deref(),
            Some(&["Egress".to_owned()][..])
        );
        let selector = &spec
            .pod_selector
            .as_ref()
            .expect("selector")
            .match_expressions;
        assert_eq!(
            selector.as_ref().expect("expressions")[0].key,
            labels::PROCESS_GUID
        );

        let staging = build(&space, Lifecycle::Staging, &groups, &[]);
        assert_eq!(
            staging.metadata.annotations.as_ref().expect("a")[GROUPS_ANNOTATION],
            "dns"
        );
        assert_eq!(cidrs(&staging), ["0.0.0.0/0", "10.3.0.0/16"]);
    }

    #[test]
    fn no_group_denies_all_egress_but_the_platforms_api() {
        let space = Tenant::test_space();
        let closed = build(&space, Lifecycle::Staging, &[], &[]);
        assert_eq!(
            closed.spec.as_ref().and_then(|s| s.egress.as_ref()),
            Some(&vec![]),
            "an empty egress list refuses every connection"
        );
        let platform = platform_rules(Some("smelter"), "http://smelter-api.smelter.svc:8080");
        assert_eq!(platform.len(), 1, "a name is not an address");
        let with_api = build(&space, Lifecycle::Staging, &[], &platform);
        let egress = with_api.spec.as_ref().and_then(|s| s.egress.clone());
        let rule = &egress.expect("egress")[0];
        let peer = &rule.to.as_ref().expect("to")[0];
        assert_eq!(
            peer.namespace_selector
                .as_ref()
                .and_then(|s| s.match_labels.clone()),
            Some(BTreeMap::from([(
                "kubernetes.io/metadata.name".to_owned(),
                "smelter".to_owned()
            )]))
        );
        assert_eq!(
            rule.ports.as_ref().expect("ports")[0].port,
            Some(IntOrString::Int(8080))
        );
        // An api-shim outside the cluster, at an address: that address and port.
        let outside = platform_rules(None, "http://10.88.0.1:24567");
        let block = outside[0].to.as_ref().expect("to")[0].ip_block.clone();
        assert_eq!(block.map(|b| b.cidr), Some("10.88.0.1/32".to_owned()));
        assert_eq!(
            outside[0].ports.as_ref().expect("ports")[0].port,
            Some(IntOrString::Int(24567))
        );
        assert!(platform_rules(None, "not a url").is_empty());
    }

    #[test]
    fn up_to_date_compares_the_spec_and_what_is_annotated() {
        let space = Tenant::test_space();
        let dns = group("dns", (true, true), (&[], &[]));
        let desired = build(&space, Lifecycle::Running, &[&dns], &[]);
        let mut live = desired.clone();
        live.metadata.resource_version = Some("7".into());
        assert!(is_up_to_date(&desired, &live));
        live.spec.as_mut().expect("spec").egress = Some(vec![]);
        assert!(!is_up_to_date(&desired, &live));
        let narrowed = build(&space, Lifecycle::Running, &[], &[]);
        assert!(!is_up_to_date(&narrowed, &desired));
        // As the API server answers a policy that allows nothing: without the empty list.
        let mut stored = narrowed.clone();
        stored.spec.as_mut().expect("spec").egress = None;
        assert!(is_up_to_date(&narrowed, &stored));
    }
}
