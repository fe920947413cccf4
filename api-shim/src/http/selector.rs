//! CF label selectors (`label_selector=env=prod,tier in (web,api),!legacy`), evaluated against
//! the user labels of an object (CF `metadata.labels` are stored as Kubernetes labels).

/// CC's most requirements in one selector.
const MAX_REQUIREMENTS: usize = 50;

/// One requirement of a selector.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// A parsed label selector: all requirements must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector(Vec<Requirement>);

impl Selector {
    /// Parses CC's label selector syntax; a refusal is CC's text.
    pub fn parse(input: &str) -> Result<Self, String> {
        if input.is_empty() {
            return Err("Missing label_selector value".into());
        }
        let invalid = || "Invalid label_selector value".to_owned();
        let parts = split_top_level(input);
        if parts.len() > MAX_REQUIREMENTS {
            return Err(format!(
                "Too many label_selector requirements (maximum is {MAX_REQUIREMENTS})"
            ));
        }
        let mut reqs = Vec::new();
        for part in parts {
            let part = part.trim();
            if part.is_empty() {
                return Err(invalid());
            }
            let req = if let Some(key) = part.strip_prefix('!') {
                Requirement::NotExists(key_of(key).ok_or_else(invalid)?)
            } else if let Some((k, v)) = part.split_once("!=") {
                Requirement::NotEquals(key_of(k).ok_or_else(invalid)?, v.trim().to_owned())
            } else if let Some((k, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
                Requirement::Equals(key_of(k).ok_or_else(invalid)?, v.trim().to_owned())
            } else if let Some((k, set)) = set_op(part, " notin ") {
                Requirement::NotIn(key_of(k).ok_or_else(invalid)?, set.ok_or_else(invalid)?)
            } else if let Some((k, set)) = set_op(part, " in ") {
                Requirement::In(key_of(k).ok_or_else(invalid)?, set.ok_or_else(invalid)?)
            } else {
                Requirement::Exists(key_of(part).ok_or_else(invalid)?)
            };
            reqs.push(req);
        }
        Ok(Self(reqs))
    }

    /// Whether the labels `get` finds satisfy every requirement.
    pub fn matches<'l>(&self, get: impl Fn(&str) -> Option<&'l str>) -> bool {
        self.0.iter().all(|r| match r {
            Requirement::Equals(k, v) => get(k) == Some(v.as_str()),
            Requirement::NotEquals(k, v) => get(k) != Some(v.as_str()),
            Requirement::In(k, vs) => get(k).is_some_and(|l| vs.iter().any(|v| v == l)),
            Requirement::NotIn(k, vs) => get(k).is_none_or(|l| !vs.iter().any(|v| v == l)),
            Requirement::Exists(k) => get(k).is_some(),
            Requirement::NotExists(k) => get(k).is_none(),
        })
    }
}

/// Splits on commas that are not inside `( )`.
fn split_top_level(input: &str) -> Vec<&str> {
    let (mut parts, mut depth, mut start) = (Vec::new(), 0i32, 0);
    for (i, c) in input.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&input[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&input[start..]);
    parts
}

fn set_op<'a>(part: &'a str, op: &str) -> Option<(&'a str, Option<Vec<String>>)> {
    let (key, rest) = part.split_once(op)?;
    let set = rest
        .trim()
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .map(|inner| inner.split(',').map(|v| v.trim().to_owned()).collect());
    Some((key, set))
}

fn key_of(key: &str) -> Option<String> {
    let key = key.trim();
    let valid = !key.is_empty()
        && key.len() <= 316
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
    valid.then(|| key.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn evaluates_every_operator() {
        let l = labels(&[("env", "prod"), ("tier", "web")]);
        let table = [
            ("env=prod", true),
            ("env==prod", true),
            ("env!=prod", false),
            ("tier in (web,api)", true),
            ("tier notin (web,api)", false),
            ("env", true),
            ("!legacy", true),
            ("!env", false),
            ("env=prod,tier in (api)", false),
            ("owner notin (x)", true),
        ];
        for (sel, want) in table {
            assert_eq!(
                Selector::parse(sel)
                    .unwrap()
                    .matches(|k| l.get(k).map(String::as_str)),
                want,
                "{sel}"
            );
        }
    }

    #[test]
    fn refuses_malformed_selectors() {
        for bad in ["env=prod,", "tier in web", "bad key=1", "!"] {
            assert_eq!(
                Selector::parse(bad).unwrap_err(),
                "Invalid label_selector value",
                "{bad:?}"
            );
        }
        assert_eq!(
            Selector::parse("").unwrap_err(),
            "Missing label_selector value"
        );
        let many = vec!["a"; 51].join(",");
        assert_eq!(
            Selector::parse(&many).unwrap_err(),
            "Too many label_selector requirements (maximum is 50)"
        );
    }
}
