//! Checks at start-up that Smelter's CustomResourceDefinitions are installed and Established,
//! so a missing install fails with instructions instead of endless watch errors.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::{Api, Client};

/// What to tell an operator who started a binary before installing the CRDs.
pub const INSTALL_HINT: &str = "install them with `kubectl apply --server-side -f charts/smelter/crds/` (or `helm install smelter charts/smelter`)";

/// Why the check could not pass.
#[derive(Debug, thiserror::Error)]
pub enum CrdCheckError {
    #[error("Smelter's CRDs are not installed or not yet Established: {}; {INSTALL_HINT}", missing.join(", "))]
    Missing { missing: Vec<String> },
    #[error("failed to read CustomResourceDefinition {name}")]
    Read {
        name: String,
        #[source]
        source: kube::Error,
    },
}

/// The names (`<plural>.<group>`) of every CRD Smelter needs.
pub fn required_crd_names() -> Vec<String> {
    smelter_crds::all_crds()
        .into_iter()
        .filter_map(|crd| crd.metadata.name)
        .collect()
}

/// Returns the names among `names` that are absent or not yet Established.
pub async fn missing_crds(client: &Client, names: &[String]) -> Result<Vec<String>, CrdCheckError> {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    let mut missing = Vec::new();
    for name in names {
        let crd = api
            .get_opt(name)
            .await
            .map_err(|source| CrdCheckError::Read {
                name: name.clone(),
                source,
            })?;
        if !crd.as_ref().is_some_and(is_established) {
            missing.push(name.clone());
        }
    }
    Ok(missing)
}

/// Fails unless every CRD Smelter needs is installed and Established.
pub async fn ensure_installed(client: &Client) -> Result<(), CrdCheckError> {
    let missing = missing_crds(client, &required_crd_names()).await?;
    if missing.is_empty() {
        Ok(())
    } else {
        Err(CrdCheckError::Missing { missing })
    }
}

/// Whether the API server serves the CRD's resources yet.
pub fn is_established(crd: &CustomResourceDefinition) -> bool {
    crd.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|conds| {
            conds
                .iter()
                .any(|c| c.type_ == "Established" && c.status == "True")
        })
}
