//! CF users, from a Secret in the root namespace (`smelter-users` by default): one key per
//! user name, whose value is JSON `{"guid", "passwordHash", "admin", "origin"}`. Passwords are
//! bcrypt hashes, which the Helm chart can produce itself (`htpasswd`/`bcrypt`).

use crate::storage::store::Store;
use k8s_openapi::api::core::v1::Secret;
use serde::Deserialize;

/// One CF user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub guid: String,
    pub name: String,
    pub origin: String,
    pub admin: bool,
    pub password_hash: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    guid: String,
    password_hash: String,
    #[serde(default)]
    admin: bool,
    #[serde(default = "uaa")]
    origin: String,
}

fn uaa() -> String {
    "uaa".to_owned()
}

/// The users Secret, read from a watch cache.
#[derive(Clone)]
pub struct Users {
    store: Store<Secret>,
    secret_name: String,
}

impl Users {
    pub fn new(store: Store<Secret>, secret_name: String) -> Self {
        Self { store, secret_name }
    }

    fn entries(&self) -> Vec<(String, Vec<u8>)> {
        self.store
            .all()
            .iter()
            .filter(|s| s.metadata.name.as_deref() == Some(self.secret_name.as_str()))
            .flat_map(|s| s.data.clone().unwrap_or_default())
            .map(|(k, v)| (k, v.0))
            .collect()
    }

    fn parse(name: &str, raw: &[u8]) -> Option<User> {
        let entry: Entry = serde_json::from_slice(raw)
            .inspect_err(
                |e| tracing::warn!(user = name, error = %e, "ignoring malformed user entry"),
            )
            .ok()?;
        Some(User {
            guid: entry.guid,
            name: name.to_owned(),
            origin: entry.origin,
            admin: entry.admin,
            password_hash: entry.password_hash,
        })
    }

    /// The user named `name`, if any.
    pub fn by_name(&self, name: &str) -> Option<User> {
        self.entries()
            .into_iter()
            .find(|(k, _)| k == name)
            .and_then(|(k, v)| Self::parse(&k, &v))
    }

    /// The user with GUID `guid`, if any.
    pub fn by_guid(&self, guid: &str) -> Option<User> {
        self.all().into_iter().find(|u| u.guid == guid)
    }

    /// Every user.
    pub fn all(&self) -> Vec<User> {
        self.entries()
            .into_iter()
            .filter_map(|(k, v)| Self::parse(&k, &v))
            .collect()
    }

    /// The user if `password` is theirs. Runs bcrypt, so call it off the async runtime.
    pub fn authenticate(&self, name: &str, password: &str) -> Option<User> {
        let user = self.by_name(name)?;
        bcrypt::verify(password, &user.password_hash)
            .ok()?
            .then_some(user)
    }
}

/// The JSON value of a users-Secret entry, for tests and tools that add users.
pub fn entry_json(
    guid: &str,
    password: &str,
    admin: bool,
    cost: u32,
) -> Result<String, bcrypt::BcryptError> {
    let hash = bcrypt::hash(password, cost)?;
    Ok(
        serde_json::json!({ "guid": guid, "passwordHash": hash, "admin": admin, "origin": "uaa" })
            .to_string(),
    )
}
