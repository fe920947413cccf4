//! Pure: comparing the metadata the operator owns on the objects it makes.

use kube::ResourceExt;

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
