//! Pure: a route to several destinations (ARCHITECTURE.md §8). Diego's route emitter registers
//! every running instance of every destination under the route, and the router spreads
//! requests over all of them. An Ingress path has one backend Service, and an LRP's Service
//! selects one process's instances, so a route with several destinations gets a Service of its
//! own, `route-<route guid>`, without a selector, and EndpointSlices that the operator writes:
//! every instance of every destination, ready or not as its pod is (so, as through an LRP's
//! Service, only ready instances get traffic). A route to one destination needs none of this:
//! its Ingress goes straight to the LRP's Service.
//!
//! An EndpointSlice lists one set of ports, so there is one slice per destination port
//! (`route-<route guid>-<port>`), each naming its port `http` like the Service's one port;
//! ingress controllers match a Service port to slice ports by that name.

use k8s_openapi::{
    api::{
        core::v1::{ObjectReference, Pod, Service, ServicePort, ServiceSpec},
        discovery::v1::{Endpoint, EndpointConditions, EndpointPort, EndpointSlice},
    },
    apimachinery::pkg::apis::meta::v1::ObjectMeta,
};
use kube::{Resource, ResourceExt};
use smelter_crds::{Route, labels};
use std::collections::BTreeMap;

/// The label the EndpointSlice controllers (Kubernetes' and anyone's) leave to their writer.
const MANAGED_BY: &str = "endpointslice.kubernetes.io/managed-by";
/// The label that ties an EndpointSlice to its Service.
const SERVICE_NAME: &str = "kubernetes.io/service-name";
/// This controller's value of [`MANAGED_BY`].
const EMITTER: &str = "route-emitter.cf.smelter.dev";
/// The one port of a route's Service, and the name every slice's port carries.
pub const PORT_NAME: &str = "http";
/// The route Service's port number (the ingress backend's): what the instances listen on is
/// in the slices.
pub const SERVICE_PORT: i32 = 8080;

/// The Service of a route with several destinations.
pub fn service_name(route_guid: &str) -> String {
    format!("route-{route_guid}")
}

fn slice_name(route_guid: &str, port: i32) -> String {
    format!("route-{route_guid}-{port}")
}

/// The labels of the route's Service and slices: the route's org and space, its GUID.
fn route_labels(route: &Route) -> BTreeMap<String, String> {
    let mut l = crate::meta::child_labels(route);
    l.insert(labels::ROUTE_GUID.into(), route.name_any());
    l
}

fn owned_meta(route: &Route, name: String, labels: BTreeMap<String, String>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name),
        namespace: route.namespace(),
        labels: Some(labels),
        owner_references: route.controller_owner_ref(&()).map(|r| vec![r]),
        ..Default::default()
    }
}

/// The route's Service: no selector, so its endpoints are the slices below; headless (see
/// [`crate::headless`]).
pub fn service(route: &Route) -> Service {
    Service {
        metadata: owned_meta(route, service_name(&route.name_any()), route_labels(route)),
        spec: Some(ServiceSpec {
            cluster_ip: Some(crate::headless::NONE.into()),
            ports: Some(vec![ServicePort {
                name: Some(PORT_NAME.into()),
                port: SERVICE_PORT,
                protocol: Some("TCP".into()),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The route's EndpointSlices: for each destination port in `ports`, the instances (pods) of
/// every destination on it, none while no instance runs. Pods without an address yet are left
/// out; the rest are listed in name order, so the same instances always make the same slice.
pub fn endpoint_slices<'a>(
    route: &Route,
    ports: &[i32],
    members: impl IntoIterator<Item = (i32, &'a Pod)>,
) -> Vec<EndpointSlice> {
    let mut by_port: BTreeMap<i32, Vec<&Pod>> = ports.iter().map(|p| (*p, Vec::new())).collect();
    for (port, pod) in members {
        by_port.entry(port).or_default().push(pod);
    }
    let guid = route.name_any();
    by_port
        .into_iter()
        .map(|(port, mut pods)| {
            pods.sort_by_key(|p| p.metadata.name.clone());
            pods.dedup_by_key(|p| p.metadata.name.clone());
            let mut labels = route_labels(route);
            labels.insert(MANAGED_BY.into(), EMITTER.into());
            labels.insert(SERVICE_NAME.into(), service_name(&guid));
            EndpointSlice {
                metadata: owned_meta(route, slice_name(&guid, port), labels),
                address_type: "IPv4".into(),
                endpoints: pods.into_iter().filter_map(endpoint).collect(),
                ports: Some(vec![EndpointPort {
                    name: Some(PORT_NAME.into()),
                    port: Some(port),
                    protocol: Some("TCP".into()),
                    ..Default::default()
                }]),
            }
        })
        .collect()
}

/// An instance as an endpoint, with the conditions Kubernetes' own slices give a pod: ready
/// (gets new traffic) when the pod is ready and not terminating, serving while it is ready.
fn endpoint(pod: &Pod) -> Option<Endpoint> {
    let status = pod.status.as_ref()?;
    let ip = status.pod_ip.clone().filter(|ip| !ip.is_empty())?;
    let ready = status
        .conditions
        .iter()
        .flatten()
        .any(|c| c.type_ == "Ready" && c.status == "True");
    let terminating = pod.metadata.deletion_timestamp.is_some();
    Some(Endpoint {
        addresses: vec![ip],
        conditions: Some(EndpointConditions {
            ready: Some(ready && !terminating),
            serving: Some(ready),
            terminating: Some(terminating),
        }),
        target_ref: Some(ObjectReference {
            kind: Some("Pod".into()),
            name: pod.metadata.name.clone(),
            namespace: pod.metadata.namespace.clone(),
            uid: pod.metadata.uid.clone(),
            ..Default::default()
        }),
        ..Default::default()
    })
}

/// Whether the live Service is the desired one, as far as this controller sets it.
pub fn service_is_up_to_date(desired: &Service, live: &Service) -> bool {
    let routing = |s: &Service| {
        s.spec.as_ref().map(|s| {
            (
                s.selector.clone().filter(|s| !s.is_empty()),
                s.cluster_ip.clone(),
                s.ports.as_ref().map(|ps| {
                    ps.iter()
                        .map(|p| (p.name.clone(), p.port))
                        .collect::<Vec<_>>()
                }),
            )
        })
    };
    routing(desired) == routing(live) && crate::meta::carries(desired, live)
}

/// Whether the live slice lists what the desired one does.
pub fn slice_is_up_to_date(desired: &EndpointSlice, live: &EndpointSlice) -> bool {
    desired.endpoints == live.endpoints
        && desired.ports == live.ports
        && desired.address_type == live.address_type
        && crate::meta::carries(desired, live)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::{
        api::core::v1::{PodCondition, PodStatus},
        apimachinery::pkg::apis::meta::v1::Time,
        jiff::Timestamp,
    };
    use smelter_crds::RouteSpec;

    fn route() -> Route {
        let mut r = Route::new(
            "r0000000-0000-4000-8000-000000000001",
            RouteSpec {
                host: "both".into(),
                path: String::new(),
                domain_guid: "d".into(),
                destinations: vec![],
            },
        );
        r.metadata.namespace = Some("space".into());
        r.metadata.uid = Some("route-uid".into());
        r.metadata.labels = Some(BTreeMap::from([
            (labels::SPACE_GUID.to_owned(), "space".to_owned()),
            ("unrelated".to_owned(), "x".to_owned()),
        ]));
        r
    }

    fn pod(name: &str, ip: Option<&str>, ready: bool, terminating: bool) -> Pod {
        Pod {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some("space".into()),
                uid: Some(format!("{name}-uid")),
                deletion_timestamp: terminating.then_some(Time(Timestamp::UNIX_EPOCH)),
                ..Default::default()
            },
            spec: None,
            status: Some(PodStatus {
                pod_ip: ip.map(Into::into),
                conditions: Some(vec![PodCondition {
                    type_: "Ready".into(),
                    status: if ready { "True" } else { "False" }.into(),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
        }
    }

    /// (address, ready, serving, terminating) of each endpoint of a slice.
    fn summary(slice: &EndpointSlice) -> Vec<(String, bool, bool, bool)> {
        slice
            .endpoints
            .iter()
            .map(|e| {
                let c = e.conditions.clone().unwrap_or_default();
                (
                    e.addresses[0].clone(),
                    c.ready == Some(true),
                    c.serving == Some(true),
                    c.terminating == Some(true),
                )
            })
            .collect()
    }

    #[test]
    fn the_service_has_no_selector_and_one_named_port() {
        let s = service(&route());
        assert_eq!(
            s.metadata.name.as_deref(),
            Some("route-r0000000-0000-4000-8000-000000000001")
        );
        let spec = s.spec.as_ref().expect("spec");
        assert!(spec.selector.is_none());
        let port = &spec.ports.as_ref().expect("ports")[0];
        assert_eq!((port.name.as_deref(), port.port), (Some("http"), 8080));
        let labels = s.metadata.labels.as_ref().expect("labels");
        assert_eq!(
            labels[labels::ROUTE_GUID],
            "r0000000-0000-4000-8000-000000000001"
        );
        assert_eq!(labels[labels::SPACE_GUID], "space");
        assert!(!labels.contains_key("unrelated"));
        assert_eq!(s.owner_references()[0].uid, "route-uid");
        assert!(service_is_up_to_date(&s, &s));
    }

    #[test]
    fn slices_list_every_instance_by_port_with_its_readiness() {
        let (a0, a1) = (
            pod("a-0", Some("10.0.0.1"), true, false),
            pod("a-1", Some("10.0.0.2"), false, false),
        );
        let (b0, b1) = (
            pod("b-0", Some("10.0.0.3"), true, true),
            pod("b-1", None, false, false),
        );
        let c0 = pod("c-0", Some("10.0.0.4"), true, false);
        // (ports, members, want per slice: (name suffix, port, endpoints))
        type Want = Vec<(&'static str, i32, Vec<(&'static str, bool, bool, bool)>)>;
        type Members<'a> = Vec<(i32, &'a Pod)>;
        let cases: Vec<(Vec<i32>, Members, Want)> = vec![
            (vec![], vec![], vec![]),
            // A port with no instance yet is an empty slice: the route is there, with nothing
            // to send traffic to.
            (vec![8080], vec![], vec![("-8080", 8080, vec![])]),
            (
                vec![8080],
                // Listed by pod name whatever the order given; an instance without an address
                // is left out; a terminating one serves but takes no new traffic.
                vec![(8080, &b1), (8080, &b0), (8080, &a1), (8080, &a0)],
                vec![(
                    "-8080",
                    8080,
                    vec![
                        ("10.0.0.1", true, true, false),
                        ("10.0.0.2", false, false, false),
                        ("10.0.0.3", false, true, true),
                    ],
                )],
            ),
            (
                // A destination on another port is a slice of its own.
                vec![8080, 9090],
                vec![(8080, &a0), (9090, &c0)],
                vec![
                    ("-8080", 8080, vec![("10.0.0.1", true, true, false)]),
                    ("-9090", 9090, vec![("10.0.0.4", true, true, false)]),
                ],
            ),
        ];
        for (ports, members, want) in cases {
            let slices = endpoint_slices(&route(), &ports, members);
            let got: Vec<_> = slices
                .iter()
                .map(|s| {
                    let name = s.metadata.name.clone().unwrap_or_default();
                    let port = s.ports.as_ref().and_then(|p| p[0].port).unwrap_or_default();
                    (name, port, summary(s))
                })
                .collect();
            let want: Vec<_> = want
                .into_iter()
                .map(|(suffix, port, eps)| {
                    (
                        format!("route-r0000000-0000-4000-8000-000000000001{suffix}"),
                        port,
                        eps.into_iter()
                            .map(|(a, r, s, t)| (a.to_owned(), r, s, t))
                            .collect::<Vec<_>>(),
                    )
                })
                .collect();
            assert_eq!(got, want);
            for s in &slices {
                let labels = s.metadata.labels.as_ref().expect("labels");
                assert_eq!(
                    labels[SERVICE_NAME],
                    "route-r0000000-0000-4000-8000-000000000001"
                );
                assert_eq!(labels[MANAGED_BY], EMITTER);
                assert_eq!(
                    s.ports.as_ref().expect("ports")[0].name.as_deref(),
                    Some("http")
                );
                assert!(slice_is_up_to_date(s, s));
            }
        }
    }

    #[test]
    fn a_slice_with_other_endpoints_is_out_of_date() {
        let a0 = pod("a-0", Some("10.0.0.1"), true, false);
        let a0_unready = pod("a-0", Some("10.0.0.1"), false, false);
        let want = &endpoint_slices(&route(), &[8080], [(8080, &a0)])[0];
        let live = &endpoint_slices(&route(), &[8080], [(8080, &a0_unready)])[0];
        assert!(!slice_is_up_to_date(want, live));
    }
}
