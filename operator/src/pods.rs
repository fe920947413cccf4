//! Pure: what the two kinds of pod the operator makes have in common. A staging Job's pod and
//! an LRP's instances both run CF's lifecycle on a stack image as CF's `vcap` user, and both
//! take the app's variables from its Secrets, so these live below both builders.

use k8s_openapi::api::core::v1::{
    ConfigMapEnvSource, EnvFromSource, PodSecurityContext, SecretEnvSource,
};

/// CF's `vcap` user, which the stack image runs staging and apps as.
pub const VCAP_UID: i64 = 2000;

/// A pod that runs as `vcap`, its volumes writable by it.
pub fn as_vcap() -> PodSecurityContext {
    PodSecurityContext {
        run_as_user: Some(VCAP_UID),
        run_as_group: Some(VCAP_UID),
        fs_group: Some(VCAP_UID),
        ..Default::default()
    }
}

/// The Secrets a container takes variables from, each optional: an app without user variables
/// or without service bindings has no such Secret, and its instances still start.
/// An environment variable group's ConfigMap in the pod's namespace, first among a pod's
/// variable sources (a later source wins, so the app's own variables do), and optional: the
/// operator keeps it only while the group has variables.
pub fn env_group(group: &str) -> EnvFromSource {
    EnvFromSource {
        config_map_ref: Some(ConfigMapEnvSource {
            name: smelter_crds::env_group::space_config_map_name(group),
            optional: Some(true),
        }),
        ..Default::default()
    }
}

pub fn secrets_env(names: impl IntoIterator<Item = String>) -> Vec<EnvFromSource> {
    names
        .into_iter()
        .map(|name| EnvFromSource {
            secret_ref: Some(SecretEnvSource {
                name,
                optional: Some(true),
            }),
            ..Default::default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_secret_is_optional_and_in_order() {
        let from = secrets_env(["a-env".to_owned(), "a-services".to_owned()]);
        let named: Vec<_> = from
            .iter()
            .map(|e| e.secret_ref.as_ref().map(|s| (s.name.as_str(), s.optional)))
            .collect();
        assert_eq!(
            named,
            [
                Some(("a-env", Some(true))),
                Some(("a-services", Some(true)))
            ]
        );
        assert!(secrets_env(Vec::new()).is_empty());
    }

    #[test]
    fn vcap_owns_what_it_runs() {
        let vcap = as_vcap();
        assert_eq!(
            (vcap.run_as_user, vcap.run_as_group, vcap.fs_group),
            (Some(2000), Some(2000), Some(2000))
        );
    }
}
