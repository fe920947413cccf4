//! Writes to the API server as the caller, shared by every resource module: create or replace
//! with Smelter's field manager, then wait until the watch cache shows the result, so the
//! caller's next read sees its write (CC is read-your-writes).

use crate::{
    auth::Caller,
    cache,
    errors::{ApiError, ApiResult},
    orgs::FIELD_MANAGER,
    state::AppState,
};
use k8s_openapi::NamespaceResourceScope;
use kube::{Api, Resource, api::PostParams, runtime::reflector::Store};
use serde::{Serialize, de::DeserializeOwned};
use std::{fmt::Debug, time::Duration};

/// How long a handler waits for its own write to reach the cache.
const SEEN_WITHIN: Duration = Duration::from_secs(10);

/// Create/replace parameters with the api-shim's field manager.
pub fn params() -> PostParams {
    PostParams {
        field_manager: Some(FIELD_MANAGER.into()),
        ..Default::default()
    }
}

/// Creates `obj` in `namespace` as the caller and waits until `store` has it.
pub async fn create<K>(
    state: &AppState,
    caller: &Caller,
    namespace: &str,
    obj: &K,
    store: &Store<K>,
) -> ApiResult<K>
where
    K: Resource<Scope = NamespaceResourceScope, DynamicType = ()>
        + Clone
        + Debug
        + Serialize
        + DeserializeOwned,
{
    let api: Api<K> = Api::namespaced(
        state.client_for(caller).map_err(ApiError::from_kube)?,
        namespace,
    );
    let created = api
        .create(&params(), obj)
        .await
        .map_err(ApiError::from_kube)?;
    let name = created.meta().name.clone();
    cache::until(store, SEEN_WITHIN, |s| {
        s.state().iter().any(|o| o.meta().name == name)
    })
    .await;
    Ok(created)
}

/// Replaces a (cached, changed) object as the caller and waits until `store` has the new version.
pub async fn replace<K>(
    state: &AppState,
    caller: &Caller,
    mut obj: K,
    store: &Store<K>,
) -> ApiResult<K>
where
    K: Resource<Scope = NamespaceResourceScope, DynamicType = ()>
        + Clone
        + Debug
        + Serialize
        + DeserializeOwned,
{
    cache::for_write(obj.meta_mut());
    let name = obj.meta().name.clone().unwrap_or_default();
    let namespace = obj.meta().namespace.clone().unwrap_or_default();
    let api: Api<K> = Api::namespaced(
        state.client_for(caller).map_err(ApiError::from_kube)?,
        &namespace,
    );
    let updated = api
        .replace(&name, &params(), &obj)
        .await
        .map_err(ApiError::from_kube)?;
    let version = updated.meta().resource_version.clone();
    cache::until(store, SEEN_WITHIN, |s| {
        s.state().iter().any(|o| {
            o.meta().name.as_deref() == Some(name.as_str()) && o.meta().resource_version == version
        })
    })
    .await;
    Ok(updated)
}
