//! CF users and OAuth clients, from a Secret in the root namespace (`smelter-users` by
//! default): one key per account, whose value is JSON `{"guid", "passwordHash", "admin",
//! "origin"}`. Passwords are bcrypt hashes, which the Helm chart can produce itself
//! (`htpasswd`/`bcrypt`).
//!
//! The chart keys its users by name. Users made through the API (`POST /Users`) are keyed by
//! GUID and carry `userName`, because CF user names are often e-mail addresses and a Secret key
//! cannot hold an `@`. A client (`"client": true`, keyed by its id) has a hashed secret and
//! `authorities`, the scopes its `client_credentials` tokens carry.

use crate::storage::store::Store;
use k8s_openapi::{ByteString, api::core::v1::Secret};
use kube::{Api, Client};
use serde::{Deserialize, Serialize};
use std::{collections::BTreeMap, time::Duration};

/// One CF user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub guid: String,
    pub name: String,
    pub origin: String,
    pub admin: bool,
    pub password_hash: String,
    /// Whether Cloud Controller knows the user (`POST /v3/users`): UAA's `POST /Users` makes
    /// a user CC does not list until then, as CF's two databases do.
    pub registered: bool,
}

impl User {
    /// Who this user is to Kubernetes, as a RoleBinding's subject: what [`super::Caller`]
    /// impersonates when they call. A user UAA does not know (a client's id) has no origin.
    pub fn kube_user(&self) -> String {
        if self.origin.is_empty() {
            super::caller::client_kube_user(&self.guid)
        } else {
            super::caller::kube_user(&self.name)
        }
    }
}

/// One OAuth client, for the `client_credentials` grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OauthClient {
    pub id: String,
    pub secret_hash: String,
    pub authorities: Vec<String>,
}

/// One entry of the Secret, as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    #[serde(default)]
    pub guid: String,
    #[serde(default)]
    pub password_hash: String,
    #[serde(default)]
    pub admin: bool,
    #[serde(default = "uaa")]
    pub origin: String,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub registered: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub client: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authorities: Vec<String>,
}

fn uaa() -> String {
    "uaa".to_owned()
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Entry {
    /// A user of origin `origin` with a bcrypt hash (empty: one who cannot log in here).
    pub fn user(guid: &str, name: &str, origin: &str, password_hash: String) -> Self {
        Self {
            user_name: Some(name.to_owned()),
            guid: guid.to_owned(),
            password_hash,
            admin: false,
            origin: origin.to_owned(),
            registered: false,
            client: false,
            authorities: Vec::new(),
        }
    }

    /// The entry keyed `key` as a user, if it is not a client's.
    fn to_user(&self, key: &str) -> Option<User> {
        (!self.client).then(|| self.as_user(key))
    }

    /// The user entry keyed `key` (the chart's key a user's name, the API's its GUID).
    pub fn as_user(&self, key: &str) -> User {
        User {
            guid: self.guid.clone(),
            name: self.user_name.clone().unwrap_or_else(|| key.to_owned()),
            origin: self.origin.clone(),
            admin: self.admin,
            password_hash: self.password_hash.clone(),
            registered: self.registered,
        }
    }

    /// Whether the entry keyed `key` is the user `name` of `origin`: UAA's uniqueness, names
    /// compared without case.
    pub fn is_named(&self, key: &str, name: &str, origin: &str) -> bool {
        !self.client
            && self.origin == origin
            && self
                .user_name
                .as_deref()
                .unwrap_or(key)
                .eq_ignore_ascii_case(name)
    }
}

/// The Secret's entries by key, as a change reads and writes them.
pub type Entries = BTreeMap<String, Entry>;

/// Why a change to the users Secret was not made.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError<E> {
    /// The change itself refused (a user that exists, say).
    #[error("refused")]
    Refused(E),
    #[error("the users Secret could not be written: {0}")]
    Kube(#[from] kube::Error),
    #[error("an entry could not be written: {0}")]
    Json(#[from] serde_json::Error),
}

/// Conflicting writes a change re-reads and retries before it gives up.
const CHANGE_ATTEMPTS: usize = 5;
/// How long a change waits for its write to reach the cache.
const SEEN_WITHIN: Duration = Duration::from_secs(10);

/// The users Secret, read from a watch cache.
#[derive(Clone)]
pub struct Users {
    store: Store<Secret>,
    namespace: String,
    secret_name: String,
}

impl Users {
    pub fn new(store: Store<Secret>, namespace: String, secret_name: String) -> Self {
        Self {
            store,
            namespace,
            secret_name,
        }
    }

    fn entries(&self) -> Vec<(String, Entry)> {
        self.store
            .all()
            .iter()
            .filter(|s| s.metadata.name.as_deref() == Some(self.secret_name.as_str()))
            .flat_map(|s| s.data.clone().unwrap_or_default())
            .filter_map(|(k, v)| Some((k.clone(), parse(&k, &v.0)?)))
            .collect()
    }

    /// Every user, Cloud Controller's or not.
    pub fn accounts(&self) -> Vec<User> {
        self.entries()
            .iter()
            .filter_map(|(k, e)| e.to_user(k))
            .collect()
    }

    /// The user named `name`: of origin `uaa` if there are several.
    pub fn by_name(&self, name: &str) -> Option<User> {
        let mut named: Vec<User> = self
            .accounts()
            .into_iter()
            .filter(|u| u.name == name)
            .collect();
        named.sort_by_key(|u| u.origin != "uaa");
        named.into_iter().next()
    }

    /// The user with GUID `guid`, if any.
    pub fn by_guid(&self, guid: &str) -> Option<User> {
        self.accounts().into_iter().find(|u| u.guid == guid)
    }

    /// The user a role with user GUID `guid` is for: a user, or a client by its id (CC makes
    /// a client's user when it is first given a role, as `cf create-org` by a client does).
    pub fn role_holder(&self, guid: &str) -> Option<User> {
        self.by_guid(guid).or_else(|| {
            self.client(guid).map(|c| User {
                guid: c.id.clone(),
                name: c.id,
                origin: String::new(),
                admin: false,
                password_hash: String::new(),
                registered: true,
            })
        })
    }

    /// Every user Cloud Controller knows.
    pub fn all(&self) -> Vec<User> {
        self.accounts()
            .into_iter()
            .filter(|u| u.registered)
            .collect()
    }

    /// The user if `password` is theirs. Runs bcrypt, so call it off the async runtime.
    pub fn authenticate(&self, name: &str, password: &str) -> Option<User> {
        let user = self
            .accounts()
            .into_iter()
            .find(|u| u.name == name && u.origin == "uaa")?;
        verify(password, &user.password_hash).then_some(user)
    }

    /// The client `id`, if any.
    pub fn client(&self, id: &str) -> Option<OauthClient> {
        self.entries()
            .into_iter()
            .find(|(k, e)| e.client && k == id)
            .map(|(id, e)| OauthClient {
                id,
                secret_hash: e.password_hash,
                authorities: e.authorities,
            })
    }

    /// Changes the Secret's entries with `change`, as the api-shim's own `client` (the caller
    /// is checked by the handler: no CF role is bound in the root namespace), and waits until
    /// the cache shows the change, so the next request (a login, `POST /v3/users`) sees it.
    ///
    /// The Secret is read fresh and replaced at the version read, so two changes at once
    /// cannot lose one another: the loser re-reads and runs `change` again.
    pub async fn change<T, E>(
        &self,
        client: &Client,
        change: impl Fn(&mut Entries) -> Result<T, E>,
    ) -> Result<T, ChangeError<E>> {
        let api: Api<Secret> = Api::namespaced(client.clone(), &self.namespace);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut secret = api.get(&self.secret_name).await?;
            let data = secret.data.take().unwrap_or_default();
            // Entries this version cannot read are kept as they are.
            let mut entries = Entries::new();
            let mut unread = BTreeMap::new();
            for (k, v) in data {
                match parse(&k, &v.0) {
                    Some(e) => {
                        entries.insert(k, e);
                    }
                    None => {
                        unread.insert(k, v);
                    }
                }
            }
            let answer = change(&mut entries).map_err(ChangeError::Refused)?;
            let mut data = unread;
            for (k, e) in entries {
                data.insert(k, ByteString(serde_json::to_vec(&e)?));
            }
            secret.data = Some(data);
            match api
                .replace(&self.secret_name, &crate::storage::write::params(), &secret)
                .await
            {
                Ok(written) => {
                    let version = written.metadata.resource_version;
                    let name = self.secret_name.as_str();
                    self.store
                        .until(SEEN_WITHIN, |s| s.has_version(name, version.as_deref()))
                        .await;
                    return Ok(answer);
                }
                Err(kube::Error::Api(s)) if s.code == 409 && attempt < CHANGE_ATTEMPTS => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
}

fn parse(key: &str, raw: &[u8]) -> Option<Entry> {
    serde_json::from_slice(raw)
        .inspect_err(|e| tracing::warn!(user = key, error = %e, "ignoring malformed user entry"))
        .ok()
}

/// Whether `password` matches the bcrypt `hash` (never for an empty hash).
pub fn verify(password: &str, hash: &str) -> bool {
    !hash.is_empty() && bcrypt::verify(password, hash).unwrap_or(false)
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

/// The JSON value of a client's entry (keyed by its id), for the chart's values and tools.
pub fn client_entry_json(
    secret: &str,
    authorities: &[String],
    cost: u32,
) -> Result<String, bcrypt::BcryptError> {
    let hash = bcrypt::hash(secret, cost)?;
    Ok(
        serde_json::json!({ "client": true, "passwordHash": hash, "authorities": authorities })
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_entries_and_api_entries_read_alike() {
        let chart: Entry =
            serde_json::from_str(r#"{"guid":"g1","passwordHash":"h","admin":true}"#).unwrap();
        let user = chart.to_user("admin").unwrap();
        assert_eq!(
            (user.name.as_str(), user.origin.as_str(), user.registered),
            ("admin", "uaa", true)
        );
        let made = Entry::user("g2", "a@b.example", "uaa", "h".into());
        let json = serde_json::to_value(&made).unwrap();
        assert_eq!(json["userName"], "a@b.example");
        assert_eq!(json["registered"], false);
        assert!(json.get("client").is_none() && json.get("authorities").is_none());
        let back: Entry = serde_json::from_value(json).unwrap();
        assert_eq!(back.to_user("g2").unwrap().name, "a@b.example");
    }

    #[test]
    fn clients_are_not_users_and_empty_hashes_never_match() {
        let client: Entry = serde_json::from_str(&client_entry_json("s", &[], 4).unwrap()).unwrap();
        assert!(client.client && client.to_user("ci").is_none());
        assert!(verify("s", &client.password_hash));
        assert!(!verify("", ""));
    }
}
