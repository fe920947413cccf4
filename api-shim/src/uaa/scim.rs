//! UAA's SCIM user endpoints, as the cf CLI calls them: `POST /Users` (`cf create-user`),
//! `GET /Users?filter=userName eq "NAME" and origin eq "ORIGIN"` (`create-user` and
//! `delete-user` look the user up), `DELETE /Users/:guid` (`delete-user`, after CC's
//! `DELETE /v3/users/:guid`), `PUT /Users/:guid/password` (`cf passwd`), and `GET
//! /oauth/clients/:id` (`cf set-org-role CLIENT ... --client`).
//!
//! Users live in the users Secret; these endpoints change it as the api-shim, after their
//! own check of the caller (an admin, or the user themself for a password), because no CF
//! role is bound in the root namespace where it lives.

use super::{UaaError, uaa_error};
use crate::{
    auth::{
        Caller, User,
        passwords::PasswordPolicy,
        users::{ChangeError, Entries, Entry, verify},
    },
    http::path::Path,
    state::AppState,
};
use axum::{
    Json,
    body::Bytes,
    extract::{Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::{Value, json};
use std::{collections::BTreeMap, sync::Arc};

const SCHEMAS: [&str; 1] = ["urn:scim:schemas:core:1.0"];

/// The caller, from a UAA-issued bearer token; else UAA's 401.
fn caller(state: &AppState, headers: &HeaderMap) -> Result<Caller, UaaError> {
    Caller::of(headers, &state.tokens).map_err(|_| {
        uaa_error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Full authentication is required to access this resource",
        )
    })
}

/// The caller if an admin (UAA's `scim.read`/`scim.write`, which CF admins hold); else UAA's
/// 403, which the CLI shows as "You are not authorized to perform the requested action.".
fn admin(state: &AppState, headers: &HeaderMap) -> Result<Caller, UaaError> {
    let caller = caller(state, headers)?;
    if caller.is_admin() {
        Ok(caller)
    } else {
        Err(insufficient_scope())
    }
}

fn insufficient_scope() -> UaaError {
    uaa_error(
        StatusCode::FORBIDDEN,
        "insufficient_scope",
        "Insufficient scope for this resource",
    )
}

fn not_found(guid: &str) -> UaaError {
    uaa_error(
        StatusCode::NOT_FOUND,
        "scim_resource_not_found",
        &format!("User {guid} does not exist"),
    )
}

fn invalid_password(description: &str) -> UaaError {
    uaa_error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_password",
        description,
    )
}

/// A change of the users Secret that failed: its own refusal, or a platform error.
fn change_failed(e: ChangeError<UaaError>) -> UaaError {
    match e {
        ChangeError::Refused(refusal) => refusal,
        other => {
            tracing::error!(error = %other, "failed to change the users Secret");
            uaa_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "server_error",
                "The user store could not be written; try again.",
            )
        }
    }
}

/// UAA's SCIM user JSON, with what Smelter keeps of a user.
fn scim_user(user: &User) -> Value {
    json!({
        "id": user.guid,
        "userName": user.name,
        "origin": user.origin,
        "active": true,
        "verified": true,
        "zoneId": "uaa",
        "schemas": SCHEMAS,
    })
}

/// Runs bcrypt off the async workers.
async fn hash(password: String) -> Result<String, UaaError> {
    tokio::task::spawn_blocking(move || bcrypt::hash(password, bcrypt::DEFAULT_COST))
        .await
        .ok()
        .and_then(Result::ok)
        .ok_or_else(|| {
            uaa_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "failed to hash the password",
            )
        })
}

fn refuse_policy(policy: &PasswordPolicy, password: &str) -> Result<(), UaaError> {
    let broken = policy.violations(password);
    if broken.is_empty() {
        Ok(())
    } else {
        Err(invalid_password(&broken.join(" ")))
    }
}

/// `POST /Users`'s body: what the CLI sends (its `name` and `emails` are the user name again,
/// and are not kept).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewUser {
    user_name: Option<String>,
    password: Option<String>,
    origin: Option<String>,
}

/// `POST /Users`.
pub async fn create(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, UaaError> {
    let user = create_user(&state, &headers, &body).await?;
    Ok((StatusCode::CREATED, Json(scim_user(&user))).into_response())
}

async fn create_user(state: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<User, UaaError> {
    admin(state, headers)?;
    let invalid = |description: &str| {
        uaa_error(
            StatusCode::BAD_REQUEST,
            "invalid_scim_resource",
            description,
        )
    };
    let req: NewUser = serde_json::from_slice(body).map_err(|e| invalid(&e.to_string()))?;
    let name = req
        .user_name
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| invalid("A username must be provided."))?;
    if name.chars().any(char::is_whitespace) {
        return Err(invalid("Username must not contain whitespace"));
    }
    let origin = req.origin.filter(|o| !o.is_empty()).unwrap_or("uaa".into());
    // Only UAA's own users have a password here; others log in elsewhere (LDAP, SAML).
    let password_hash = match (origin.as_str(), req.password) {
        ("uaa", Some(password)) => {
            refuse_policy(&state.config.password_policy, &password)?;
            hash(password).await?
        }
        _ => String::new(),
    };
    let guid = uuid::Uuid::new_v4().to_string();
    let entry = Entry::user(&guid, &name, &origin, password_hash);
    let user = entry.as_user(&guid);
    state
        .users
        .change(&state.kube.own(), |entries: &mut Entries| {
            if entries
                .iter()
                .any(|(key, e)| e.is_named(key, &name, &origin))
            {
                return Err(uaa_error(
                    StatusCode::CONFLICT,
                    "scim_resource_already_exists",
                    &format!("Username already in use: {name}"),
                ));
            }
            entries.insert(guid.clone(), entry.clone());
            Ok(())
        })
        .await
        .map_err(change_failed)?;
    Ok(user)
}

/// `GET /Users`: every user, or those a SCIM filter of `eq` comparisons joined by `and`
/// picks (`userName`, `origin`, `id`), as the CLI sends it. User names compare as UAA's do,
/// ignoring case.
pub async fn list(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Json<Value>, UaaError> {
    admin(&state, &headers)?;
    let wanted = match query.get("filter").map(|f| parse_filter(f)) {
        None => Vec::new(),
        Some(Ok(wanted)) => wanted,
        Some(Err(e)) => {
            return Err(uaa_error(
                StatusCode::BAD_REQUEST,
                "invalid_filter",
                &format!("Invalid filter expression: {e}"),
            ));
        }
    };
    let users: Vec<Value> = state
        .users
        .accounts()
        .iter()
        .filter(|u| {
            wanted.iter().all(|(attr, value)| match attr {
                Attr::UserName => u.name.eq_ignore_ascii_case(value),
                Attr::Origin => &u.origin == value,
                Attr::Id => &u.guid == value,
            })
        })
        .map(scim_user)
        .collect();
    Ok(Json(json!({
        "startIndex": 1,
        "itemsPerPage": users.len(),
        "totalResults": users.len(),
        "schemas": SCHEMAS,
        "resources": users,
    })))
}

/// An attribute a filter may compare.
#[derive(Debug, PartialEq, Eq)]
pub enum Attr {
    UserName,
    Origin,
    Id,
}

/// A SCIM filter of `ATTR eq "VALUE"` comparisons joined by `and` (pure).
pub fn parse_filter(filter: &str) -> Result<Vec<(Attr, String)>, String> {
    let mut rest = filter.trim();
    let mut wanted = Vec::new();
    loop {
        let (attr, after) = rest
            .split_once(char::is_whitespace)
            .ok_or_else(|| format!("incomplete comparison at '{rest}'"))?;
        let attr = match attr.to_ascii_lowercase().as_str() {
            "username" => Attr::UserName,
            "origin" => Attr::Origin,
            "id" => Attr::Id,
            other => return Err(format!("unsupported attribute '{other}'")),
        };
        let (op, after) = after
            .trim_start()
            .split_once(char::is_whitespace)
            .ok_or_else(|| "incomplete comparison".to_owned())?;
        if !op.eq_ignore_ascii_case("eq") {
            return Err(format!("unsupported operator '{op}'"));
        }
        let (value, after) = quoted(after.trim_start())?;
        wanted.push((attr, value));
        rest = after.trim_start();
        if rest.is_empty() {
            return Ok(wanted);
        }
        let (and, after) = rest
            .split_once(char::is_whitespace)
            .ok_or_else(|| format!("unexpected '{rest}'"))?;
        if !and.eq_ignore_ascii_case("and") {
            return Err(format!("unsupported operator '{and}'"));
        }
        rest = after.trim_start();
    }
}

/// A double-quoted string with `\"` and `\\` escapes, and what follows it.
fn quoted(s: &str) -> Result<(String, &str), String> {
    let body = s
        .strip_prefix('"')
        .ok_or_else(|| format!("expected a quoted value at '{s}'"))?;
    let mut value = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((value, &body[i + 1..])),
            '\\' => value.push(chars.next().ok_or("unterminated value")?.1),
            c => value.push(c),
        }
    }
    Err("unterminated value".to_owned())
}

/// `DELETE /Users/:guid`.
pub async fn delete(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(guid): Path<String>,
) -> Result<Json<Value>, UaaError> {
    admin(&state, &headers)?;
    let (key, entry) = state
        .users
        .change(&state.kube.own(), |entries: &mut Entries| {
            let key = entries
                .iter()
                .find(|(_, e)| !e.client && e.guid == guid)
                .map(|(k, _)| k.clone())
                .ok_or_else(|| not_found(&guid))?;
            let entry = entries.remove(&key).ok_or_else(|| not_found(&guid))?;
            Ok((key, entry))
        })
        .await
        .map_err(change_failed)?;
    let user = entry.as_user(&key);
    state.lockout.clear(&user.name);
    Ok(Json(scim_user(&user)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PasswordChange {
    old_password: Option<String>,
    password: Option<String>,
}

/// `PUT /Users/:guid/password`: a user changes their own password (giving the old one); an
/// admin may set another user's. The new password's stamp ends the user's refresh tokens.
pub async fn change_password(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(guid): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, UaaError> {
    password(&state, &headers, &guid, &body).await?;
    Ok(Json(
        json!({ "status": "ok", "message": "password updated" }),
    ))
}

async fn password(
    state: &AppState,
    headers: &HeaderMap,
    guid: &str,
    body: &[u8],
) -> Result<(), UaaError> {
    let caller = caller(state, headers)?;
    let own = caller.guid() == guid;
    if !own && !caller.is_admin() {
        return Err(uaa_error(
            StatusCode::FORBIDDEN,
            "access_denied",
            "Not permitted to change another user's password",
        ));
    }
    let req: PasswordChange = serde_json::from_slice(body)
        .map_err(|e| uaa_error(StatusCode::BAD_REQUEST, "invalid_request", &e.to_string()))?;
    let user = state
        .users
        .accounts()
        .into_iter()
        .find(|u| u.guid == guid && u.origin == "uaa")
        .ok_or_else(|| not_found(guid))?;
    let new = req.password.unwrap_or_default();
    let old = req.old_password;
    let current = user.password_hash.clone();
    let checked = {
        let new = new.clone();
        tokio::task::spawn_blocking(move || {
            let old_ok = old.as_deref().map(|old| verify(old, &current));
            (old_ok, verify(&new, &current))
        })
    };
    let (old_ok, same) = checked.await.unwrap_or((Some(false), false));
    // Your own password needs the old one; an admin setting another's does not.
    if (own || old_ok.is_some()) && old_ok != Some(true) {
        return Err(uaa_error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Old password is incorrect",
        ));
    }
    if same {
        return Err(invalid_password(
            "Your new password cannot be the same as the old password.",
        ));
    }
    refuse_policy(&state.config.password_policy, &new)?;
    let new_hash = hash(new).await?;
    state
        .users
        .change(&state.kube.own(), |entries: &mut Entries| {
            let entry = entries
                .values_mut()
                .find(|e| !e.client && e.guid == guid)
                .ok_or_else(|| not_found(guid))?;
            entry.password_hash = new_hash.clone();
            Ok(())
        })
        .await
        .map_err(change_failed)
}

/// `GET /oauth/clients/:id`: a client, for `cf set-org-role CLIENT ... --client`, which checks
/// that the client exists before it gives it a role (admins only, as UAA's `clients.read`).
pub async fn client(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, UaaError> {
    admin(&state, &headers)?;
    let client = state.users.client(&id).ok_or_else(|| {
        uaa_error(
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("No client with requested id: {id}"),
        )
    })?;
    Ok(Json(json!({
        "client_id": client.id,
        "authorities": client.authorities,
        "authorized_grant_types": ["client_credentials"],
        "scope": ["uaa.none"],
        "resource_ids": ["none"],
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_as_the_cli_sends_them() {
        assert_eq!(
            parse_filter(r#"userName eq "bob@example.com" and origin eq "uaa""#).unwrap(),
            [
                (Attr::UserName, "bob@example.com".to_owned()),
                (Attr::Origin, "uaa".to_owned())
            ]
        );
        assert_eq!(
            parse_filter(r#"ID EQ "a \"b\" c""#).unwrap(),
            [(Attr::Id, r#"a "b" c"#.to_owned())]
        );
        for bad in [
            "",
            "userName",
            r#"userName co "b""#,
            r#"email eq "b""#,
            r#"userName eq b"#,
            r#"userName eq "b"#,
            r#"userName eq "b" or origin eq "uaa""#,
            r#"userName eq "b" and"#,
        ] {
            assert!(parse_filter(bad).is_err(), "{bad} accepted");
        }
    }
}
