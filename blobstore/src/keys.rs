//! Where each kind of bits lives in the blobstore.
//!
//! One flat namespace per kind, like CC's separate buckets, so a `list` of one kind (the
//! resource pool loads `resources/` at start) never walks the others. Keys are only
//! formatted, and read back ([`parse`], for the blob collector), here; [`crate::Blobstore`]
//! refuses any key that is not plain ASCII segments, so a hostile guid cannot turn into `..`
//! on the filesystem backend.

/// Prefix under which the resource pool keeps file contents by SHA-1.
pub const RESOURCES_PREFIX: &str = "resources";
/// Prefix of package zips.
pub const PACKAGES_PREFIX: &str = "packages";
/// Prefix of droplets.
pub const DROPLETS_PREFIX: &str = "droplets";
/// Prefix of admin buildpack zips.
pub const BUILDPACKS_PREFIX: &str = "buildpacks";
/// Prefix of per-app staging caches.
pub const BUILDPACK_CACHE_PREFIX: &str = "buildpack_cache";

/// The zip of an app's source bits (a CF package of type `bits`).
pub fn package(guid: &str) -> String {
    format!("{PACKAGES_PREFIX}/{guid}")
}

/// The tarball a build produced.
pub fn droplet(guid: &str) -> String {
    format!("{DROPLETS_PREFIX}/{guid}")
}

/// An admin-uploaded buildpack zip.
pub fn buildpack(guid: &str) -> String {
    format!("{BUILDPACKS_PREFIX}/{guid}")
}

/// The staging cache one app keeps per stack, so the next build can reuse downloaded deps.
pub fn buildpack_cache(app_guid: &str, stack: &str) -> String {
    format!("{BUILDPACK_CACHE_PREFIX}/{app_guid}/{stack}")
}

/// One file's contents in the resource pool.
pub fn resource(sha1: &str) -> String {
    format!("{RESOURCES_PREFIX}/{sha1}")
}

/// What a key holds, read back from its layout: the inverse of the functions above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key<'a> {
    Package { guid: &'a str },
    Droplet { guid: &'a str },
    Buildpack { guid: &'a str },
    BuildpackCache { app_guid: &'a str, stack: &'a str },
    Resource { sha1: &'a str },
}

/// The kind of bits at `key` and whose they are, or `None` for a key this layout never makes
/// (another prefix, too few or too many segments, an empty segment).
pub fn parse(key: &str) -> Option<Key<'_>> {
    let mut segments = key.split('/');
    let kind = segments.next()?;
    let rest: Vec<&str> = segments.collect();
    if rest.iter().any(|s| s.is_empty()) {
        return None;
    }
    match (kind, rest.as_slice()) {
        (PACKAGES_PREFIX, [guid]) => Some(Key::Package { guid }),
        (DROPLETS_PREFIX, [guid]) => Some(Key::Droplet { guid }),
        (BUILDPACKS_PREFIX, [guid]) => Some(Key::Buildpack { guid }),
        (BUILDPACK_CACHE_PREFIX, [app_guid, stack]) => {
            Some(Key::BuildpackCache { app_guid, stack })
        }
        (RESOURCES_PREFIX, [sha1]) => Some(Key::Resource { sha1 }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout() {
        assert_eq!(package("p"), "packages/p");
        assert_eq!(droplet("d"), "droplets/d");
        assert_eq!(buildpack("b"), "buildpacks/b");
        assert_eq!(
            buildpack_cache("a", "cflinuxfs4"),
            "buildpack_cache/a/cflinuxfs4"
        );
        assert_eq!(resource("abc"), "resources/abc");
    }

    #[test]
    fn parse_reads_back_every_layout_and_nothing_else() {
        let cases = [
            (package("p"), Some(Key::Package { guid: "p" })),
            (droplet("d"), Some(Key::Droplet { guid: "d" })),
            (buildpack("b"), Some(Key::Buildpack { guid: "b" })),
            (
                buildpack_cache("a", "cflinuxfs4"),
                Some(Key::BuildpackCache {
                    app_guid: "a",
                    stack: "cflinuxfs4",
                }),
            ),
            (resource("abc"), Some(Key::Resource { sha1: "abc" })),
            ("packages".into(), None),
            ("packages/".into(), None),
            ("packages/p/extra".into(), None),
            ("droplets//d".into(), None),
            ("buildpack_cache/a".into(), None),
            ("buildpack_cache/a/s/x".into(), None),
            ("buildpack_cache/a/".into(), None),
            ("elsewhere/x".into(), None),
            ("".into(), None),
        ];
        for (key, want) in &cases {
            assert_eq!(parse(key), *want, "{key}");
        }
    }
}
