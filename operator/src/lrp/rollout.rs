//! Pure: what to do with an LRP's StatefulSets so that the current revision runs its
//! instances and no older revision is removed before the new one can take the traffic.

use super::workload::REVISION;
use k8s_openapi::api::apps::v1::StatefulSet;
use kube::ResourceExt;
use std::borrow::Borrow;

/// The changes a reconcile makes to the StatefulSets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rollout {
    /// Whether the current revision's StatefulSet must be written (absent, or another size).
    pub write_current: bool,
    /// Older revisions to delete, by name.
    pub delete: Vec<String>,
}

/// Decides from the live StatefulSets of the LRP (all revisions) what to change so that
/// `revision` runs `instances`.
///
/// The old revisions stay as they are until every instance of the new one is ready (or none
/// is wanted): CF's rolling deployment, which never leaves an app without a ready instance
/// because of a push. A new revision that never becomes ready leaves the old one serving, as a
/// CF deployment that cannot finish does.
pub fn plan(live: &[impl Borrow<StatefulSet>], revision: &str, instances: i32) -> Rollout {
    let live = live.iter().map(Borrow::borrow);
    let is_current =
        |s: &&StatefulSet| s.labels().get(REVISION).map(String::as_str) == Some(revision);
    let current = live.clone().find(is_current);
    let write_current = current.is_none_or(|s| {
        s.spec.as_ref().and_then(|spec| spec.replicas) != Some(instances)
            || s.metadata.deletion_timestamp.is_some()
    });
    let current_ready = current.is_some_and(|s| {
        let status = s.status.as_ref();
        let observed = status.and_then(|st| st.observed_generation) >= s.metadata.generation;
        let ready = status.and_then(|st| st.ready_replicas).unwrap_or(0);
        let updated = status.map_or(0, |st| st.replicas);
        observed && ready >= instances && updated == instances
    });
    let delete = if instances == 0 || current_ready {
        live.filter(|s| !is_current(s) && s.metadata.deletion_timestamp.is_none())
            .map(ResourceExt::name_any)
            .collect()
    } else {
        Vec::new()
    };
    Rollout {
        write_current,
        delete,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::apps::v1::{StatefulSetSpec, StatefulSetStatus};

    fn sts(revision: &str, replicas: i32, ready: i32) -> StatefulSet {
        let mut s = StatefulSet {
            spec: Some(StatefulSetSpec {
                replicas: Some(replicas),
                ..Default::default()
            }),
            status: Some(StatefulSetStatus {
                observed_generation: Some(1),
                replicas,
                ready_replicas: Some(ready),
                ..Default::default()
            }),
            ..Default::default()
        };
        s.metadata.name = Some(format!("lrp-{revision}"));
        s.metadata.generation = Some(1);
        s.metadata.labels = Some([(REVISION.to_owned(), revision.to_owned())].into());
        s
    }

    #[test]
    fn rollouts_keep_the_old_revision_until_the_new_one_is_ready() {
        // (live, instances, want)
        let cases = [
            (vec![], 2, (true, vec![])),
            (vec![sts("new", 2, 2)], 2, (false, vec![])),
            (vec![sts("new", 2, 2)], 3, (true, vec![])),
            (vec![sts("old", 2, 2)], 2, (true, vec![])),
            (vec![sts("old", 2, 2), sts("new", 2, 1)], 2, (false, vec![])),
            (
                vec![sts("old", 2, 2), sts("new", 2, 2)],
                2,
                (false, vec!["lrp-old"]),
            ),
            // Scaled down to nothing: nothing to wait for.
            (
                vec![sts("old", 2, 2), sts("new", 0, 0)],
                0,
                (false, vec!["lrp-old"]),
            ),
        ];
        for (live, instances, (write, delete)) in cases {
            let names: Vec<String> = live.iter().map(ResourceExt::name_any).collect();
            let got = plan(&live, "new", instances);
            assert_eq!(
                got,
                Rollout {
                    write_current: write,
                    delete: delete.iter().map(|d| (*d).to_owned()).collect(),
                },
                "{names:?} x{instances}"
            );
        }
    }

    #[test]
    fn a_status_from_an_older_generation_is_not_ready() {
        let mut new = sts("new", 2, 2);
        new.metadata.generation = Some(2);
        assert!(plan(&[sts("old", 2, 2), new], "new", 2).delete.is_empty());
    }
}
