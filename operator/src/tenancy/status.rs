//! Pure: the `Ready` condition of an org or a space, from the state of its namespace and of
//! the role bindings the operator keeps in it.

use k8s_openapi::{
    api::core::v1::Namespace,
    apimachinery::pkg::apis::meta::v1::{Condition, Time},
};
use serde_json::{Value, json};

/// The condition type every Smelter resource reports.
pub const READY: &str = "Ready";

/// What the owner of a namespace needs to know about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NamespaceState {
    /// It exists and accepts new objects.
    Active,
    /// It does not exist (yet), or reports no phase.
    Pending,
    /// It is being deleted; it is created again once it is gone.
    Terminating,
}

impl NamespaceState {
    /// The state of `namespace` (`None`: it does not exist).
    pub fn of(namespace: Option<&Namespace>) -> Self {
        let Some(ns) = namespace else {
            return NamespaceState::Pending;
        };
        let phase = ns.status.as_ref().and_then(|s| s.phase.as_deref());
        if ns.metadata.deletion_timestamp.is_some() || phase == Some("Terminating") {
            NamespaceState::Terminating
        } else if phase == Some("Active") {
            NamespaceState::Active
        } else {
            NamespaceState::Pending
        }
    }
}

/// What an owner's `Ready` condition says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Readiness {
    /// The namespace is active and holds the operator's role bindings.
    Ready,
    /// The namespace does not exist (yet), or reports no phase.
    NamespacePending,
    /// The namespace is being deleted; it is created again once it is gone.
    NamespaceTerminating,
    /// The namespace is active, but its role bindings could not be applied; retried.
    RoleBindingsPending,
}

impl Readiness {
    /// The readiness of an owner whose namespace is in `state`, and whose role bindings were
    /// applied (or found in place) or not. Role bindings only count in an active namespace:
    /// nothing can be created in another.
    pub fn of(state: NamespaceState, role_bindings_applied: bool) -> Self {
        match state {
            NamespaceState::Active if role_bindings_applied => Readiness::Ready,
            NamespaceState::Active => Readiness::RoleBindingsPending,
            NamespaceState::Pending => Readiness::NamespacePending,
            NamespaceState::Terminating => Readiness::NamespaceTerminating,
        }
    }
}

/// The `Ready` condition of the owner of `namespace`. It keeps `previous`'s transition time
/// unless the status flips, as the API conventions ask.
pub fn ready_condition(
    namespace: &str,
    readiness: Readiness,
    generation: Option<i64>,
    previous: Option<&Condition>,
    now: Time,
) -> Condition {
    let (status, reason, message) = match readiness {
        // The reason predates the role bindings; it stays, as clients may match on it.
        Readiness::Ready => (
            "True",
            "NamespaceReady",
            format!("namespace {namespace} is active"),
        ),
        Readiness::NamespacePending => (
            "False",
            "NamespacePending",
            format!("namespace {namespace} does not exist yet"),
        ),
        Readiness::NamespaceTerminating => (
            "False",
            "NamespaceTerminating",
            format!("namespace {namespace} is being deleted; it is created again once it is gone"),
        ),
        Readiness::RoleBindingsPending => (
            "False",
            "RoleBindingsPending",
            format!(
                "namespace {namespace} is active, but its role bindings could not be applied yet; retrying"
            ),
        ),
    };
    let last_transition_time = match previous {
        Some(p) if p.status == status => p.last_transition_time.clone(),
        _ => now,
    };
    Condition {
        type_: READY.to_owned(),
        status: status.to_owned(),
        reason: reason.to_owned(),
        message,
        observed_generation: generation,
        last_transition_time,
    }
}

/// The `Ready` condition among `conditions`.
pub fn find_ready(conditions: &[Condition]) -> Option<&Condition> {
    conditions.iter().find(|c| c.type_ == READY)
}

/// Whether the live status already says what `ready` and `generation` say, so writing it
/// would change nothing.
pub fn is_up_to_date(
    observed_generation: Option<i64>,
    conditions: &[Condition],
    generation: Option<i64>,
    ready: &Condition,
) -> bool {
    observed_generation == generation && find_ready(conditions) == Some(ready)
}

/// The server-side apply body of the status subresource: only the fields the operator owns,
/// so other managers' conditions survive.
pub fn status_patch(
    api_version: &str,
    kind: &str,
    generation: Option<i64>,
    ready: &Condition,
) -> Value {
    let mut status = json!({ "conditions": [ready] });
    if let Some(generation) = generation {
        status["observedGeneration"] = json!(generation);
    }
    json!({ "apiVersion": api_version, "kind": kind, "status": status })
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::{api::core::v1::NamespaceStatus, jiff::Timestamp};

    fn time(secs: i64) -> Time {
        Time(Timestamp::from_second(secs).expect("valid"))
    }

    fn namespace(phase: Option<&str>, deleting: bool) -> Namespace {
        let mut ns = Namespace {
            status: Some(NamespaceStatus {
                phase: phase.map(str::to_owned),
                ..NamespaceStatus::default()
            }),
            ..Namespace::default()
        };
        if deleting {
            ns.metadata.deletion_timestamp = Some(time(5));
        }
        ns
    }

    #[test]
    fn the_state_of_a_namespace() {
        let cases = [
            (None, NamespaceState::Pending),
            (
                Some(namespace(Some("Active"), false)),
                NamespaceState::Active,
            ),
            (Some(namespace(None, false)), NamespaceState::Pending),
            (
                Some(namespace(Some("Terminating"), false)),
                NamespaceState::Terminating,
            ),
            // The deletion timestamp is set before the namespace controller flips the phase.
            (
                Some(namespace(Some("Active"), true)),
                NamespaceState::Terminating,
            ),
        ];
        for (ns, want) in cases {
            assert_eq!(NamespaceState::of(ns.as_ref()), want, "{ns:?}");
        }
    }

    #[test]
    fn readiness_from_the_namespace_and_its_role_bindings() {
        use NamespaceState::{Active, Pending, Terminating};
        // (namespace, role bindings applied, want)
        let cases = [
            (Active, true, Readiness::Ready),
            (Active, false, Readiness::RoleBindingsPending),
            (Pending, false, Readiness::NamespacePending),
            (Pending, true, Readiness::NamespacePending),
            (Terminating, false, Readiness::NamespaceTerminating),
            (Terminating, true, Readiness::NamespaceTerminating),
        ];
        for (state, applied, want) in cases {
            assert_eq!(Readiness::of(state, applied), want, "{state:?} {applied}");
        }
    }

    #[test]
    fn ready_condition_per_readiness_and_transition_time() {
        let was_true = ready_condition("n", Readiness::Ready, Some(1), None, time(100));
        let was_false = ready_condition("n", Readiness::NamespacePending, Some(1), None, time(100));
        // (readiness, previous, want status, want reason, want transition time)
        let cases = [
            (Readiness::Ready, None, "True", "NamespaceReady", 200),
            (
                Readiness::Ready,
                Some(&was_true),
                "True",
                "NamespaceReady",
                100,
            ),
            (
                Readiness::Ready,
                Some(&was_false),
                "True",
                "NamespaceReady",
                200,
            ),
            (
                Readiness::NamespacePending,
                Some(&was_true),
                "False",
                "NamespacePending",
                200,
            ),
            // A new reason with the same status is no transition.
            (
                Readiness::NamespaceTerminating,
                Some(&was_false),
                "False",
                "NamespaceTerminating",
                100,
            ),
            (
                Readiness::RoleBindingsPending,
                Some(&was_true),
                "False",
                "RoleBindingsPending",
                200,
            ),
        ];
        for (state, previous, status, reason, transition) in cases {
            let c = ready_condition("n", state, Some(2), previous, time(200));
            assert_eq!(
                (c.type_.as_str(), c.status.as_str(), c.reason.as_str()),
                (READY, status, reason),
                "{state:?}"
            );
            assert_eq!(
                c.last_transition_time,
                time(transition),
                "{state:?} {previous:?}"
            );
            assert_eq!(c.observed_generation, Some(2));
            assert!(c.message.contains("namespace n"), "{}", c.message);
        }
    }

    #[test]
    fn status_is_up_to_date_only_when_generation_and_ready_match() {
        let ready = ready_condition("n", Readiness::Ready, Some(3), None, time(1));
        let other = Condition {
            type_: "Other".into(),
            ..ready.clone()
        };
        let stale = ready_condition("n", Readiness::Ready, Some(2), None, time(1));
        let cases: [(&str, Option<i64>, Vec<Condition>, bool); 5] = [
            ("same", Some(3), vec![other.clone(), ready.clone()], true),
            ("never written", None, vec![], false),
            ("old generation", Some(2), vec![ready.clone()], false),
            (
                "condition of an old generation",
                Some(3),
                vec![stale],
                false,
            ),
            ("no Ready condition", Some(3), vec![other], false),
        ];
        for (case, observed, conditions, want) in cases {
            assert_eq!(
                is_up_to_date(observed, &conditions, Some(3), &ready),
                want,
                "{case}"
            );
        }
    }

    #[test]
    fn the_status_patch_holds_only_owned_fields() {
        let ready = ready_condition("n", Readiness::Ready, Some(4), None, time(0));
        let patch = status_patch("cf.smelter.dev/v1alpha1", "Org", Some(4), &ready);
        assert_eq!(
            patch,
            json!({
                "apiVersion": "cf.smelter.dev/v1alpha1",
                "kind": "Org",
                "status": {
                    "observedGeneration": 4,
                    "conditions": [{
                        "type": "Ready",
                        "status": "True",
                        "reason": "NamespaceReady",
                        "message": "namespace n is active",
                        "observedGeneration": 4,
                        "lastTransitionTime": "1970-01-01T00:00:00Z",
                    }],
                },
            })
        );
        let without_generation = status_patch("v", "Space", None, &ready);
        assert!(
            without_generation["status"]
                .get("observedGeneration")
                .is_none()
        );
    }
}
