//! The UAA endpoints the cf CLI needs to log in: `GET /login` (prompts), `POST /oauth/token`
//! (password, refresh_token and client_credentials grants) and `GET /token_keys`; and the SCIM
//! user endpoints of `cf create-user`, `delete-user` and `passwd` ([`scim`]). Errors use UAA's
//! shape, `{"error","error_description"}`, which the CLI decodes ("Bad credentials" becomes
//! "Credentials were rejected, please try again.").

pub mod scim;

use crate::{
    auth::{
        OauthClient, User,
        passwords::{LOCKED, stamp},
        tokens::CF_CLIENT,
    },
    state::AppState,
};
use axum::{
    Form, Json,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::Engine;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

pub async fn login() -> Json<serde_json::Value> {
    // Only username and password: any other non-password prompt the CLI would ask for.
    Json(json!({
        "app": { "version": "4.30.0" },
        "prompts": { "username": ["text", "Email"], "password": ["password", "Password"] },
        "zone_name": "uaa",
    }))
}

pub async fn token_keys(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    Json(state.tokens.jwks())
}

/// An error in UAA's shape.
#[derive(Debug)]
pub struct UaaError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

impl IntoResponse for UaaError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.error, "error_description": self.description });
        (self.status, Json(body)).into_response()
    }
}

pub fn uaa_error(status: StatusCode, error: &'static str, description: &str) -> UaaError {
    UaaError {
        status,
        error,
        description: description.to_owned(),
    }
}

#[derive(Deserialize)]
pub struct TokenRequest {
    grant_type: String,
    username: Option<String>,
    password: Option<String>,
    refresh_token: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// The `id:secret` pair of an HTTP Basic `Authorization` header: `None` without one,
/// `Some(None)` for one that is not Basic or not readable.
fn basic_auth(headers: &HeaderMap) -> Option<Option<(String, String)>> {
    let value = headers.get(header::AUTHORIZATION)?;
    let pair = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Basic ")
                .or_else(|| v.strip_prefix("basic "))
        })
        .and_then(|encoded| {
            base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .ok()
        })
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|pair| {
            let (id, secret) = pair.split_once(':')?;
            Some((id.to_owned(), secret.to_owned()))
        });
    Some(pair)
}

/// For the user grants, the client must be `cf` with an empty secret (HTTP Basic `cf:`), or
/// named in the form.
fn client_ok(headers: &HeaderMap) -> bool {
    match basic_auth(headers) {
        None => true,
        Some(pair) => pair.is_some_and(|(id, secret)| id == CF_CLIENT && secret.is_empty()),
    }
}

fn bad_credentials() -> UaaError {
    uaa_error(StatusCode::UNAUTHORIZED, "unauthorized", "Bad credentials")
}

fn invalid_refresh_token() -> UaaError {
    uaa_error(
        StatusCode::UNAUTHORIZED,
        "invalid_token",
        "The token expired, was revoked, or the token ID is incorrect.",
    )
}

/// Why a password grant failed.
enum Refused {
    /// No such user: nothing to lock.
    Unknown,
    /// A user's wrong password: one more failure towards a lockout.
    WrongPassword,
}

/// The password grant: the user if the password is theirs and they are not locked out.
async fn password_grant(
    state: &Arc<AppState>,
    name: String,
    password: String,
) -> Result<User, UaaError> {
    if state.lockout.locked(&name) {
        return Err(uaa_error(StatusCode::UNAUTHORIZED, "unauthorized", LOCKED));
    }
    let users = state.users.clone();
    let login = name.clone();
    // bcrypt is deliberately slow: keep it off the async workers.
    let found = tokio::task::spawn_blocking(move || match users.authenticate(&login, &password) {
        Some(user) => Ok(user),
        None if users.by_name(&login).is_some() => Err(Refused::WrongPassword),
        None => Err(Refused::Unknown),
    })
    .await
    .unwrap_or(Err(Refused::Unknown));
    match found {
        Ok(user) => {
            state.lockout.clear(&name);
            Ok(user)
        }
        Err(Refused::WrongPassword) => {
            state.lockout.failed(&name);
            Err(bad_credentials())
        }
        Err(Refused::Unknown) => Err(bad_credentials()),
    }
}

/// The refresh grant: the token's user, if they still exist and their password has not
/// changed since the token was issued.
fn refresh_grant(state: &AppState, token: Option<&str>) -> Result<User, UaaError> {
    let claims = token
        .and_then(|t| state.tokens.verify(t, "refresh").ok())
        .ok_or_else(invalid_refresh_token)?;
    // A user removed since the token was issued cannot refresh it.
    let user = state
        .users
        .by_guid(&claims.user_id)
        .ok_or_else(invalid_refresh_token)?;
    if !claims.password_stamp.is_empty() && claims.password_stamp != stamp(&user.password_hash) {
        return Err(invalid_refresh_token());
    }
    Ok(user)
}

/// The client_credentials grant: the client, from the form (as the cf CLI sends it) or HTTP
/// Basic, if the secret is its own.
async fn client_grant(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    req: &TokenRequest,
) -> Result<OauthClient, UaaError> {
    let (id, secret) = match (basic_auth(headers), &req.client_id) {
        (Some(Some(pair)), _) => pair,
        (None, Some(id)) => (id.clone(), req.client_secret.clone().unwrap_or_default()),
        _ => return Err(bad_credentials()),
    };
    let client = state.users.client(&id).ok_or_else(bad_credentials)?;
    let hash = client.secret_hash.clone();
    let ok = tokio::task::spawn_blocking(move || crate::auth::users::verify(&secret, &hash))
        .await
        .unwrap_or(false);
    ok.then_some(client).ok_or_else(bad_credentials)
}

pub async fn token(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    form: Result<Form<TokenRequest>, axum::extract::rejection::FormRejection>,
) -> Result<Json<serde_json::Value>, UaaError> {
    let Ok(Form(req)) = form else {
        return Err(uaa_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing grant type",
        ));
    };
    let user = match req.grant_type.as_str() {
        "password" | "refresh_token" if !client_ok(&headers) => return Err(bad_credentials()),
        "password" => {
            let (Some(name), Some(password)) = (req.username, req.password) else {
                return Err(bad_credentials());
            };
            password_grant(&state, name, password).await?
        }
        "refresh_token" => refresh_grant(&state, req.refresh_token.as_deref())?,
        "client_credentials" => {
            let client = client_grant(&state, &headers, &req).await?;
            let (access, claims) = state.tokens.issue_client(&client).map_err(issue_failed)?;
            // No refresh token, as UAA's answer for this grant.
            return Ok(Json(json!({
                "access_token": access,
                "token_type": "bearer",
                "expires_in": state.tokens.access_ttl(),
                "scope": claims.scope.join(" "),
                "jti": claims.jti,
            })));
        }
        other => {
            return Err(uaa_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                &format!("Unsupported grant type: {other}"),
            ));
        }
    };
    let (access, refresh, claims) = state
        .tokens
        .issue(&user, &req.grant_type)
        .map_err(issue_failed)?;
    Ok(Json(json!({
        "access_token": access,
        "token_type": "bearer",
        "refresh_token": refresh,
        "expires_in": state.tokens.access_ttl(),
        "scope": claims.scope.join(" "),
        "jti": claims.jti,
    })))
}

fn issue_failed(e: crate::auth::tokens::TokenError) -> UaaError {
    tracing::error!(error = %e, "failed to issue token");
    uaa_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "server_error",
        "failed to issue token",
    )
}
