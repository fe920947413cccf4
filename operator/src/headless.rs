//! The Services the operator makes are headless (`clusterIP: None`).
//!
//! Nothing in Smelter sends traffic to a Service's virtual IP: the ingress controller routes
//! to the endpoints of the Service an Ingress names, and an LRP's StatefulSets only need a
//! governing Service for their pods' DNS names. A virtual IP per app cost every app an
//! address allocated (one more API write, an IPAddress object, on the 1,000-app benchmark)
//! and, on a real cluster, rules that kube-proxy keeps on every node for each app.
//!
//! Kubernetes never changes a Service's `clusterIP` in place (a write that does is
//! refused), so a Service made with one (by an earlier Smelter) is deleted and made again.

use crate::{error::Error, write};
use k8s_openapi::api::core::v1::Service;
use std::sync::Arc;

/// The `clusterIP` of a headless Service.
pub const NONE: &str = "None";

/// Whether `live` has a virtual IP, so it must be deleted before a headless one can replace
/// it. A Service not yet given its address (none of the API's) counts as without one.
pub fn has_cluster_ip(live: &Service) -> bool {
    live.spec
        .as_ref()
        .and_then(|s| s.cluster_ip.as_deref())
        .is_some_and(|ip| !ip.is_empty() && ip != NONE)
}

/// `live` (the cached Service named `name`) as the controller should see it: when it still has
/// a cluster IP it is deleted, and the controller finds none and makes the headless one.
pub(crate) async fn without_cluster_ip(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    live: Option<Arc<Service>>,
) -> Result<Option<Arc<Service>>, Error> {
    if !live.as_deref().is_some_and(has_cluster_ip) {
        return Ok(live);
    }
    write::delete::<Service>(client, namespace, name, "delete service with a cluster ip").await?;
    tracing::info!(service = %name, "deleted a service with a cluster IP, to make it headless");
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ServiceSpec;

    fn with(ip: Option<&str>) -> Service {
        Service {
            spec: Some(ServiceSpec {
                cluster_ip: ip.map(Into::into),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn only_a_real_address_is_a_cluster_ip() {
        assert!(has_cluster_ip(&with(Some("10.96.0.12"))));
        assert!(!has_cluster_ip(&with(Some(NONE))));
        assert!(!has_cluster_ip(&with(Some(""))));
        assert!(!has_cluster_ip(&with(None)));
        assert!(!has_cluster_ip(&Service::default()));
    }
}
