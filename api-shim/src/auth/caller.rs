//! The `Caller`: the verified bearer of a CF API request, and who they are to Kubernetes.

use super::TokenIssuer;
use crate::http::errors::ApiError;
use axum::http::HeaderMap;

/// The Kubernetes group every CF user is impersonated with.
pub const USERS_GROUP: &str = "cf:users";
/// The Kubernetes group CF admins are impersonated with; the chart binds it to the admin role.
pub const ADMINS_GROUP: &str = "cf:admins";

/// The prefix of the group an org manager is impersonated with, per org they manage.
pub const ORG_MANAGERS_GROUP_PREFIX: &str = "cf:org-managers:";

/// Who is calling, from a verified access token.
#[derive(Debug, Clone)]
pub struct Caller {
    pub claims: super::Claims,
}

impl Caller {
    /// The user's GUID; a client's id (CC's user GUID for a client).
    pub fn guid(&self) -> &str {
        if self.claims.user_id.is_empty() {
            &self.claims.client_id
        } else {
            &self.claims.user_id
        }
    }

    /// The user's name; a client's id.
    pub fn name(&self) -> &str {
        if self.claims.user_name.is_empty() {
            &self.claims.client_id
        } else {
            &self.claims.user_name
        }
    }

    /// Whether the caller is an OAuth client, not a user.
    pub fn is_client(&self) -> bool {
        self.claims.user_name.is_empty()
    }

    pub fn is_admin(&self) -> bool {
        self.claims.is_admin()
    }

    /// The Kubernetes user a write is made as: `cf:<user name>`, so RBAC subjects read well in
    /// `kubectl get rolebindings` and cannot collide with the cluster's own users; a client is
    /// `cf:client:<id>`, which no user name of a role can be mistaken for.
    pub fn kube_user(&self) -> String {
        if self.is_client() {
            client_kube_user(&self.claims.client_id)
        } else {
            kube_user(&self.claims.user_name)
        }
    }

    /// The Kubernetes groups a write is made with: every user's, the admins', and one per
    /// org the caller manages (`cf:org-managers:<org>` lets an org manager manage every
    /// space's roles, through the RoleBinding the operator puts in each space namespace).
    pub fn kube_groups(&self, perms: &super::Permissions) -> Vec<String> {
        let mut groups = vec![USERS_GROUP.to_owned(), "system:authenticated".to_owned()];
        if self.is_admin() {
            groups.push(ADMINS_GROUP.to_owned());
        }
        let managed = perms.managed_orgs();
        groups.extend(managed.map(|org| format!("{ORG_MANAGERS_GROUP_PREFIX}{org}")));
        groups
    }
}

/// The Kubernetes user name of a CF user.
pub fn kube_user(user_name: &str) -> String {
    format!("cf:{user_name}")
}

/// The Kubernetes user name of an OAuth client (or any user UAA does not know).
pub fn client_kube_user(id: &str) -> String {
    format!("cf:client:{id}")
}

impl Caller {
    /// The caller a request's `Authorization` header names, with a token `tokens` issued and
    /// that is still valid; else CC's 401.
    pub fn of(headers: &HeaderMap, tokens: &TokenIssuer) -> Result<Self, ApiError> {
        let header = headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(ApiError::not_authenticated)?;
        let value = header
            .to_str()
            .map_err(|_| ApiError::invalid_auth_token())?;
        // The CLI sends `bearer`; other clients `Bearer`.
        let token = value
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim())
            .ok_or_else(ApiError::invalid_auth_token)?;
        let claims = tokens
            .verify(token, "access")
            .map_err(|_| ApiError::invalid_auth_token())?;
        Ok(Caller { claims })
    }
}
