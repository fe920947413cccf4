//! Pure: which blobs have lost their owner. A key names its owner ([`keys::parse`]); the owner
//! is one of the custom resources the watch caches hold, seen at one moment ([`Owners`]).

use crate::storage::cache::Caches;
use smelter_blobstore::keys::{self, Key};
use std::{collections::HashSet, time::SystemTime};

/// The custom resource a blob belongs to, by name (its CF GUID).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Owner {
    /// `packages/<guid>`.
    Package(String),
    /// `droplets/<guid>`: a droplet's GUID is its build's.
    Build(String),
    /// `buildpack_cache/<guid>/<stack>`.
    App(String),
    /// `buildpacks/<guid>`.
    Buildpack(String),
}

impl Owner {
    /// The owner's name.
    pub fn guid(&self) -> &str {
        match self {
            Self::Package(g) | Self::Build(g) | Self::App(g) | Self::Buildpack(g) => g,
        }
    }

    /// The kind of bits it owns, for logs and the metric label.
    pub fn blob_kind(&self) -> &'static str {
        match self {
            Self::Package(_) => "package",
            Self::Build(_) => "droplet",
            Self::App(_) => "buildpack_cache",
            Self::Buildpack(_) => "buildpack",
        }
    }
}

/// The names of every object that can own a blob, as the caches held them at one moment.
#[derive(Debug, Default)]
pub struct Owners {
    pub packages: HashSet<String>,
    pub builds: HashSet<String>,
    pub apps: HashSet<String>,
    pub buildpacks: HashSet<String>,
    /// Droplets an app (as its current droplet) or an LRP still names. Such a droplet is kept
    /// even if its Build is gone (deleted by hand, say): new instances fetch it when they start.
    pub droplets_in_use: HashSet<String>,
}

impl Owners {
    /// What the caches hold now.
    pub fn from_caches(caches: &Caches) -> Self {
        fn names<K: kube::Resource>(objects: &[std::sync::Arc<K>]) -> HashSet<String> {
            objects
                .iter()
                .filter_map(|o| o.meta().name.clone())
                .collect()
        }
        let apps = caches.apps.all();
        let lrps = caches.lrps.all();
        let droplets_in_use = apps
            .iter()
            .filter_map(|a| a.spec.current_droplet_guid.clone())
            .chain(
                lrps.iter()
                    .filter_map(|l| l.spec.droplet.as_ref().map(|d| d.guid.clone())),
            )
            .collect();
        Self {
            packages: names(&caches.packages.all()),
            builds: names(&caches.builds.all()),
            apps: names(&apps),
            buildpacks: names(&caches.buildpacks.all()),
            droplets_in_use,
        }
    }

    fn has(&self, owner: &Owner) -> bool {
        match owner {
            Owner::Package(g) => self.packages.contains(g),
            Owner::Build(g) => self.builds.contains(g) || self.droplets_in_use.contains(g),
            Owner::App(g) => self.apps.contains(g),
            Owner::Buildpack(g) => self.buildpacks.contains(g),
        }
    }
}

/// What to do with one blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Not a key Smelter makes (or its owner's name could not be an object's): left alone.
    Unrecognised,
    /// The resource pool, shared by every app: never collected.
    Shared,
    /// Its owner exists.
    Owned,
    /// No owner, but written after `cutoff`: the owner may be too new for the cache, or the
    /// blob still being uploaded. Looked at again next sweep.
    Young,
    /// No owner, and old enough: to be deleted once the API server confirms the owner is gone.
    Orphan(Owner),
}

/// The verdict on the blob at `key`, last written at `modified`. Owners are always created
/// before their blobs, so an owner of a blob written before `cutoff` (now minus the grace) is
/// in `owners` unless the caches lag by more than the grace.
pub fn judge(key: &str, modified: SystemTime, cutoff: SystemTime, owners: &Owners) -> Verdict {
    let owner = match keys::parse(key) {
        Some(Key::Resource { .. }) => return Verdict::Shared,
        Some(Key::Package { guid }) => Owner::Package(guid.to_owned()),
        Some(Key::Droplet { guid }) => Owner::Build(guid.to_owned()),
        Some(Key::BuildpackCache { app_guid, .. }) => Owner::App(app_guid.to_owned()),
        Some(Key::Buildpack { guid }) => Owner::Buildpack(guid.to_owned()),
        None => return Verdict::Unrecognised,
    };
    // A name no object can have is no one's: but it is not ours to judge either. (It also
    // keeps anything odd out of the field selector that confirms an owner is gone.)
    if !is_object_name(owner.guid()) {
        return Verdict::Unrecognised;
    }
    if owners.has(&owner) {
        Verdict::Owned
    } else if modified > cutoff {
        Verdict::Young
    } else {
        Verdict::Orphan(owner)
    }
}

/// Whether `name` could name a custom resource (a DNS subdomain, as Kubernetes requires).
fn is_object_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 253
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'.'))
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const APP: &str = "5c1a3e1e-63b5-4a8e-9b0e-2f6d1c3b7a10";
    const GONE: &str = "0d9f6a7b-1111-4c2d-8e3f-a1b2c3d4e5f6";

    fn owners() -> Owners {
        let set = |names: &[&str]| names.iter().map(|n| n.to_string()).collect();
        Owners {
            packages: set(&["pkg"]),
            builds: set(&["bld"]),
            apps: set(&[APP]),
            buildpacks: set(&["bp"]),
            droplets_in_use: set(&["current"]),
        }
    }

    #[test]
    fn verdicts() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let cutoff = now - Duration::from_secs(60);
        let old = cutoff - Duration::from_secs(1);
        let young = cutoff + Duration::from_secs(1);
        let cases = [
            ("packages/pkg", old, Verdict::Owned),
            ("droplets/bld", old, Verdict::Owned),
            ("droplets/current", old, Verdict::Owned),
            (
                &format!("buildpack_cache/{APP}/cflinuxfs4"),
                old,
                Verdict::Owned,
            ),
            ("buildpacks/bp", old, Verdict::Owned),
            (
                "packages/gone",
                old,
                Verdict::Orphan(Owner::Package("gone".into())),
            ),
            (
                "droplets/gone",
                old,
                Verdict::Orphan(Owner::Build("gone".into())),
            ),
            (
                &format!("buildpack_cache/{GONE}/cflinuxfs4"),
                old,
                Verdict::Orphan(Owner::App(GONE.into())),
            ),
            (
                "buildpacks/gone",
                old,
                Verdict::Orphan(Owner::Buildpack("gone".into())),
            ),
            // Exactly at the cutoff is old enough; a second later is not.
            (
                "packages/gone",
                cutoff,
                Verdict::Orphan(Owner::Package("gone".into())),
            ),
            ("packages/gone", young, Verdict::Young),
            ("droplets/gone", young, Verdict::Young),
            ("resources/0a1b", old, Verdict::Shared),
            ("packages/pkg/extra", old, Verdict::Unrecognised),
            ("buildpack_cache/only-app", old, Verdict::Unrecognised),
            ("tasks/t1", old, Verdict::Unrecognised),
            ("packages/Upper", old, Verdict::Unrecognised),
            ("packages/-dash", old, Verdict::Unrecognised),
            ("packages/a_b", old, Verdict::Unrecognised),
            ("packages/a%2Cb", old, Verdict::Unrecognised),
        ];
        for (key, modified, want) in cases {
            assert_eq!(judge(key, modified, cutoff, &owners()), want, "{key}");
        }
    }

    #[test]
    fn object_names() {
        for good in [APP, "a", "a.b-c", "0"] {
            assert!(is_object_name(good), "{good}");
        }
        for bad in [
            "",
            "A",
            "a_b",
            "-a",
            "a-",
            ".a",
            "a,b",
            "a=b",
            &"a".repeat(254),
        ] {
            assert!(!is_object_name(bad), "{bad}");
        }
    }
}
