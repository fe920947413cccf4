//! Where each kind of bits lives in the blobstore.
//!
//! One flat namespace per kind, like CC's separate buckets, so a `list` of one kind (the
//! resource pool loads `resources/` at start) never walks the others. Keys are only
//! formatted here; [`crate::Blobstore`] refuses any key that is not plain ASCII segments,
//! so a hostile guid cannot turn into `..` on the filesystem backend.

/// Prefix under which the resource pool keeps file contents by SHA-1.
pub const RESOURCES_PREFIX: &str = "resources";

/// The zip of an app's source bits (a CF package of type `bits`).
pub fn package(guid: &str) -> String {
    format!("packages/{guid}")
}

/// The tarball a build produced.
pub fn droplet(guid: &str) -> String {
    format!("droplets/{guid}")
}

/// An admin-uploaded buildpack zip.
pub fn buildpack(guid: &str) -> String {
    format!("buildpacks/{guid}")
}

/// The staging cache one app keeps per stack, so the next build can reuse downloaded deps.
pub fn buildpack_cache(app_guid: &str, stack: &str) -> String {
    format!("buildpack_cache/{app_guid}/{stack}")
}

/// One file's contents in the resource pool.
pub fn resource(sha1: &str) -> String {
    format!("{RESOURCES_PREFIX}/{sha1}")
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
}
