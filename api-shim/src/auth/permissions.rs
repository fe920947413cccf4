//! What a caller may see and manage, from their CF role bindings in the watch cache (CC's
//! `Permissions`). Reads are filtered here; writes are also checked by Kubernetes RBAC, which
//! has the final word.

use crate::{
    auth::Caller,
    storage::{
        cache::{Caches, ROLE_TYPE_LABEL},
        store::{By, Store},
    },
};
use smelter_crds::{Org, Space, labels};
use std::collections::BTreeSet;

/// The organizations and spaces one caller may see and manage.
#[derive(Clone)]
pub enum Permissions {
    /// A CF admin sees every org of this installation (the orgs cache watches only its root
    /// namespace) and every space in them; asked per GUID, so nothing is copied per request.
    Admin {
        orgs: Store<Org>,
        spaces: Store<Space>,
    },
    /// Anyone else sees what their roles name.
    Roles(Roles),
}

/// The orgs and spaces a user's roles name (sorted sets: equal roles give equal client keys).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roles {
    pub orgs: BTreeSet<String>,
    pub spaces: BTreeSet<String>,
    pub managed_orgs: BTreeSet<String>,
    pub managed_spaces: BTreeSet<String>,
    /// The space quotas of the spaces seen (CC lets their users read them).
    pub space_quotas: BTreeSet<String>,
}

impl Permissions {
    /// The caller's permissions, from their role bindings (found by the user index).
    pub fn of(caller: &Caller, caches: &Caches) -> Self {
        if caller.is_admin() {
            return Self::Admin {
                orgs: caches.orgs.clone(),
                spaces: caches.spaces.clone(),
            };
        }
        let mut roles = Roles::default();
        for rb in caches.role_bindings.by(By::User, caller.guid()) {
            let label = |key: &str| rb.metadata.labels.as_ref().and_then(|l| l.get(key));
            let role = label(ROLE_TYPE_LABEL)
                .map(String::as_str)
                .unwrap_or_default();
            if let Some(org) = label(labels::ORG_GUID) {
                roles.orgs.insert(org.clone());
                if role == "organization_manager" {
                    roles.managed_orgs.insert(org.clone());
                }
            }
            if let Some(space) = label(labels::SPACE_GUID) {
                roles.spaces.insert(space.clone());
                if role == "space_manager" {
                    roles.managed_spaces.insert(space.clone());
                }
            }
        }
        // Org managers see every space of their orgs.
        for org in &roles.managed_orgs {
            for space in caches.spaces.by(By::Org, org) {
                if let Some(guid) = &space.metadata.name {
                    roles.spaces.insert(guid.clone());
                }
            }
        }
        for space in &roles.spaces {
            if let Some(quota) = caches.spaces.get(space).and_then(|s| s.spec.quota.clone()) {
                roles.space_quotas.insert(quota);
            }
        }
        Self::Roles(roles)
    }

    pub fn is_admin(&self) -> bool {
        matches!(self, Self::Admin { .. })
    }

    pub fn sees_org(&self, guid: &str) -> bool {
        match self {
            Self::Admin { orgs, .. } => orgs.get(guid).is_some(),
            Self::Roles(r) => r.orgs.contains(guid),
        }
    }

    pub fn sees_space(&self, guid: &str) -> bool {
        match self {
            // Spaces in the cache may belong to another installation on the same cluster;
            // only those in this one's orgs count.
            Self::Admin { orgs, spaces } => spaces.get(guid).is_some_and(|s| {
                s.metadata
                    .namespace
                    .as_deref()
                    .is_some_and(|org| orgs.get(org).is_some())
            }),
            Self::Roles(r) => r.spaces.contains(guid),
        }
    }

    /// Whether the caller sees a space under the space quota `guid`.
    pub fn sees_space_quota(&self, guid: &str) -> bool {
        match self {
            Self::Admin { .. } => true,
            Self::Roles(r) => r.space_quotas.contains(guid),
        }
    }

    /// Whether the caller may manage roles and spaces of the org.
    pub fn manages_org(&self, guid: &str) -> bool {
        match self {
            Self::Admin { .. } => true,
            Self::Roles(r) => r.managed_orgs.contains(guid),
        }
    }

    /// Whether the caller may manage roles of the space.
    pub fn manages_space(&self, guid: &str) -> bool {
        match self {
            Self::Admin { .. } => true,
            Self::Roles(r) => r.managed_spaces.contains(guid),
        }
    }

    /// The orgs the caller manages by role, in order (an admin manages all by being admin).
    pub fn managed_orgs(&self) -> impl Iterator<Item = &String> {
        match self {
            Self::Admin { .. } => None,
            Self::Roles(r) => Some(r.managed_orgs.iter()),
        }
        .into_iter()
        .flatten()
    }
}
