//! Pure: what enforces a space quota inside the space's namespace.
//!
//! Kubernetes counts and refuses per namespace, as CF's space quota does, so each limit a
//! `SpaceQuota` sets becomes a hard limit the API server keeps, whatever writes:
//!
//! - `smelter-space-quota-instances`, a ResourceQuota of the `NotTerminating` scope: the
//!   memory limits of all running instances together (`limits.memory`, CF's total memory) and
//!   their number (`pods`, CF's app instances), each twice the quota's ([`ROLLING_HEADROOM`]). Staging and task pods carry an
//!   `activeDeadlineSeconds`, so they are `Terminating` and not counted as instances.
//! - `smelter-space-quota-objects`, a ResourceQuota without scope (object counts allow none):
//!   routes. (Not service instances: CC counts managed ones only, and a `ServiceInstance` may
//!   be user-provided; that limit waits for brokers.)
//! - `smelter-space-quota`, a LimitRange: the memory limit one container may have (CF's
//!   instance memory).
//!
//! A limit the quota leaves unlimited is absent; an object that would hold nothing is not
//! made (and is deleted when the quota loosens or the space drops its quota).

use super::build::{Tenant, labels_present};
use k8s_openapi::{
    api::core::v1::{LimitRange, LimitRangeItem, LimitRangeSpec, ResourceQuota, ResourceQuotaSpec},
    apimachinery::pkg::{api::resource::Quantity, apis::meta::v1::ObjectMeta},
};
use smelter_crds::SpaceQuota;
use std::collections::BTreeMap;

/// The ResourceQuota of a space's running instances.
pub const INSTANCES: &str = "smelter-space-quota-instances";
/// The ResourceQuota of a space's routes and service instances.
pub const OBJECTS: &str = "smelter-space-quota-objects";
/// The LimitRange of one instance's memory.
pub const LIMIT_RANGE: &str = "smelter-space-quota";
/// How many times the space's instances Kubernetes lets run at once. A restart rolls: the new
/// instances start before the old ones go, so a space at its limit holds both for a moment. At
/// exactly the limit that restart would wait forever for pods the quota refuses, so the
/// ResourceQuota allows one full rollout over it; the exact limit is the API's to hold (it
/// refuses a start or a scale over it before anything is written, `api-shim/src/v3/quota_usage.rs`).
pub const ROLLING_HEADROOM: i64 = 2;

/// The label naming the SpaceQuota an object enforces.
pub const QUOTA_LABEL: &str = "cf.smelter.dev/space-quota-guid";

/// What enforces `quota` (None: the space has none) in `space`'s namespace.
#[derive(Debug, Default, PartialEq)]
pub struct Enforcement {
    pub instances: Option<ResourceQuota>,
    pub objects: Option<ResourceQuota>,
    pub limit_range: Option<LimitRange>,
}

pub fn build(space: &Tenant, quota: Option<&SpaceQuota>) -> Enforcement {
    let Some(quota) = quota else {
        return Enforcement::default();
    };
    let apps = &quota.spec.apps;
    let instances = hard([
        (
            "limits.memory",
            apps.total_memory_in_mb
                .map(|mb| mebibytes(mb * ROLLING_HEADROOM)),
        ),
        (
            "pods",
            apps.total_instances.map(|n| count(n * ROLLING_HEADROOM)),
        ),
    ]);
    let objects = hard([(
        "count/routes.cf.smelter.dev",
        quota.spec.routes.total_routes.map(count),
    )]);
    let meta = |name: &str| metadata(space, quota, name);
    Enforcement {
        instances: instances.map(|hard| ResourceQuota {
            metadata: meta(INSTANCES),
            spec: Some(ResourceQuotaSpec {
                hard: Some(hard),
                scopes: Some(vec!["NotTerminating".to_owned()]),
                ..ResourceQuotaSpec::default()
            }),
            status: None,
        }),
        objects: objects.map(|hard| ResourceQuota {
            metadata: meta(OBJECTS),
            spec: Some(ResourceQuotaSpec {
                hard: Some(hard),
                ..ResourceQuotaSpec::default()
            }),
            status: None,
        }),
        limit_range: apps.per_process_memory_in_mb.map(|mb| LimitRange {
            metadata: meta(LIMIT_RANGE),
            spec: Some(LimitRangeSpec {
                limits: vec![LimitRangeItem {
                    type_: "Container".to_owned(),
                    max: Some(BTreeMap::from([("memory".to_owned(), mebibytes(mb))])),
                    ..LimitRangeItem::default()
                }],
            }),
        }),
    }
}

fn hard<const N: usize>(
    limits: [(&str, Option<Quantity>); N],
) -> Option<BTreeMap<String, Quantity>> {
    let hard: BTreeMap<_, _> = limits
        .into_iter()
        .filter_map(|(k, v)| Some((k.to_owned(), v?)))
        .collect();
    (!hard.is_empty()).then_some(hard)
}

/// CF's MB are mebibytes, as the instances' own limits are, written as the API server writes
/// them back (the largest binary suffix that keeps the number whole; zero bare), so a live
/// object compares equal to the one built.
fn mebibytes(mb: i64) -> Quantity {
    if mb == 0 {
        return Quantity("0".to_owned());
    }
    let (mut n, mut suffix) = (mb, 0);
    const SUFFIXES: [&str; 5] = ["Mi", "Gi", "Ti", "Pi", "Ei"];
    while n % 1024 == 0 && suffix + 1 < SUFFIXES.len() {
        n /= 1024;
        suffix += 1;
    }
    Quantity(format!("{n}{}", SUFFIXES[suffix]))
}

/// The memory limit, in MB, a container may have under `limit_range` (one this module
/// built): what staging is clamped to, since the LimitRange refuses any container over it.
pub fn container_max_mb(limit_range: &LimitRange) -> Option<i64> {
    let item = limit_range.spec.as_ref()?.limits.first()?;
    let q = &item.max.as_ref()?.get("memory")?.0;
    if q == "0" {
        return Some(0);
    }
    let (n, suffix) = q.split_at(q.find(|c: char| !c.is_ascii_digit())?);
    let shift = match suffix {
        "Mi" => 0,
        "Gi" => 10,
        "Ti" => 20,
        "Pi" => 30,
        "Ei" => 40,
        _ => return None,
    };
    n.parse::<i64>().ok()?.checked_mul(1 << shift)
}

/// Whether `live` already has `desired`'s labels, hard limits and scopes.
pub fn quota_is_up_to_date(desired: &ResourceQuota, live: &ResourceQuota) -> bool {
    let spec = |q: &ResourceQuota| q.spec.clone().map(|s| (s.hard, s.scopes));
    labels_present(&desired.metadata, &live.metadata) && spec(desired) == spec(live)
}

/// Whether `live` already has `desired`'s labels and maximums. The API server fills each
/// item's `default` and `defaultRequest` from its `max`; those are not compared.
pub fn limit_range_is_up_to_date(desired: &LimitRange, live: &LimitRange) -> bool {
    let items = |l: &LimitRange| -> Vec<_> {
        let limits = l
            .spec
            .as_ref()
            .map(|s| s.limits.as_slice())
            .unwrap_or_default();
        limits
            .iter()
            .map(|i| (i.type_.clone(), i.max.clone()))
            .collect()
    };
    labels_present(&desired.metadata, &live.metadata) && items(desired) == items(live)
}

fn count(n: i64) -> Quantity {
    Quantity(n.to_string())
}

fn metadata(space: &Tenant, quota: &SpaceQuota, name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_owned()),
        namespace: Some(space.guid.clone()),
        labels: Some({
            let mut labels = space.space_labels();
            let guid = quota.metadata.name.clone().unwrap_or_default();
            labels.insert(QUOTA_LABEL.to_owned(), guid);
            labels
        }),
        ..ObjectMeta::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smelter_crds::labels;
    use smelter_crds::{AppLimits, RouteLimits, ServiceLimits, SpaceQuotaSpec};

    fn space() -> Tenant {
        Tenant::test_space()
    }

    fn quota(spec: SpaceQuotaSpec) -> SpaceQuota {
        let mut q = SpaceQuota::new("quota-guid", spec);
        q.metadata.namespace = Some("org-guid".into());
        q
    }

    fn hard(rq: &Option<ResourceQuota>) -> Vec<(String, String)> {
        let spec = rq.as_ref().and_then(|r| r.spec.as_ref());
        spec.and_then(|s| s.hard.clone())
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, v.0))
            .collect()
    }

    #[test]
    fn every_limit_becomes_a_hard_limit_of_the_namespace() {
        let q = quota(SpaceQuotaSpec {
            name: "small".into(),
            apps: AppLimits {
                total_memory_in_mb: Some(1024),
                per_process_memory_in_mb: Some(256),
                total_instances: Some(4),
                ..AppLimits::default()
            },
            services: ServiceLimits {
                total_service_instances: Some(2),
                ..ServiceLimits::default()
            },
            routes: RouteLimits {
                total_routes: Some(5),
                ..RouteLimits::default()
            },
        });
        let e = build(&space(), Some(&q));
        assert_eq!(
            hard(&e.instances),
            [
                ("limits.memory".into(), "2Gi".into()),
                ("pods".into(), "8".into())
            ]
        );
        let scopes = e.instances.as_ref().and_then(|r| r.spec.clone()?.scopes);
        assert_eq!(scopes, Some(vec!["NotTerminating".to_owned()]));
        assert_eq!(
            hard(&e.objects),
            [("count/routes.cf.smelter.dev".into(), "5".into())],
            "user-provided instances are not CC's service instances"
        );
        let lr = e.limit_range.expect("instance memory");
        assert_eq!(
            lr.spec.expect("spec").limits[0].max.as_ref().expect("max")["memory"].0,
            "256Mi"
        );
        let labels = lr.metadata.labels.expect("labels");
        assert_eq!(labels[QUOTA_LABEL], "quota-guid");
        assert_eq!(labels[labels::SPACE_GUID], "space-guid");
        assert_eq!(lr.metadata.namespace.as_deref(), Some("space-guid"));
    }

    #[test]
    fn unlimited_makes_nothing() {
        let q = quota(SpaceQuotaSpec {
            name: "open".into(),
            ..SpaceQuotaSpec::default()
        });
        assert_eq!(build(&space(), Some(&q)), Enforcement::default());
        assert_eq!(build(&space(), None), Enforcement::default());
    }

    #[test]
    fn a_zero_limit_is_kept() {
        let q = quota(SpaceQuotaSpec {
            name: "none".into(),
            apps: AppLimits {
                total_memory_in_mb: Some(0),
                ..AppLimits::default()
            },
            ..SpaceQuotaSpec::default()
        });
        let e = build(&space(), Some(&q));
        assert_eq!(hard(&e.instances), [("limits.memory".into(), "0".into())]);
        assert!(e.objects.is_none() && e.limit_range.is_none());
    }

    #[test]
    fn a_limit_ranges_maximum_reads_back_in_mb() {
        let q = quota(SpaceQuotaSpec {
            name: "q".into(),
            apps: AppLimits {
                per_process_memory_in_mb: Some(2048),
                ..AppLimits::default()
            },
            ..SpaceQuotaSpec::default()
        });
        let lr = build(&space(), Some(&q)).limit_range.expect("limit range");
        assert_eq!(container_max_mb(&lr), Some(2048));
        for mb in [0, 256, 1536, 1 << 20] {
            let mut lr = lr.clone();
            lr.spec.as_mut().expect("spec").limits[0].max =
                Some(BTreeMap::from([("memory".to_owned(), mebibytes(mb))]));
            assert_eq!(container_max_mb(&lr), Some(mb));
        }
    }

    #[test]
    fn memory_is_written_as_the_api_server_writes_it() {
        for (mb, written) in [
            (0, "0"),
            (256, "256Mi"),
            (1024, "1Gi"),
            (1536, "1536Mi"),
            (1 << 20, "1Ti"),
        ] {
            assert_eq!(mebibytes(mb).0, written);
        }
    }

    #[test]
    fn the_defaults_the_api_server_adds_are_not_a_difference() {
        let q = quota(SpaceQuotaSpec {
            name: "small".into(),
            apps: AppLimits {
                per_process_memory_in_mb: Some(256),
                total_instances: Some(2),
                ..AppLimits::default()
            },
            ..SpaceQuotaSpec::default()
        });
        let e = build(&space(), Some(&q));
        let desired = e.limit_range.expect("limit range");
        let mut live = desired.clone();
        fn item(l: &mut LimitRange) -> &mut LimitRangeItem {
            &mut l.spec.as_mut().expect("spec").limits[0]
        }
        item(&mut live).default = item(&mut live).max.clone();
        item(&mut live).default_request = item(&mut live).max.clone();
        assert!(limit_range_is_up_to_date(&desired, &live));
        item(&mut live).max = Some(BTreeMap::from([(
            "memory".to_owned(),
            Quantity("1Gi".into()),
        )]));
        assert!(!limit_range_is_up_to_date(&desired, &live));

        let desired = e.instances.expect("instances");
        let mut live = desired.clone();
        live.metadata
            .labels
            .get_or_insert_default()
            .insert("other".into(), "x".into());
        assert!(quota_is_up_to_date(&desired, &live));
        live.spec.as_mut().expect("spec").scopes = None;
        assert!(!quota_is_up_to_date(&desired, &live));
    }
}
