//! Pure: the Ingress of a route (ARCHITECTURE.md §8): the route's host and path to a Service
//! that has only ready instances as ready endpoints, so the router sends traffic to ready
//! instances only, as Diego's route emitter does: the destination process's own Service, or,
//! for a route to several, the route's (see [`super::emitter`]).

use crate::config::RoutingConfig;
use k8s_openapi::{
    api::networking::v1::{
        HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
        IngressServiceBackend, IngressSpec, IngressTLS, ServiceBackendPort,
    },
    apimachinery::pkg::apis::meta::v1::ObjectMeta,
};
use kube::{Resource, ResourceExt};
use smelter_crds::{Route, labels};

/// The route's host name: `host.domain`, the bare domain, or a wildcard.
pub fn fqdn(route: &Route, domain: &str) -> String {
    if route.spec.host.is_empty() {
        domain.to_owned()
    } else {
        format!("{}.{domain}", route.spec.host)
    }
}

/// The Service (and its port) an Ingress sends a route's traffic to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backend {
    pub service: String,
    pub port: i32,
}

/// The Ingress of `route` (on `domain`) to `backend`; named like the route and owned by it.
pub fn ingress(route: &Route, domain: &str, backend: &Backend, config: &RoutingConfig) -> Ingress {
    let host = fqdn(route, domain);
    let path = if route.spec.path.is_empty() {
        "/".to_owned()
    } else {
        route.spec.path.clone()
    };
    let mut labels = crate::meta::child_labels(route);
    labels.insert(labels::ROUTE_GUID.into(), route.name_any());
    Ingress {
        metadata: ObjectMeta {
            name: Some(route.name_any()),
            namespace: route.namespace(),
            labels: Some(labels),
            owner_references: route.controller_owner_ref(&()).map(|r| vec![r]),
            ..Default::default()
        },
        spec: Some(IngressSpec {
            ingress_class_name: config.ingress_class.clone(),
            tls: config.tls_secret.as_ref().map(|secret| {
                vec![IngressTLS {
                    hosts: Some(vec![host.clone()]),
                    secret_name: Some(secret.clone()),
                }]
            }),
            rules: Some(vec![IngressRule {
                host: Some(host),
                http: Some(HTTPIngressRuleValue {
                    paths: vec![HTTPIngressPath {
                        path: Some(path),
                        // CF routes a path and everything under it.
                        path_type: "Prefix".into(),
                        backend: IngressBackend {
                            service: Some(IngressServiceBackend {
                                name: backend.service.clone(),
                                port: Some(ServiceBackendPort {
                                    number: Some(backend.port),
                                    ..Default::default()
                                }),
                            }),
                            ..Default::default()
                        },
                    }],
                }),
            }]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Whether the live Ingress routes as the desired one does.
pub fn is_up_to_date(desired: &Ingress, live: &Ingress) -> bool {
    let spec = |i: &Ingress| {
        i.spec
            .as_ref()
            .map(|s| (s.ingress_class_name.clone(), s.tls.clone(), s.rules.clone()))
    };
    spec(desired) == spec(live) && crate::meta::carries(desired, live)
}

#[cfg(test)]
mod tests {
    use super::*;
    use smelter_crds::RouteSpec;

    fn route(host: &str, path: &str) -> Route {
        let mut r = Route::new(
            "r0000000-0000-4000-8000-000000000001",
            RouteSpec {
                host: host.into(),
                path: path.into(),
                domain_guid: "d".into(),
                destinations: vec![],
            },
        );
        r.metadata.namespace = Some("space".into());
        r.metadata.uid = Some("route-uid".into());
        r
    }

    #[test]
    fn hosts_paths_class_and_tls() {
        let plain = RoutingConfig::default();
        let tls = RoutingConfig {
            ingress_class: Some("traefik".into()),
            tls_secret: Some("apps-tls".into()),
        };
        // (host, path, config, want host, want path)
        let cases = [
            ("myapp", "", &plain, "myapp.apps.example.com", "/"),
            ("", "/api", &plain, "apps.example.com", "/api"),
            ("*", "", &tls, "*.apps.example.com", "/"),
        ];
        for (host, path, config, want_host, want_path) in cases {
            let backend = Backend {
                service: "lrp-p".into(),
                port: 8080,
            };
            let i = ingress(&route(host, path), "apps.example.com", &backend, config);
            let spec = i.spec.as_ref().expect("spec");
            let rule = &spec.rules.as_ref().expect("rules")[0];
            assert_eq!(rule.host.as_deref(), Some(want_host));
            let p = &rule.http.as_ref().expect("http").paths[0];
            assert_eq!(p.path.as_deref(), Some(want_path));
            assert_eq!(p.path_type, "Prefix");
            let backend = p.backend.service.as_ref().expect("service");
            assert_eq!(backend.name, "lrp-p");
            assert_eq!(backend.port.as_ref().and_then(|p| p.number), Some(8080));
            assert_eq!(spec.ingress_class_name, config.ingress_class);
            assert_eq!(
                spec.tls.as_ref().map(|t| t[0].secret_name.clone()),
                config.tls_secret.as_ref().map(|s| Some(s.clone()))
            );
            assert_eq!(i.owner_references()[0].uid, "route-uid");
            assert!(is_up_to_date(&i, &i));
        }
    }
}
