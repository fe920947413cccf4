//! Owner references, so Kubernetes' garbage collector deletes what a CF object owns with it
//! (an app's packages, builds, bindings and Secrets), as Cloud Controller deletes them.

use k8s_openapi::{
    ByteString,
    api::core::v1::Secret,
    apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference},
};
use kube::Resource;
use smelter_crds::labels;
use std::collections::BTreeMap;

/// A reference to `owner` that makes it the owner of another object. Not
/// `blockOwnerDeletion`: that needs update rights on the owner's finalizers, which a space
/// developer's role does not carry.
pub fn owned_by<K: Resource<DynamicType = ()>>(owner: &K) -> OwnerReference {
    OwnerReference {
        api_version: K::api_version(&()).into_owned(),
        kind: K::kind(&()).into_owned(),
        name: owner.meta().name.clone().unwrap_or_default(),
        uid: owner.meta().uid.clone().unwrap_or_default(),
        controller: None,
        block_owner_deletion: None,
    }
}

/// A reference to `owner` as the controller of another object (a Secret that exists only for
/// it, deleted before it).
pub fn controlled_by<K: Resource<DynamicType = ()>>(owner: &K) -> OwnerReference {
    OwnerReference {
        controller: Some(true),
        block_owner_deletion: Some(true),
        ..owned_by(owner)
    }
}

/// A Secret named `name` that exists only for `owner` (an app's environment variables, a
/// service instance's credentials): in its namespace, labelled `label` = its GUID, deleted
/// with it.
pub fn secret_of<K: Resource<DynamicType = ()>>(
    owner: &K,
    name: String,
    label: &str,
    data: BTreeMap<String, String>,
) -> Secret {
    let guid = owner.meta().name.clone().unwrap_or_default();
    let labels = [
        (label.to_owned(), guid),
        (labels::MANAGED_BY.to_owned(), "smelter".to_owned()),
    ];
    Secret {
        metadata: ObjectMeta {
            name: Some(name),
            namespace: owner.meta().namespace.clone(),
            labels: Some(labels.into()),
            owner_references: Some(vec![controlled_by(owner)]),
            ..Default::default()
        },
        data: Some(
            data.into_iter()
                .map(|(k, v)| (k, ByteString(v.into_bytes())))
                .collect(),
        ),
        ..Default::default()
    }
}
