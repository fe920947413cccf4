//! CF security group rules, read once for both their users: the api-shim checks a rule as
//! Cloud Controller does (its `SecurityGroupRuleValidator`, with comma-delimited destinations
//! on, as cf-deployment sets them, and IPv6 off, CC's default), and the operator turns what a
//! rule allows into NetworkPolicy egress: CIDRs and port ranges. One parser, so nothing is
//! accepted that cannot be enforced.

use ipnet::{Ipv4Net, Ipv4Subnets};
use serde_json::Value;
use std::net::Ipv4Addr;

/// The keys a rule may have.
const KEYS: [&str; 7] = [
    "code",
    "description",
    "destination",
    "log",
    "ports",
    "protocol",
    "type",
];

/// CC's limit on destinations in one rule.
const MAX_DESTINATIONS: usize = 6000;

const PORTS_REQUIRED: &str = "ports are required for protocols of type TCP and UDP";
const PORTS_FORMAT: &str = "ports must be a valid single port, comma separated list of ports, or range or ports, formatted as a string";
const DESTINATION_INVALID: &str =
    "destination must contain valid CIDR(s), IP address(es), or IP address range(s)";

/// CC's problems with one rule, each in CC's words without the `Rules[i]: ` it is shown with.
pub fn check_rule(rule: &Value) -> Vec<String> {
    let Value::Object(map) = rule else {
        return vec!["must be an object".to_owned()];
    };
    let mut problems = Vec::new();
    let unknown: Vec<&str> = map
        .keys()
        .map(String::as_str)
        .filter(|k| !KEYS.contains(k))
        .collect();
    if !unknown.is_empty() {
        problems.push(format!("unknown field(s): {unknown:?}"));
    }
    let protocol = map.get("protocol").and_then(Value::as_str);
    match protocol {
        Some("tcp" | "udp") => match map.get("ports") {
            None => problems.extend([PORTS_REQUIRED.to_owned(), PORTS_FORMAT.to_owned()]),
            Some(Value::String(p)) if ports(p).is_some() => {}
            Some(_) => problems.push(PORTS_FORMAT.to_owned()),
        },
        Some("icmp") => {
            for key in ["code", "type"] {
                match map.get(key) {
                    None => problems.push(format!("{key} is required for protocols of type ICMP")),
                    Some(v) if v.as_i64().is_some_and(|n| (-1..=255).contains(&n)) => {}
                    Some(_) => problems.push(format!(
                        "{key} must be an integer between -1 and 255 (inclusive)"
                    )),
                }
            }
        }
        Some("icmpv6") => problems.push("icmpv6 cannot be used if enable_ipv6 is false".to_owned()),
        Some("all") => {
            if map.contains_key("ports") {
                problems.push("ports are not allowed for protocols of type all".to_owned());
            }
        }
        _ => problems.push("protocol must be 'tcp', 'udp', 'icmp', 'icmpv6' or 'all'".to_owned()),
    }
    if let Some(d) = map.get("description")
        && !d.is_string()
    {
        problems.push("description must be a string".to_owned());
    }
    if let Some(l) = map.get("log")
        && !l.is_boolean()
        && !l.is_null()
    {
        problems.push("log must be a boolean".to_owned());
    }
    match map.get("destination") {
        None | Some(Value::Null) => problems.push("nil destination; destination must be a comma-delimited list of valid CIDRs, IP addresses, or IP address ranges".to_owned()),
        Some(Value::String(d)) => {
            if let Err(problem) = destinations(d) {
                problems.push(problem);
            }
        }
        Some(_) => problems.push("destination must be a string".to_owned()),
    }
    problems
}

/// The networks a destination names (`10.0.0.0/8`, `1.2.3.4`, `1.2.3.4-1.2.3.9`, or a
/// comma-separated list of them), as CIDRs; or CC's text for what is wrong with it.
pub fn destinations(destination: &str) -> Result<Vec<Ipv4Net>, String> {
    if destination.chars().any(char::is_whitespace) {
        return Err("destination must not contain whitespace".to_owned());
    }
    let entries: Vec<&str> = destination.split(',').collect();
    if entries.len() > MAX_DESTINATIONS {
        return Err("maximum destinations per rule exceeded - must be under 6000".to_owned());
    }
    let mut nets = Vec::new();
    for entry in entries {
        if entry.is_empty() {
            return Err("empty destination specified in comma-delimited list".to_owned());
        }
        nets.extend(one_destination(entry)?);
    }
    Ok(nets)
}

fn one_destination(entry: &str) -> Result<Vec<Ipv4Net>, String> {
    let addresses = entry
        .split(['-', '/'])
        .next()
        .into_iter()
        .chain(entry.split('-').skip(1));
    if addresses
        .clone()
        .any(|a| a.split('.').any(|o| o.len() > 1 && o.starts_with('0')))
    {
        return Err("destination octets cannot contain leading zeros".to_owned());
    }
    let invalid = || DESTINATION_INVALID.to_owned();
    if let Some((from, to)) = entry.split_once('-') {
        let (from, to): (Ipv4Addr, Ipv4Addr) = (
            from.parse().map_err(|_| invalid())?,
            to.parse().map_err(|_| invalid())?,
        );
        if from > to {
            return Err("beginning of IP address range is numerically greater than the end of its range (range endpoints are inverted)".to_owned());
        }
        return Ok(Ipv4Subnets::new(from, to, 0).collect());
    }
    if entry.contains('/') {
        let net: Ipv4Net = entry.parse().map_err(|_| invalid())?;
        return Ok(vec![net.trunc()]);
    }
    let address: Ipv4Addr = entry.parse().map_err(|_| invalid())?;
    Ok(vec![Ipv4Net::from(address)])
}

/// The port ranges a rule's `ports` names (`443`, `80,443`, `8000-9000`), inclusive; none if
/// CC would refuse it.
pub fn ports(ports: &str) -> Option<Vec<(u16, u16)>> {
    let port = |p: &str| p.trim().parse::<u16>().ok().filter(|p| *p > 0);
    if ports.contains('-') {
        if ports.contains(',') {
            return None;
        }
        let (from, to) = ports.split_once('-')?;
        let (from, to) = (port(from)?, port(to)?);
        return (from < to).then(|| vec![(from, to)]);
    }
    ports.split(',').map(|p| port(p).map(|p| (p, p))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn nets(d: &str) -> Vec<String> {
        destinations(d)
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn destinations_become_cidrs() {
        assert_eq!(nets("10.0.0.0/8"), ["10.0.0.0/8"]);
        assert_eq!(nets("10.1.2.3/16"), ["10.1.0.0/16"], "host bits dropped");
        assert_eq!(nets("1.2.3.4"), ["1.2.3.4/32"]);
        assert_eq!(nets("10.0.0.0-10.0.0.5"), ["10.0.0.0/30", "10.0.0.4/31"]);
        assert_eq!(nets("1.1.1.1,8.8.8.0/24"), ["1.1.1.1/32", "8.8.8.0/24"]);
        // cf-deployment's public_networks, one of its ranges.
        assert_eq!(nets("0.0.0.0-9.255.255.255"), ["0.0.0.0/5", "8.0.0.0/7"]);
    }

    #[test]
    fn bad_destinations_in_ccs_words() {
        let cases = [
            ("10.0.0.0/33", DESTINATION_INVALID),
            ("nope", DESTINATION_INVALID),
            ("::1", DESTINATION_INVALID),
            ("1.2.3.4-1.2.3", DESTINATION_INVALID),
            (
                "01.2.3.4",
                "destination octets cannot contain leading zeros",
            ),
            (
                "1.1.1.1,",
                "empty destination specified in comma-delimited list",
            ),
            ("1.1.1.1 ", "destination must not contain whitespace"),
            (
                "10.0.0.9-10.0.0.1",
                "beginning of IP address range is numerically greater than the end of its range (range endpoints are inverted)",
            ),
        ];
        for (d, want) in cases {
            assert_eq!(destinations(d).unwrap_err(), want, "{d}");
        }
    }

    #[test]
    fn ports_as_cc_reads_them() {
        assert_eq!(ports("443"), Some(vec![(443, 443)]));
        assert_eq!(
            ports("80,443, 8080"),
            Some(vec![(80, 80), (443, 443), (8080, 8080)])
        );
        assert_eq!(ports("8000 - 9000"), Some(vec![(8000, 9000)]));
        for bad in ["0", "65536", "9000-8000", "80-90,100", "x", "", "80,"] {
            assert_eq!(ports(bad), None, "{bad}");
        }
    }

    #[test]
    fn rules_in_ccs_words() {
        assert!(
            check_rule(&json!({"protocol": "tcp", "destination": "10.0.0.0/8", "ports": "443"}))
                .is_empty()
        );
        assert!(
            check_rule(
                &json!({"protocol": "icmp", "destination": "0.0.0.0/0", "type": 8, "code": -1})
            )
            .is_empty()
        );
        assert!(check_rule(&json!({"protocol": "all", "destination": "1.1.1.1", "description": "x", "log": true})).is_empty());
        let cases = [
            (json!("x"), vec!["must be an object"]),
            (
                json!({"protocol": "tcp", "destination": "1.1.1.1"}),
                vec![PORTS_REQUIRED, PORTS_FORMAT],
            ),
            (
                json!({"protocol": "udp", "destination": "1.1.1.1", "ports": 53}),
                vec![PORTS_FORMAT],
            ),
            (
                json!({"protocol": "all", "destination": "1.1.1.1", "ports": "1"}),
                vec!["ports are not allowed for protocols of type all"],
            ),
            (
                json!({"protocol": "gre", "destination": "1.1.1.1"}),
                vec!["protocol must be 'tcp', 'udp', 'icmp', 'icmpv6' or 'all'"],
            ),
            (
                json!({"protocol": "icmp", "destination": "1.1.1.1", "type": 300}),
                vec![
                    "code is required for protocols of type ICMP",
                    "type must be an integer between -1 and 255 (inclusive)",
                ],
            ),
            (
                json!({"protocol": "all", "destination": "1.1.1.1", "blork": 1}),
                vec!["unknown field(s): [\"blork\"]"],
            ),
            (
                json!({"protocol": "all"}),
                vec![
                    "nil destination; destination must be a comma-delimited list of valid CIDRs, IP addresses, or IP address ranges",
                ],
            ),
        ];
        for (rule, want) in cases {
            assert_eq!(check_rule(&rule), want, "{rule}");
        }
    }
}
