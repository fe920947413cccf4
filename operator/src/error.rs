//! The reconcilers' errors, and the label each is counted under in the failure metric.

use kube::runtime::finalizer;
use std::time::Duration;

/// Why a reconcile did not finish.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The API server only hands out namespaced objects with a namespace, so this is a bug.
    #[error("{kind} {name} has no namespace")]
    NoNamespace { kind: &'static str, name: String },
    #[error("failed to read namespace {name}")]
    ReadNamespace {
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("failed to apply namespace {name}")]
    ApplyNamespace {
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("failed to delete namespace {name}")]
    DeleteNamespace {
        name: String,
        #[source]
        source: kube::Error,
    },
    /// Not a failure: cleanup must not release its finalizer before the namespace is gone, and
    /// the finalizer helper only keeps it when cleanup returns an error.
    #[error("namespace {name} is still being deleted")]
    NamespaceTerminating { name: String },
    #[error("failed to read role binding {name} in namespace {namespace}")]
    ReadRoleBinding {
        name: String,
        namespace: String,
        #[source]
        source: kube::Error,
    },
    #[error("failed to apply role binding {name} in namespace {namespace}")]
    ApplyRoleBinding {
        name: String,
        namespace: String,
        #[source]
        source: kube::Error,
    },
    #[error("failed to delete role binding {name} in namespace {namespace}")]
    DeleteRoleBinding {
        name: String,
        namespace: String,
        #[source]
        source: kube::Error,
    },
    #[error("failed to read org {name} in namespace {namespace}")]
    ReadOrg {
        name: String,
        namespace: String,
        #[source]
        source: kube::Error,
    },
    #[error("failed to write the status of {kind} {name}")]
    WriteStatus {
        kind: &'static str,
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("failed to add the finalizer to {kind} {name}")]
    AddFinalizer {
        kind: &'static str,
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("failed to remove the finalizer from {kind} {name}")]
    RemoveFinalizer {
        kind: &'static str,
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("failed to create job {name} in namespace {namespace}")]
    CreateJob {
        name: String,
        namespace: String,
        #[source]
        source: kube::Error,
    },
    /// `what` is the verb and the kind, such as `write statefulset` (created or patched, see
    /// [`crate::write::put`]) or `apply endpointslice` (a server-side apply); `name` is
    /// `namespace/name`.
    #[error("failed to {what} {name}")]
    Write {
        what: &'static str,
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("failed to get the blob URL signing key")]
    SigningKey(#[source] smelter_common::secrets::SecretError),
    #[error("failed to manage the finalizer of {kind} {name}: {reason}")]
    Finalizer {
        kind: &'static str,
        name: String,
        reason: String,
    },
}

impl Error {
    /// A short, stable, low-cardinality name for the `error` label of the failure metric.
    pub fn metric_label(&self) -> &'static str {
        match self {
            Error::NoNamespace { .. } => "no_namespace",
            Error::ReadNamespace { .. } => "read_namespace",
            Error::ApplyNamespace { .. } => "apply_namespace",
            Error::DeleteNamespace { .. } => "delete_namespace",
            Error::NamespaceTerminating { .. } => "namespace_terminating",
            Error::ReadRoleBinding { .. } => "read_role_binding",
            Error::ApplyRoleBinding { .. } => "apply_role_binding",
            Error::DeleteRoleBinding { .. } => "delete_role_binding",
            Error::ReadOrg { .. } => "read_org",
            Error::WriteStatus { .. } => "write_status",
            Error::AddFinalizer { .. } => "add_finalizer",
            Error::RemoveFinalizer { .. } => "remove_finalizer",
            Error::Finalizer { .. } => "finalizer",
            Error::CreateJob { .. } => "create_job",
            Error::SigningKey(_) => "signing_key",
            Error::Write { .. } => "write",
        }
    }

    /// How long to wait before looking again when this is not a failure but a wait for the
    /// cluster to catch up; `None` for real failures, which back off.
    pub fn waiting(&self) -> Option<Duration> {
        match self {
            // Namespace deletion takes seconds; the namespace watch also wakes us when it is gone.
            Error::NamespaceTerminating { .. } => Some(Duration::from_secs(2)),
            _ => None,
        }
    }

    /// Unwraps the finalizer helper's error: the reconciler's own errors keep their identity
    /// (and their metric label) instead of all counting as "finalizer".
    pub(crate) fn from_finalizer(
        kind: &'static str,
        name: &str,
        error: finalizer::Error<Error>,
    ) -> Self {
        let name = name.to_owned();
        match error {
            finalizer::Error::ApplyFailed(e) | finalizer::Error::CleanupFailed(e) => e,
            finalizer::Error::AddFinalizer(source) => Error::AddFinalizer { kind, name, source },
            finalizer::Error::RemoveFinalizer(source) => {
                Error::RemoveFinalizer { kind, name, source }
            }
            other => Error::Finalizer {
                kind,
                name,
                reason: other.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finalizer_errors_keep_the_reconcilers_error_and_label() {
        let cases: Vec<(finalizer::Error<Error>, &str)> = vec![
            (
                finalizer::Error::CleanupFailed(Error::NamespaceTerminating { name: "n".into() }),
                "namespace_terminating",
            ),
            (
                finalizer::Error::ApplyFailed(Error::NoNamespace {
                    kind: "Space",
                    name: "s".into(),
                }),
                "no_namespace",
            ),
            (finalizer::Error::UnnamedObject, "finalizer"),
            (finalizer::Error::InvalidFinalizer, "finalizer"),
        ];
        for (error, label) in cases {
            assert_eq!(
                Error::from_finalizer("Org", "o", error).metric_label(),
                label
            );
        }
    }

    #[test]
    fn only_a_terminating_namespace_is_a_wait() {
        assert!(
            Error::NamespaceTerminating { name: "n".into() }
                .waiting()
                .is_some()
        );
        assert!(
            Error::NoNamespace {
                kind: "Space",
                name: "s".into()
            }
            .waiting()
            .is_none()
        );
    }
}
