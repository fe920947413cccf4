//! Pure: a security group's rules as NetworkPolicy egress rules, which the space's policies
//! ([`super::security_groups`]) are made of.
//!
//! A NetworkPolicy allows by address block and port, as a CF rule does: each destination (a
//! CIDR, an address, a range, a list of them) becomes the CIDR blocks that cover it; `tcp`
//! and `udp` ports become ports (a range with `endPort`); `all` allows every protocol and
//! port. ICMP cannot be said in a NetworkPolicy: such a rule is left out, and named, so the
//! API can warn that it is not enforced.

use k8s_openapi::{
    api::networking::v1::{IPBlock, NetworkPolicyEgressRule, NetworkPolicyPeer, NetworkPolicyPort},
    apimachinery::pkg::util::intstr::IntOrString,
};
use smelter_common::security_groups::{destinations, ports};
use smelter_crds::SecurityGroupRule;

/// The egress rules that allow what `rules` allow, and the rules that cannot be enforced
/// (by index, with why).
pub fn egress_rules(
    rules: &[SecurityGroupRule],
) -> (Vec<NetworkPolicyEgressRule>, Vec<(usize, String)>) {
    let mut allowed = Vec::new();
    let mut skipped = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        match egress_rule(rule) {
            Ok(r) => allowed.push(r),
            Err(why) => skipped.push((i, why)),
        }
    }
    (allowed, skipped)
}

fn egress_rule(rule: &SecurityGroupRule) -> Result<NetworkPolicyEgressRule, String> {
    let to = destinations(&rule.destination)?
        .into_iter()
        .map(|net| NetworkPolicyPeer {
            ip_block: Some(IPBlock {
                cidr: net.to_string(),
                except: None,
            }),
            ..NetworkPolicyPeer::default()
        })
        .collect();
    let protocol = rule.protocol.as_str();
    let ports = match protocol {
        "all" => None,
        "tcp" | "udp" => {
            let ranges = rule
                .ports
                .as_deref()
                .and_then(ports)
                .ok_or_else(|| format!("{protocol} rule without valid ports"))?;
            Some(
                ranges
                    .into_iter()
                    .map(|(from, to)| NetworkPolicyPort {
                        protocol: Some(protocol.to_uppercase()),
                        port: Some(IntOrString::Int(i32::from(from))),
                        end_port: (to > from).then_some(i32::from(to)),
                    })
                    .collect(),
            )
        }
        other => return Err(format!("{other} cannot be enforced by a NetworkPolicy")),
    };
    Ok(NetworkPolicyEgressRule {
        to: Some(to),
        ports,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(protocol: &str, destination: &str, ports: Option<&str>) -> SecurityGroupRule {
        SecurityGroupRule::new(protocol, destination, ports)
    }

    fn cidrs(r: &NetworkPolicyEgressRule) -> Vec<String> {
        r.to.iter()
            .flatten()
            .filter_map(|p| p.ip_block.as_ref().map(|b| b.cidr.clone()))
            .collect()
    }

    #[test]
    fn tcp_and_udp_rules_become_blocks_and_ports() {
        let (rules, skipped) = egress_rules(&[
            rule("tcp", "10.0.0.0/24", Some("443,80")),
            rule("udp", "10.0.1.1-10.0.1.6", Some("8000-9000")),
        ]);
        assert!(skipped.is_empty());
        assert_eq!(cidrs(&rules[0]), ["10.0.0.0/24"]);
        let ports: Vec<_> = rules[0]
            .ports
            .iter()
            .flatten()
            .map(|p| (p.protocol.clone(), p.port.clone(), p.end_port))
            .collect();
        assert_eq!(
            ports,
            [
                (Some("TCP".into()), Some(IntOrString::Int(443)), None),
                (Some("TCP".into()), Some(IntOrString::Int(80)), None)
            ]
        );
        assert_eq!(
            cidrs(&rules[1]),
            ["10.0.1.1/32", "10.0.1.2/31", "10.0.1.4/31", "10.0.1.6/32"],
            "a range is the blocks that cover it exactly"
        );
        let p = &rules[1].ports.as_ref().expect("ports")[0];
        assert_eq!(
            (p.port.clone(), p.end_port),
            (Some(IntOrString::Int(8000)), Some(9000))
        );
    }

    #[test]
    fn all_allows_every_port_and_icmp_is_named_as_not_enforced() {
        let (rules, skipped) = egress_rules(&[
            rule("icmp", "0.0.0.0/0", None),
            rule("all", "0.0.0.0-9.255.255.255", None),
        ]);
        assert_eq!(rules.len(), 1);
        assert!(rules[0].ports.is_none(), "every protocol and port");
        assert_eq!(cidrs(&rules[0]), ["0.0.0.0/5", "8.0.0.0/7"]);
        assert_eq!(
            skipped,
            [(0, "icmp cannot be enforced by a NetworkPolicy".to_owned())]
        );
    }
}
