//! The UAA endpoints the cf CLI needs to log in: `GET /login` (prompts), `POST /oauth/token`
//! (password and refresh_token grants) and `GET /token_keys`. Errors use UAA's shape,
//! `{"error","error_description"}`, which the CLI decodes ("Bad credentials" becomes
//! "Credentials were rejected, please try again.").

use crate::{auth::tokens::CF_CLIENT, state::AppState};
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

fn uaa_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct TokenRequest {
    grant_type: String,
    username: Option<String>,
    password: Option<String>,
    refresh_token: Option<String>,
}

/// The client must be `cf` with an empty secret (HTTP Basic `cf:`), or named in the form.
fn client_ok(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return true;
    };
    let Some(encoded) = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))
    else {
        return false;
    };
    base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|raw| String::from_utf8(raw).ok())
        .is_some_and(|pair| pair == format!("{CF_CLIENT}:"))
}

pub async fn token(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    form: Result<Form<TokenRequest>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(req)) = form else {
        return uaa_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing grant type",
        );
    };
    if !client_ok(&headers) {
        return uaa_error(StatusCode::UNAUTHORIZED, "unauthorized", "Bad credentials");
    }
    let user = match req.grant_type.as_str() {
        "password" => {
            let (Some(name), Some(password)) = (req.username, req.password) else {
                return uaa_error(StatusCode::UNAUTHORIZED, "unauthorized", "Bad credentials");
            };
            let users = state.users.clone();
            // bcrypt is deliberately slow: keep it off the async workers.
            let found = tokio::task::spawn_blocking(move || users.authenticate(&name, &password))
                .await
                .ok()
                .flatten();
            match found {
                Some(user) => user,
                None => {
                    return uaa_error(StatusCode::UNAUTHORIZED, "unauthorized", "Bad credentials");
                }
            }
        }
        "refresh_token" => {
            let claims = req
                .refresh_token
                .as_deref()
                .and_then(|t| state.tokens.verify(t, "refresh").ok());
            // A user removed since the token was issued cannot refresh it.
            match claims.and_then(|c| state.users.by_guid(&c.user_id)) {
                Some(user) => user,
                None => {
                    return uaa_error(
                        StatusCode::UNAUTHORIZED,
                        "invalid_token",
                        "The token expired, was revoked, or the token ID is incorrect.",
                    );
                }
            }
        }
        other => {
            return uaa_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                &format!("Unsupported grant type: {other}"),
            );
        }
    };
    match state.tokens.issue(&user, &req.grant_type) {
        Ok((access, refresh, claims)) => Json(json!({
            "access_token": access,
            "token_type": "bearer",
            "refresh_token": refresh,
            "expires_in": state.tokens.access_ttl(),
            "scope": claims.scope.join(" "),
            "jti": claims.jti,
        }))
        .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "failed to issue token");
            uaa_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "failed to issue token",
            )
        }
    }
}
