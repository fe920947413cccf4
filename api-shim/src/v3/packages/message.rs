//! `POST /v3/packages`, checked as CC's `PackageCreateMessage` checks it, and a Docker image
//! reference checked as the container runtime will parse it, so nothing the kubelet would
//! refuse is ever stored (pure).

use crate::v3::prelude::*;

#[derive(Deserialize)]
pub struct Relationships {
    pub app: Related,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DockerData {
    pub image: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
}

#[derive(Deserialize)]
pub struct CreatePackage {
    #[serde(rename = "type")]
    pub type_: String,
    pub relationships: Relationships,
    pub data: Option<DockerData>,
    pub metadata: Option<MetadataRequest>,
}

impl Message for CreatePackage {
    const KEYS: &'static str = "type relationships data metadata";

    fn validate(&self) -> Result<(), Vec<String>> {
        let problem = match (self.type_.as_str(), &self.data) {
            ("bits", None) => return Ok(()),
            ("bits", Some(_)) => "Data must be empty if provided for bits packages".to_owned(),
            ("docker", Some(d)) => match d.image.as_deref() {
                None | Some("") => "Data Image required".to_owned(),
                Some(_) if d.username.is_some() || d.password.is_some() => {
                    "Private registries are not supported by this Smelter version".to_owned()
                }
                Some(image) if !image_reference(image) => {
                    format!("Data Image '{image}' is not a valid Docker image reference")
                }
                Some(_) => return Ok(()),
            },
            ("docker", None) => "Data Image required".to_owned(),
            _ => "Type must be one of 'bits', 'docker'".to_owned(),
        };
        Err(vec![problem])
    }
}

/// Whether `s` is a Docker image reference (`[domain[:port]/]path[:tag][@digest]`, the
/// distribution grammar), which the container runtime can pull.
pub fn image_reference(s: &str) -> bool {
    let (rest, digest) = match s.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (s, None),
    };
    if let Some(digest) = digest {
        let Some((algorithm, hex)) = digest.split_once(':') else {
            return false;
        };
        let algorithm_ok = !algorithm.is_empty()
            && algorithm
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+.-_".contains(c));
        if !algorithm_ok || hex.len() < 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return false;
        }
    }
    // A tag follows the last `:` after the last `/` (a `:` before it is a registry's port).
    let (name, tag) = match rest.rfind(':') {
        Some(i) if !rest[i..].contains('/') => (&rest[..i], Some(&rest[i + 1..])),
        _ => (rest, None),
    };
    if let Some(tag) = tag {
        let mut chars = tag.chars();
        let first_ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        if !first_ok
            || tag.len() > 128
            || !chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
        {
            return false;
        }
    }
    if name.is_empty() || name.len() > 255 {
        return false;
    }
    let mut parts: Vec<&str> = name.split('/').collect();
    // The first part is a registry if it looks like a host (a dot, a port, or localhost).
    if parts.len() > 1
        && (parts[0].contains('.') || parts[0].contains(':') || parts[0] == "localhost")
    {
        let domain = parts.remove(0);
        let (host, port) = match domain.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (domain, None),
        };
        let host_ok = host.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
        let port_ok = port.is_none_or(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
        if !host_ok || !port_ok {
            return false;
        }
    }
    !parts.is_empty() && parts.iter().all(|p| path_component(p))
}

/// `[a-z0-9]+` joined by one `.`, one or two `_`, or any number of `-`.
fn path_component(p: &str) -> bool {
    let bytes = p.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if bytes.is_empty() || !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let sep = &p[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.chars().all(|c| c == '-');
        if !ok {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references_follow_the_distribution_grammar() {
        let good = [
            "nginx",
            "nginx:1.27",
            "library/nginx:latest",
            "docker.io/library/nginx",
            "registry.example.com:5000/team/app:v1.2-rc_3",
            "localhost/app",
            "my__app/x-y",
            "a.b/c_d",
            "nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ];
        for image in good {
            assert!(image_reference(image), "{image} refused");
        }
        let bad = [
            "evil/../../x",
            "",
            "Nginx",
            "nginx:",
            "nginx:-bad",
            "/nginx",
            "nginx/",
            "a//b",
            "a___b",
            "registry:port/app",
            "nginx@sha256:xyz",
            "with space",
            "tab\there",
        ];
        for image in bad {
            assert!(!image_reference(image), "{image:?} accepted");
        }
    }

    #[test]
    fn creates_are_checked_as_cc_checks_them() {
        let check = |body: &str| CreatePackage::check(body);
        let app = r#""relationships":{"app":{"data":{"guid":"a"}}}"#;
        assert!(check(&format!(r#"{{"type":"bits",{app}}}"#)).is_ok());
        assert!(
            check(&format!(
                r#"{{"type":"docker",{app},"data":{{"image":"nginx"}}}}"#
            ))
            .is_ok()
        );
        let cases = [
            (r#""type":"docker""#, "Data Image required"),
            (
                r#""type":"docker","data":{"image":""}"#,
                "Data Image required",
            ),
            (
                r#""type":"docker","data":{"image":"evil/../../x"}"#,
                "Data Image 'evil/../../x' is not a valid Docker image reference",
            ),
            (
                r#""type":"bits","data":{}"#,
                "Data must be empty if provided for bits packages",
            ),
            (r#""type":"zip""#, "Type must be one of 'bits', 'docker'"),
        ];
        for (fields, want) in cases {
            assert_eq!(
                check(&format!("{{{fields},{app}}}")).unwrap_err(),
                [want],
                "{fields}"
            );
        }
    }
}
