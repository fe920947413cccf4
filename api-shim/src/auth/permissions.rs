//! What a caller may see, from the CF role bindings in the watch cache. Reads are filtered
//! here; writes are also checked by Kubernetes RBAC, which has the final word.

use crate::{
    auth::Caller,
    storage::cache::{Caches, ROLE_TYPE_LABEL},
};
use smelter_crds::labels;
use std::collections::HashSet;

/// The organizations and spaces visible to one caller.
#[derive(Debug, Clone, Default)]
pub struct Access {
    admin: bool,
    orgs: HashSet<String>,
    spaces: HashSet<String>,
    managed_orgs: HashSet<String>,
    managed_spaces: HashSet<String>,
}

impl Access {
    /// Computes visibility from the caller's role bindings.
    pub fn of(caller: &Caller, caches: &Caches) -> Self {
        // Orgs in the cache are this installation's (the watch is on the root namespace); only
        // spaces in their namespaces belong to it, even when the cluster holds others.
        if caller.is_admin() {
            let orgs: HashSet<String> = caches
                .orgs
                .all()
                .iter()
                .filter_map(|o| o.metadata.name.clone())
                .collect();
            let spaces = caches
                .spaces
                .all()
                .iter()
                .filter(|s| {
                    s.metadata
                        .namespace
                        .as_ref()
                        .is_some_and(|ns| orgs.contains(ns))
                })
                .filter_map(|s| s.metadata.name.clone())
                .collect();
            return Self {
                admin: true,
                orgs,
                spaces,
                ..Default::default()
            };
        }
        let mut access = Self::default();
        for rb in caches.role_bindings.all() {
            let l = rb.metadata.labels.clone().unwrap_or_default();
            if l.get(crate::v3::roles::USER_GUID_LABEL).map(String::as_str) != Some(caller.guid()) {
                continue;
            }
            let role = l
                .get(ROLE_TYPE_LABEL)
                .map(String::as_str)
                .unwrap_or_default();
            if let Some(org) = l.get(labels::ORG_GUID) {
                access.orgs.insert(org.clone());
                if role == "organization_manager" {
                    access.managed_orgs.insert(org.clone());
                }
            }
            if let Some(space) = l.get(labels::SPACE_GUID) {
                access.spaces.insert(space.clone());
                if role == "space_manager" {
                    access.managed_spaces.insert(space.clone());
                }
            }
        }
        // Org managers see every space of their orgs.
        for space in caches.spaces.all() {
            if let (Some(ns), Some(guid)) = (&space.metadata.namespace, &space.metadata.name)
                && access.managed_orgs.contains(ns)
            {
                access.spaces.insert(guid.clone());
            }
        }
        access
    }

    pub fn is_admin(&self) -> bool {
        self.admin
    }

    pub fn sees_org(&self, guid: &str) -> bool {
        self.orgs.contains(guid)
    }

    pub fn sees_space(&self, guid: &str) -> bool {
        self.spaces.contains(guid)
    }

    /// Whether the caller may manage roles and spaces of the org.
    pub fn manages_org(&self, guid: &str) -> bool {
        self.admin || self.managed_orgs.contains(guid)
    }

    /// The orgs the caller manages (sorted, so equal sets give equal client cache keys).
    pub fn managed_orgs(&self) -> impl Iterator<Item = &String> {
        let mut orgs: Vec<&String> = self.managed_orgs.iter().collect();
        orgs.sort();
        orgs.into_iter()
    }

    /// Whether the caller may manage roles of the space.
    pub fn manages_space(&self, guid: &str) -> bool {
        self.admin || self.managed_spaces.contains(guid)
    }
}
