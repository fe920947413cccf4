//! `POST /v3/users` and `DELETE /v3/users/:guid`: Cloud Controller's record of a user, kept
//! as the `registered` mark of the user's entry in the users Secret (UAA's `POST /Users` makes
//! the entry; `cf create-user` then registers it here).

use super::{UserView, message::CreateUser};
use crate::{
    auth::{
        User,
        users::{ChangeError, Entries, Entry},
    },
    http::message::RawBody,
    v3::prelude::*,
};
use k8s_openapi::api::rbac::v1::RoleBinding;

fn change_failed(e: ChangeError<ApiError>) -> ApiError {
    match e {
        ChangeError::Refused(refusal) => refusal,
        ChangeError::Kube(e) => ApiError::from_kube(e),
        ChangeError::Json(e) => ApiError::unavailable(format!("The user store: {e}")),
    }
}

/// `POST /v3/users`: registers a UAA user by GUID, or by user name and origin (a user of
/// another origin unknown so far is made, as CC makes UAA's shadow user); a GUID UAA does not
/// know is a user of its own (a client's id, say), as CC takes it.
pub async fn create(ctx: Ctx, RawBody(body): RawBody) -> ApiResult<Response> {
    ctx.admin_only()?;
    let req = CreateUser::from_body(&body)?;
    let registered = ctx
        .state
        .users
        .change(&ctx.state.kube.own(), |entries: &mut Entries| {
            register(entries, &req)
        })
        .await
        .map_err(change_failed)?;
    Ok(created(UserView::of(&registered, &ctx.base)))
}

/// Marks the user `req` names as CC's, making an entry when there is none (pure).
pub fn register(entries: &mut Entries, req: &CreateUser) -> ApiResult<User> {
    let found = |entries: &Entries| -> Option<String> {
        entries
            .iter()
            .find(|(key, e)| match (&req.guid, &req.username, &req.origin) {
                (Some(guid), _, _) => !e.client && &e.guid == guid,
                (None, Some(name), Some(origin)) => e.is_named(key, name, origin),
                _ => false,
            })
            .map(|(key, _)| key.clone())
    };
    let key = match found(entries) {
        Some(key) => key,
        None => {
            let guid = req
                .guid
                .clone()
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
            // Known to CC alone: no name and no origin, as CC shows a client's user.
            let (name, origin) = match (&req.username, &req.origin) {
                (Some(name), Some(origin)) => (name.as_str(), origin.as_str()),
                _ => ("", ""),
            };
            let mut entry = Entry::user(&guid, name, origin, String::new());
            entry.user_name = (!name.is_empty()).then(|| name.to_owned());
            entries.insert(guid.clone(), entry);
            guid
        }
    };
    let entry = entries.get_mut(&key).expect("found or made above");
    if entry.registered {
        return Err(ApiError::unprocessable(match &req.guid {
            Some(guid) => format!("User with guid '{guid}' already exists."),
            None => format!(
                "User with username '{}' and origin '{}' already exists.",
                req.username.as_deref().unwrap_or_default(),
                req.origin.as_deref().unwrap_or_default()
            ),
        }));
    }
    entry.registered = true;
    Ok(entry.as_user(&key))
}

/// `DELETE /v3/users/:guid`: the user's roles go, and CC forgets the user; the CLI then
/// deletes the UAA user (`DELETE /Users/:guid`). The job is done when the roles are gone.
pub async fn delete(ctx: Ctx, Path(guid): Path<String>) -> ApiResult<Response> {
    ctx.admin_only()?;
    ctx.state
        .users
        .by_guid(&guid)
        .filter(|u| u.registered)
        .ok_or_else(|| ApiError::not_found("User"))?;
    let client = ctx.client()?;
    for role in ctx.state.caches.role_bindings.by(By::User, &guid) {
        let namespace = role.metadata.namespace.as_deref().unwrap_or_default();
        let name = role.metadata.name.as_deref().unwrap_or_default();
        write::start_delete::<RoleBinding>(&client, namespace, name).await?;
    }
    ctx.state
        .users
        .change(&ctx.state.kube.own(), |entries: &mut Entries| {
            // A user CC alone knew goes; a UAA user stays for UAA's delete.
            entries.retain(|_, e| e.client || e.guid != guid || !e.origin.is_empty());
            for e in entries.values_mut().filter(|e| !e.client && e.guid == guid) {
                e.registered = false;
            }
            Ok::<_, ApiError>(())
        })
        .await
        .map_err(change_failed)?;
    Ok(jobs::accepted(&ctx.base, Operation::UserDelete, &guid))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::message::Message;

    fn entries() -> Entries {
        let mut chart = Entry::user("g-admin", "admin", "uaa", "h".into());
        chart.user_name = None;
        chart.registered = true;
        let made = Entry::user("g-bob", "bob@example.com", "uaa", "h".into());
        [("admin".to_owned(), chart), ("g-bob".to_owned(), made)].into()
    }

    fn req(body: &str) -> CreateUser {
        CreateUser::sample(body)
    }

    #[test]
    fn a_uaa_user_is_registered_once() {
        let mut e = entries();
        let bob = register(&mut e, &req(r#"{"guid": "g-bob"}"#)).unwrap();
        assert_eq!(
            (bob.name.as_str(), bob.origin.as_str()),
            ("bob@example.com", "uaa")
        );
        assert!(e["g-bob"].registered);
        let again = register(&mut e, &req(r#"{"guid": "g-bob"}"#)).unwrap_err();
        assert_eq!(again.detail, "User with guid 'g-bob' already exists.");
        let admin = register(&mut e, &req(r#"{"guid": "g-admin"}"#)).unwrap_err();
        assert_eq!(admin.detail, "User with guid 'g-admin' already exists.");
    }

    #[test]
    fn unknown_users_are_made_as_cc_makes_them() {
        let mut e = entries();
        let client = register(&mut e, &req(r#"{"guid": "ci-client"}"#)).unwrap();
        assert_eq!(client.origin, "");
        assert_eq!(e["ci-client"].user_name, None);
        let ldap = register(&mut e, &req(r#"{"username": "carol", "origin": "ldap"}"#)).unwrap();
        assert_eq!(
            (ldap.name.as_str(), ldap.origin.as_str()),
            ("carol", "ldap")
        );
        assert!(e[&ldap.guid].password_hash.is_empty());
        let again =
            register(&mut e, &req(r#"{"username": "CAROL", "origin": "ldap"}"#)).unwrap_err();
        assert_eq!(
            again.detail,
            "User with username 'CAROL' and origin 'ldap' already exists."
        );
    }
}
