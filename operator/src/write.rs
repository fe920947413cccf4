//! The two writes every child of the operator's goes through: a server-side apply with the
//! operator's one field manager, and a delete that is done when the object is already gone.

use crate::{Error, context::FIELD_MANAGER};
use kube::{
    Api, Resource,
    api::{DeleteParams, Patch, PatchParams},
};
use serde::{Serialize, de::DeserializeOwned};
use std::fmt::Debug;

/// Server-side applies `desired` (creating it when absent); `what` names the write in errors.
pub(crate) async fn apply<K>(api: &Api<K>, desired: &K, what: &'static str) -> Result<(), Error>
where
    K: Resource + Clone + Serialize + DeserializeOwned + Debug,
{
    let name = desired.meta().name.clone().unwrap_or_default();
    api.patch(
        &name,
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(desired),
    )
    .await
    .map(|_| ())
    .map_err(|source| Error::Write {
        what,
        name: format!(
            "{}/{name}",
            desired.meta().namespace.clone().unwrap_or_default()
        ),
        source,
    })
}

/// Deletes `name` in `namespace` (its dependents in the background); one that is gone already
/// is no error.
pub(crate) async fn delete<K>(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    what: &'static str,
) -> Result<(), Error>
where
    K: Resource<Scope = kube::core::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + DeserializeOwned
        + Debug,
{
    let api: Api<K> = Api::namespaced(client.clone(), namespace);
    match api.delete(name, &DeleteParams::background()).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
        Err(source) => Err(Error::Write {
            what,
            name: format!("{namespace}/{name}"),
            source,
        }),
    }
}
