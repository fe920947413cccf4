//! Keys that Smelter components share through a Secret in the root namespace (the token
//! signing key, the blob URL signing key), made by whichever component starts first.

use k8s_openapi::{ByteString, api::core::v1::Secret};
use kube::{Api, Client, api::PostParams};

/// Why a shared key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("failed to read or create the Secret {namespace}/{name} (does the namespace exist?)")]
    Kube {
        namespace: String,
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("the Secret {namespace}/{name} has no {field} field")]
    Missing {
        namespace: String,
        name: String,
        field: String,
    },
}

/// Reads `field` of the Secret `namespace/name`, creating the Secret with `generate()` when it
/// is absent. Creation is "create if absent": when two components race, the loser reads the
/// winner's key, so everyone ends up with the same one.
pub async fn get_or_create(
    client: &Client,
    namespace: &str,
    name: &str,
    field: &str,
    generate: impl FnOnce() -> Vec<u8>,
) -> Result<Vec<u8>, SecretError> {
    let kube_err = |source| SecretError::Kube {
        namespace: namespace.to_owned(),
        name: name.to_owned(),
        source,
    };
    let read = |secret: Secret| {
        secret
            .data
            .and_then(|mut d| d.remove(field))
            .map(|b| b.0)
            .ok_or_else(|| SecretError::Missing {
                namespace: namespace.to_owned(),
                name: name.to_owned(),
                field: field.to_owned(),
            })
    };
    let api: Api<Secret> = Api::namespaced(client.clone(), namespace);
    if let Some(secret) = api.get_opt(name).await.map_err(kube_err)? {
        return read(secret);
    }
    let value = generate();
    let secret = Secret {
        metadata: kube::api::ObjectMeta {
            name: Some(name.to_owned()),
            labels: Some(
                [(
                    smelter_crds::labels::MANAGED_BY.to_owned(),
                    "smelter".to_owned(),
                )]
                .into(),
            ),
            ..Default::default()
        },
        data: Some([(field.to_owned(), ByteString(value.clone()))].into()),
        ..Default::default()
    };
    match api.create(&PostParams::default(), &secret).await {
        Ok(_) => Ok(value),
        Err(kube::Error::Api(s)) if s.code == 409 => read(api.get(name).await.map_err(kube_err)?),
        Err(e) => Err(kube_err(e)),
    }
}
