//! Pure: the namespace an org or a space owns.

use k8s_openapi::{api::core::v1::Namespace, apimachinery::pkg::apis::meta::v1::ObjectMeta};
use smelter_crds::labels;
use std::collections::BTreeMap;

/// Says whether a Smelter namespace belongs to an org or a space, so the controllers can watch
/// only their own kind.
pub const KIND_LABEL: &str = "cf.smelter.dev/kind";
/// The CF display name of the owner. An annotation, not a label: CF names may hold characters
/// that label values cannot.
pub const NAME_ANNOTATION: &str = "cf.smelter.dev/name";
/// The value of `app.kubernetes.io/managed-by` on everything Smelter creates.
pub const MANAGED_BY: &str = "smelter";

/// Which kind of CF resource owns a namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TenantKind {
    Org,
    Space,
}

impl TenantKind {
    /// The value of [`KIND_LABEL`].
    pub fn label_value(self) -> &'static str {
        match self {
            TenantKind::Org => "org",
            TenantKind::Space => "space",
        }
    }

    /// The label selector of this kind's namespaces.
    pub fn namespace_selector(self) -> String {
        format!(
            "{}={MANAGED_BY},{KIND_LABEL}={}",
            labels::MANAGED_BY,
            self.label_value()
        )
    }
}

/// The CF identity a namespace is built from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tenant {
    pub kind: TenantKind,
    /// The owner's GUID, which is also the namespace's name.
    pub guid: String,
    /// The org's GUID: the owner's own for an org, its org's for a space.
    pub org_guid: String,
    /// The CF display name.
    pub name: String,
}

impl Tenant {
    /// The labels of what the operator keeps in this space's namespace: Smelter's, and both
    /// GUIDs (what the Space controller maps them back to their space by).
    pub fn space_labels(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            (labels::MANAGED_BY.to_owned(), MANAGED_BY.to_owned()),
            (labels::ORG_GUID.to_owned(), self.org_guid.clone()),
            (labels::SPACE_GUID.to_owned(), self.guid.clone()),
        ])
    }

    /// A space of tests of what is built for one.
    #[cfg(test)]
    pub fn test_space() -> Self {
        Self {
            kind: TenantKind::Space,
            guid: "space-guid".into(),
            org_guid: "org-guid".into(),
            name: "dev".into(),
        }
    }
}

/// The namespace `tenant` owns, as the operator applies it. Only the fields Smelter manages:
/// server-side apply leaves everything else (the API server's defaults, others' labels) alone.
pub fn build_namespace(tenant: &Tenant) -> Namespace {
    let mut ns_labels = BTreeMap::from([
        (labels::MANAGED_BY.to_owned(), MANAGED_BY.to_owned()),
        (KIND_LABEL.to_owned(), tenant.kind.label_value().to_owned()),
        (labels::ORG_GUID.to_owned(), tenant.org_guid.clone()),
    ]);
    if tenant.kind == TenantKind::Space {
        ns_labels.insert(labels::SPACE_GUID.to_owned(), tenant.guid.clone());
    }
    Namespace {
        metadata: ObjectMeta {
            name: Some(tenant.guid.clone()),
            labels: Some(ns_labels),
            annotations: Some(BTreeMap::from([(
                NAME_ANNOTATION.to_owned(),
                tenant.name.clone(),
            )])),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    }
}

/// Whether `live` already carries every label and annotation of `desired`, so applying would
/// change nothing and can be skipped.
pub fn is_up_to_date(desired: &Namespace, live: &Namespace) -> bool {
    labels_present(&desired.metadata, &live.metadata)
        && contains(
            desired.metadata.annotations.as_ref(),
            live.metadata.annotations.as_ref(),
        )
}

/// Whether `have` holds every entry of `want`.
fn contains(
    want: Option<&BTreeMap<String, String>>,
    have: Option<&BTreeMap<String, String>>,
) -> bool {
    want.into_iter()
        .flatten()
        .all(|(k, v)| have.and_then(|h| h.get(k)) == Some(v))
}

/// Whether `live` carries every label of `desired` (others may add their own): the first
/// half of every "would applying change anything" check of the operator's objects.
pub fn labels_present(desired: &ObjectMeta, live: &ObjectMeta) -> bool {
    contains(desired.labels.as_ref(), live.labels.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORG: &str = "0b6d8a5e-3c1f-4f2a-9e7d-1a2b3c4d5e6f";
    const SPACE: &str = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a";

    fn tenant(kind: TenantKind, guid: &str, name: &str) -> Tenant {
        Tenant {
            kind,
            guid: guid.into(),
            org_guid: ORG.into(),
            name: name.into(),
        }
    }

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn builds_the_namespace_of_each_kind() {
        let cases = [
            (
                tenant(TenantKind::Org, ORG, "my-org"),
                map(&[
                    ("app.kubernetes.io/managed-by", "smelter"),
                    ("cf.smelter.dev/kind", "org"),
                    ("cf.smelter.dev/org-guid", ORG),
                ]),
                "my-org",
            ),
            (
                tenant(TenantKind::Space, SPACE, "dev space (EU) ✓"),
                map(&[
                    ("app.kubernetes.io/managed-by", "smelter"),
                    ("cf.smelter.dev/kind", "space"),
                    ("cf.smelter.dev/org-guid", ORG),
                    ("cf.smelter.dev/space-guid", SPACE),
                ]),
                "dev space (EU) ✓",
            ),
        ];
        for (tenant, want_labels, want_name) in cases {
            let ns = build_namespace(&tenant);
            assert_eq!(ns.metadata.name.as_deref(), Some(tenant.guid.as_str()));
            assert_eq!(ns.metadata.labels, Some(want_labels), "{tenant:?}");
            assert_eq!(
                ns.metadata.annotations,
                Some(map(&[("cf.smelter.dev/name", want_name)]))
            );
            // Nothing the API server or another manager owns.
            assert!(ns.spec.is_none() && ns.status.is_none());
            assert!(ns.metadata.owner_references.is_none());
        }
    }

    #[test]
    fn the_selector_matches_the_built_labels() {
        for kind in [TenantKind::Org, TenantKind::Space] {
            let labels = build_namespace(&tenant(kind, SPACE, "x"))
                .metadata
                .labels
                .unwrap_or_default();
            for term in kind.namespace_selector().split(',') {
                let (k, v) = term.split_once('=').expect("k=v");
                assert_eq!(
                    labels.get(k).map(String::as_str),
                    Some(v),
                    "{kind:?} {term}"
                );
            }
        }
    }

    #[test]
    fn up_to_date_when_live_has_every_desired_label_and_annotation() {
        let desired = build_namespace(&tenant(TenantKind::Org, ORG, "my-org"));
        let with = |f: &dyn Fn(&mut ObjectMeta)| {
            let mut live = desired.clone();
            f(&mut live.metadata);
            live
        };
        let cases: Vec<(&str, Namespace, bool)> = vec![
            ("identical", desired.clone(), true),
            (
                "extra label and annotation from someone else",
                with(&|m| {
                    m.labels
                        .get_or_insert_default()
                        .insert("team".into(), "a".into());
                    m.annotations
                        .get_or_insert_default()
                        .insert("note".into(), "b".into());
                }),
                true,
            ),
            (
                "display name changed",
                with(&|m| {
                    m.annotations
                        .get_or_insert_default()
                        .insert(NAME_ANNOTATION.into(), "old-name".into());
                }),
                false,
            ),
            (
                "label removed by hand",
                with(&|m| {
                    m.labels.get_or_insert_default().remove(KIND_LABEL);
                }),
                false,
            ),
            ("no labels at all", with(&|m| m.labels = None), false),
            (
                "no annotations at all",
                with(&|m| m.annotations = None),
                false,
            ),
        ];
        for (case, live, want) in cases {
            assert_eq!(is_up_to_date(&desired, &live), want, "{case}");
        }
    }
}
