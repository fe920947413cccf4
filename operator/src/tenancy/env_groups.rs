//! Pure: the copies of the environment variable groups in a space's namespace. A pod reads
//! variables only from its own namespace, so each group (an `EnvironmentVariableGroup` in the
//! root namespace) is kept as a ConfigMap in every space namespace, which the app's instances
//! (running) and staging pods (staging) read before the app's own variables. An empty or
//! absent group has no copy.

use super::build::{Tenant, labels_present};
use k8s_openapi::{api::core::v1::ConfigMap, apimachinery::pkg::apis::meta::v1::ObjectMeta};
use smelter_crds::{EnvironmentVariableGroup, env_group::space_config_map_name};

/// The label naming the group a ConfigMap copies (and what the Space controller watches).
pub const GROUP_LABEL: &str = "cf.smelter.dev/env-group";

/// The copy of group `name` in `space`'s namespace, if the group has variables.
pub fn build(
    space: &Tenant,
    name: &str,
    group: Option<&EnvironmentVariableGroup>,
) -> Option<ConfigMap> {
    let var = &group?.spec.var;
    if var.is_empty() {
        return None;
    }
    Some(ConfigMap {
        metadata: ObjectMeta {
            name: Some(space_config_map_name(name)),
            namespace: Some(space.guid.clone()),
            labels: Some({
                let mut labels = space.space_labels();
                labels.insert(GROUP_LABEL.to_owned(), name.to_owned());
                labels
            }),
            ..ObjectMeta::default()
        },
        data: Some(var.clone()),
        ..ConfigMap::default()
    })
}

/// Whether `live` already has `desired`'s labels and variables.
pub fn is_up_to_date(desired: &ConfigMap, live: &ConfigMap) -> bool {
    labels_present(&desired.metadata, &live.metadata) && live.data == desired.data
}

#[cfg(test)]
mod tests {
    use super::*;
    use smelter_crds::EnvironmentVariableGroupSpec;
    use std::collections::BTreeMap;

    fn space() -> Tenant {
        Tenant::test_space()
    }

    fn group(vars: &[(&str, &str)]) -> EnvironmentVariableGroup {
        EnvironmentVariableGroup::new(
            "running",
            EnvironmentVariableGroupSpec {
                var: vars
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            },
        )
    }

    #[test]
    fn a_group_with_variables_is_copied_into_the_space() {
        let cm = build(&space(), "running", Some(&group(&[("LANG", "en")]))).expect("a copy");
        assert_eq!(
            cm.metadata.name.as_deref(),
            Some("smelter-running-env-group")
        );
        assert_eq!(cm.metadata.namespace.as_deref(), Some("space-guid"));
        assert_eq!(cm.data.as_ref().expect("data")["LANG"], "en");
        assert_eq!(
            cm.metadata.labels.as_ref().expect("labels")[GROUP_LABEL],
            "running"
        );
        assert!(build(&space(), "running", Some(&group(&[]))).is_none());
        assert!(build(&space(), "running", None).is_none());
    }

    #[test]
    fn only_other_variables_or_missing_labels_differ() {
        let desired = build(&space(), "running", Some(&group(&[("A", "1")]))).expect("copy");
        let mut live = desired.clone();
        live.metadata
            .labels
            .get_or_insert_default()
            .insert("x".into(), "y".into());
        assert!(is_up_to_date(&desired, &live));
        live.data = Some(BTreeMap::from([("A".to_owned(), "2".to_owned())]));
        assert!(!is_up_to_date(&desired, &live));
    }
}
