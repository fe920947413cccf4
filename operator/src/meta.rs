//! Pure: comparing the metadata the operator owns on the objects it makes.

use kube::{Resource, ResourceExt};
use smelter_crds::labels;
use std::collections::BTreeMap;

/// The labels every child of `owner` starts with: the owner's org and space GUIDs (the API
/// filters on them) and Smelter's managed-by mark.
pub fn child_labels(owner: &impl ResourceExt) -> BTreeMap<String, String> {
    let mut l: BTreeMap<String, String> = owner
        .labels()
        .iter()
        .filter(|(k, _)| [labels::ORG_GUID, labels::SPACE_GUID].contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    l.insert(labels::MANAGED_BY.into(), "smelter".into());
    l
}

/// Whether `obj` is `owner`'s own (and not, say, a leftover of a deleted owner of the same
/// name that the garbage collector has yet to remove).
pub fn is_owned_by(obj: &impl Resource, owner: &impl Resource) -> bool {
    obj.meta()
        .owner_references
        .iter()
        .flatten()
        .any(|r| Some(&r.uid) == owner.meta().uid.as_ref())
}

/// Whether `live` carries every label and owner reference `desired` has. Others' labels and
/// owners on the live object are theirs to keep, so they do not make it out of date.
pub fn carries(desired: &impl ResourceExt, live: &impl ResourceExt) -> bool {
    desired
        .labels()
        .iter()
        .all(|(k, v)| live.labels().get(k) == Some(v))
        && desired
            .owner_references()
            .iter()
            .all(|o| live.owner_references().iter().any(|l| l.uid == o.uid))
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::{
        api::core::v1::ConfigMap, apimachinery::pkg::apis::meta::v1::OwnerReference,
    };

    fn object(labels: &[(&str, &str)], owners: &[&str]) -> ConfigMap {
        let mut c = ConfigMap::default();
        c.metadata.labels = Some(
            labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        );
        c.metadata.owner_references = Some(
            owners
                .iter()
                .map(|uid| OwnerReference {
                    uid: (*uid).to_owned(),
                    ..Default::default()
                })
                .collect(),
        );
        c
    }

    #[test]
    fn extra_labels_and_owners_are_fine_missing_ones_are_not() {
        let desired = object(&[("a", "1")], &["u"]);
        assert!(carries(
            &desired,
            &object(&[("a", "1"), ("b", "2")], &["u", "v"])
        ));
        assert!(!carries(&desired, &object(&[("a", "2")], &["u"])));
        assert!(!carries(&desired, &object(&[("a", "1")], &["v"])));
    }
}
