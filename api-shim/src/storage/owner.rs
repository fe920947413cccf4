//! Owner references, so Kubernetes' garbage collector deletes what a CF object owns with it
//! (an app's packages, builds, bindings and Secrets), as Cloud Controller deletes them.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::Resource;

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
