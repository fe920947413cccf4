//! Which buildpacks a build stages with, from the admin buildpacks (CC's rules): named ones in
//! the order named, each run without detection; otherwise every enabled, uploaded buildpack
//! for the build's stack in `position` order, detected in turn.

use super::job::StagingBuildpack;
use smelter_crds::{
    Buildpack,
    buildpack::{BuildpackState, BuildpackStatus},
};
use std::borrow::Borrow;

/// The buildpacks to fetch, and whether the builder skips detection.
#[derive(Clone, Debug, PartialEq)]
pub struct Selection {
    pub buildpacks: Vec<StagingBuildpack>,
    pub skip_detect: bool,
}

/// Chooses the buildpacks for a build that names `requested` (possibly none) on `stack`.
/// The error is the build's CF error text.
pub fn select(
    requested: &[String],
    stack: &str,
    admin: &[impl Borrow<Buildpack>],
) -> Result<Selection, String> {
    // Uploaded, enabled, and for this stack (or any stack), in detection order.
    let mut usable: Vec<(&Buildpack, StagingBuildpack)> = admin
        .iter()
        .map(Borrow::borrow)
        .filter(|b| b.spec.enabled)
        .filter(|b| b.spec.stack.as_deref().is_none_or(|s| s == stack))
        .filter_map(|b| Some((b, staging_buildpack(b)?)))
        .collect();
    usable.sort_by(|(a, _), (b, _)| {
        (a.spec.position, a.metadata.name.as_deref())
            .cmp(&(b.spec.position, b.metadata.name.as_deref()))
    });

    if requested.is_empty() {
        if usable.is_empty() {
            return Err(
                "NoAppDetectedError - An app was not successfully detected by any available buildpack"
                    .into(),
            );
        }
        return Ok(Selection {
            buildpacks: usable.into_iter().map(|(_, s)| s).collect(),
            skip_detect: false,
        });
    }

    let mut buildpacks = Vec::with_capacity(requested.len());
    for name in requested {
        if name.contains("://") {
            // Smelter's pods have no way to the internet by design; git and zip URLs are a
            // CC feature it does not offer.
            return Err(format!(
                "StagingError - Staging error: buildpack URLs are not supported ({name}); upload it with cf create-buildpack"
            ));
        }
        // A buildpack for this very stack wins over one for any stack of the same name.
        let found = usable
            .iter()
            .filter(|(b, _)| b.spec.name == *name)
            .min_by_key(|(b, _)| b.spec.stack.is_none())
            .map(|(_, s)| s.clone());
        match found {
            Some(s) => buildpacks.push(s),
            None => {
                return Err(format!(
                    "StagingError - Staging error: buildpack \"{name}\" is not an enabled, uploaded admin buildpack for stack {stack}"
                ));
            }
        }
    }
    Ok(Selection {
        buildpacks,
        skip_detect: true,
    })
}

/// The buildpack as the Job fetches it, once its zip is stored.
fn staging_buildpack(b: &Buildpack) -> Option<StagingBuildpack> {
    let BuildpackStatus {
        state: BuildpackState::Ready,
        checksum: Some(checksum),
        ..
    } = b.status.as_ref()?
    else {
        return None;
    };
    Some(StagingBuildpack {
        name: b.spec.name.clone(),
        guid: b.metadata.name.clone()?,
        sha256: checksum.value.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use smelter_crds::{BuildpackSpec, Checksum, ChecksumType};

    fn bp(guid: &str, name: &str, position: i32, stack: Option<&str>, ready: bool) -> Buildpack {
        let mut b = Buildpack::new(
            guid,
            BuildpackSpec {
                name: name.into(),
                position,
                stack: stack.map(Into::into),
                enabled: true,
                locked: false,
            },
        );
        b.status = Some(BuildpackStatus {
            state: if ready {
                BuildpackState::Ready
            } else {
                BuildpackState::AwaitingUpload
            },
            checksum: ready.then(|| Checksum {
                type_: ChecksumType::Sha256,
                value: format!("{guid}-sha"),
            }),
            ..Default::default()
        });
        b
    }

    fn names(s: &Selection) -> Vec<&str> {
        s.buildpacks.iter().map(|b| b.guid.as_str()).collect()
    }

    #[test]
    fn detection_uses_every_usable_buildpack_by_position() {
        let mut disabled = bp("d", "go", 2, None, true);
        disabled.spec.enabled = false;
        let admin = vec![
            bp("c", "static", 3, None, true),
            bp("a", "binary", 1, Some("cflinuxfs4"), true),
            disabled,
            bp("w", "waiting", 4, None, false),
            bp("o", "other-stack", 5, Some("cflinuxfs3"), true),
        ];
        let s = select(&[], "cflinuxfs4", &admin).expect("selection");
        assert_eq!(names(&s), ["a", "c"]);
        assert!(!s.skip_detect);
        assert_eq!(s.buildpacks[0].sha256, "a-sha");
        assert_eq!(s.buildpacks[0].name, "binary");
    }

    #[test]
    fn named_buildpacks_keep_their_order_and_skip_detection() {
        let admin = vec![
            bp("any", "ruby", 1, None, true),
            bp("fs4", "ruby", 2, Some("cflinuxfs4"), true),
            bp("b", "binary", 3, None, true),
        ];
        let requested = ["binary".to_owned(), "ruby".to_owned()];
        let s = select(&requested, "cflinuxfs4", &admin).expect("selection");
        assert_eq!(names(&s), ["b", "fs4"], "the stack's own ruby wins");
        assert!(s.skip_detect);
    }

    #[test]
    fn what_cannot_be_staged_is_a_cf_error() {
        let admin = vec![bp("w", "waiting", 1, None, false)];
        // (requested, error starts with)
        let cases: [(&[&str], &str); 3] = [
            (
                &[],
                "NoAppDetectedError - An app was not successfully detected",
            ),
            (
                &["waiting"],
                "StagingError - Staging error: buildpack \"waiting\"",
            ),
            (
                &["https://github.com/cloudfoundry/go-buildpack"],
                "StagingError - Staging error: buildpack URLs are not supported",
            ),
        ];
        for (requested, want) in cases {
            let requested: Vec<String> = requested.iter().map(|s| (*s).to_owned()).collect();
            let error = select(&requested, "cflinuxfs4", &admin).expect_err("no selection");
            assert!(error.starts_with(want), "{requested:?}: {error}");
        }
    }
}
