//! Access and refresh tokens: ES256 JWTs with the claims the cf CLI decodes.
//!
//! The CLI never verifies the signature, but it parses every token (three unpadded base64url
//! parts, a known `alg`, a numeric `exp`) and refreshes one that expires within 60 s; if
//! `user_name` is present, `user_id` and `origin` must be strings too. ES256 keeps
//! `/token_keys` publishable (a public JWK) where HS256 would have to hide its key.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use p256::{
    SecretKey,
    pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding},
};
use serde::{Deserialize, Serialize};
use std::time::{SystemTime, UNIX_EPOCH};

/// The OAuth client the cf CLI authenticates as.
pub const CF_CLIENT: &str = "cf";
/// The scope that makes a user a CF admin.
pub const ADMIN_SCOPE: &str = "cloud_controller.admin";
const KEY_ID: &str = "smelter-key-1";

/// What a token says about its bearer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Claims {
    pub jti: String,
    pub sub: String,
    /// A client's token (`client_credentials`) has no user: the CLI tells the two apart by
    /// whether `user_name` is there at all.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub user_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub user_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub email: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub origin: String,
    pub client_id: String,
    pub cid: String,
    pub grant_type: String,
    pub scope: Vec<String>,
    pub aud: Vec<String>,
    pub iss: String,
    pub zid: String,
    pub iat: u64,
    pub exp: u64,
    pub revocable: bool,
    /// `access` or `refresh`: a refresh token must never work as an access token.
    #[serde(rename = "smelter:kind")]
    pub kind: String,
    /// The user's password when the token was issued, as a [`super::passwords::stamp`]: a
    /// refresh token stops working when the password changes.
    #[serde(
        rename = "smelter:pwd",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub password_stamp: String,
}

impl Claims {
    /// Whether the bearer is a CF admin.
    pub fn is_admin(&self) -> bool {
        self.scope.iter().any(|s| s == ADMIN_SCOPE)
    }
}

/// Why a token was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("failed to verify token")]
    Invalid(#[source] jsonwebtoken::errors::Error),
    #[error("token is a {0} token")]
    WrongKind(String),
    #[error("failed to sign token")]
    Sign(#[source] jsonwebtoken::errors::Error),
    #[error("signing key is not a PKCS#8 P-256 key")]
    Key,
}

/// Signs and verifies Smelter's tokens with one P-256 key.
pub struct TokenIssuer {
    encoding: EncodingKey,
    decoding: DecodingKey,
    public_jwk: serde_json::Value,
    issuer: String,
    access_ttl: u64,
    refresh_ttl: u64,
    verified: std::sync::Mutex<std::collections::HashMap<String, Claims>>,
}

/// How many verified tokens are remembered.
const VERIFIED_CACHE_SIZE: usize = 4096;

/// A freshly generated P-256 key as PKCS#8 PEM, for the signing-key Secret.
pub fn generate_key_pem() -> Result<String, TokenError> {
    loop {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|_| TokenError::Key)?;
        // Almost every 32-byte string is a valid scalar; the loop only guards the rare rest.
        if let Ok(key) = SecretKey::from_slice(&bytes) {
            return key
                .to_pkcs8_pem(LineEnding::LF)
                .map(|pem| pem.to_string())
                .map_err(|_| TokenError::Key);
        }
    }
}

impl TokenIssuer {
    /// An issuer for `issuer` (the token endpoint URL) from a PKCS#8 PEM P-256 key.
    pub fn new(
        pem: &str,
        issuer: String,
        access_ttl: u64,
        refresh_ttl: u64,
    ) -> Result<Self, TokenError> {
        let secret = SecretKey::from_pkcs8_pem(pem).map_err(|_| TokenError::Key)?;
        let public_pem =
            p256::pkcs8::EncodePublicKey::to_public_key_pem(&secret.public_key(), LineEnding::LF)
                .map_err(|_| TokenError::Key)?;
        let mut jwk: serde_json::Value = serde_json::from_str(&secret.public_key().to_jwk_string())
            .map_err(|_| TokenError::Key)?;
        jwk["kid"] = KEY_ID.into();
        jwk["alg"] = "ES256".into();
        jwk["use"] = "sig".into();
        Ok(Self {
            encoding: EncodingKey::from_ec_pem(pem.as_bytes()).map_err(TokenError::Sign)?,
            decoding: DecodingKey::from_ec_pem(public_pem.as_bytes())
                .map_err(TokenError::Invalid)?,
            public_jwk: jwk,
            issuer,
            access_ttl,
            refresh_ttl,
            verified: Default::default(),
        })
    }

    /// `GET /token_keys`: the public key as a JWK set.
    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({ "keys": [self.public_jwk] })
    }

    /// Seconds an access token lives.
    pub fn access_ttl(&self) -> u64 {
        self.access_ttl
    }

    /// Issues an access token and a refresh token for `user`.
    pub fn issue(
        &self,
        user: &super::User,
        grant_type: &str,
    ) -> Result<(String, String, Claims), TokenError> {
        let mut scope = vec![
            "openid".to_owned(),
            "cloud_controller.read".to_owned(),
            "cloud_controller.write".to_owned(),
            "uaa.user".to_owned(),
        ];
        if user.admin {
            scope.push(ADMIN_SCOPE.to_owned());
        }
        let access = Claims {
            sub: user.guid.clone(),
            user_id: user.guid.clone(),
            user_name: user.name.clone(),
            email: user.name.clone(),
            origin: user.origin.clone(),
            password_stamp: super::passwords::stamp(&user.password_hash),
            ..self.claims(CF_CLIENT, grant_type, scope)
        };
        let refresh = Claims {
            jti: format!("{}-r", access.jti),
            exp: access.iat + self.refresh_ttl,
            kind: "refresh".to_owned(),
            ..access.clone()
        };
        Ok((self.sign(&access)?, self.sign(&refresh)?, access))
    }

    /// Issues an access token for `client` (the `client_credentials` grant: no refresh token,
    /// as UAA; the CLI asks for a new token with the client's secret instead). Its scopes are
    /// the client's authorities, so a client with `cloud_controller.admin` is an admin.
    pub fn issue_client(
        &self,
        client: &super::OauthClient,
    ) -> Result<(String, Claims), TokenError> {
        let claims = Claims {
            sub: client.id.clone(),
            ..self.claims(&client.id, "client_credentials", client.authorities.clone())
        };
        Ok((self.sign(&claims)?, claims))
    }

    /// An access token's claims for `client`, without a user.
    fn claims(&self, client: &str, grant_type: &str, scope: Vec<String>) -> Claims {
        let now = now();
        Claims {
            jti: uuid::Uuid::new_v4().simple().to_string(),
            sub: String::new(),
            user_id: String::new(),
            user_name: String::new(),
            email: String::new(),
            origin: String::new(),
            client_id: client.to_owned(),
            cid: client.to_owned(),
            grant_type: grant_type.to_owned(),
            scope,
            aud: vec!["cloud_controller".to_owned(), "openid".to_owned()],
            iss: self.issuer.clone(),
            zid: "uaa".to_owned(),
            iat: now,
            exp: now + self.access_ttl,
            revocable: false,
            kind: "access".to_owned(),
            password_stamp: String::new(),
        }
    }

    fn sign(&self, claims: &Claims) -> Result<String, TokenError> {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(KEY_ID.to_owned());
        jsonwebtoken::encode(&header, claims, &self.encoding).map_err(TokenError::Sign)
    }

    /// Verifies signature, issuer and expiry, and that the token is of `kind`.
    ///
    /// A token verified once is remembered until it expires: a client sends the same token with
    /// every request, and an ECDSA verification costs more than the rest of a small read.
    pub fn verify(&self, token: &str, kind: &str) -> Result<Claims, TokenError> {
        if let Ok(cache) = self.verified.lock()
            && let Some(claims) = cache.get(token)
            && claims.kind == kind
            && claims.exp > now()
        {
            return Ok(claims.clone());
        }
        let claims = self.verify_signature(token, kind)?;
        if let Ok(mut cache) = self.verified.lock() {
            // A bounded memory: when full, start over rather than track ages.
            if cache.len() >= VERIFIED_CACHE_SIZE {
                cache.clear();
            }
            cache.insert(token.to_owned(), claims.clone());
        }
        Ok(claims)
    }

    fn verify_signature(&self, token: &str, kind: &str) -> Result<Claims, TokenError> {
        let mut validation = Validation::new(Algorithm::ES256);
        validation.set_issuer(&[&self.issuer]);
        validation.validate_aud = false;
        validation.leeway = 0;
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(TokenError::Invalid)?
            .claims;
        if claims.kind != kind {
            return Err(TokenError::WrongKind(claims.kind));
        }
        Ok(claims)
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn user(admin: bool) -> crate::auth::User {
        crate::auth::User {
            guid: "u-1".into(),
            name: "alice".into(),
            origin: "uaa".into(),
            admin,
            password_hash: String::new(),
            registered: true,
        }
    }

    fn issuer(access_ttl: u64) -> TokenIssuer {
        TokenIssuer::new(
            &generate_key_pem().unwrap(),
            "http://api/oauth/token".into(),
            access_ttl,
            3600,
        )
        .unwrap()
    }

    #[test]
    fn tokens_have_the_shape_the_cf_cli_parses() {
        let (access, _, _) = issuer(600).issue(&user(true), "password").unwrap();
        let parts: Vec<&str> = access.split('.').collect();
        assert_eq!(parts.len(), 3);
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header: serde_json::Value =
            serde_json::from_slice(&engine.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["alg"], "ES256");
        let body: serde_json::Value =
            serde_json::from_slice(&engine.decode(parts[1]).unwrap()).unwrap();
        for claim in ["user_id", "user_name", "origin", "client_id", "jti"] {
            assert!(body[claim].is_string(), "{claim} missing: {body}");
        }
        assert!(
            body["exp"].is_u64()
                && body["scope"]
                    .as_array()
                    .unwrap()
                    .contains(&ADMIN_SCOPE.into())
        );
    }

    #[test]
    fn verify_accepts_own_tokens_and_refuses_others() {
        let i = issuer(600);
        let (access, refresh, claims) = i.issue(&user(false), "password").unwrap();
        assert_eq!(i.verify(&access, "access").unwrap(), claims);
        assert!(!claims.is_admin());
        assert!(matches!(
            i.verify(&refresh, "access"),
            Err(TokenError::WrongKind(_))
        ));
        assert!(i.verify(&refresh, "refresh").is_ok());
        let other = issuer(600);
        assert!(
            other.verify(&access, "access").is_err(),
            "token of another key accepted"
        );
        let mut forged = access.clone();
        forged.pop();
        assert!(i.verify(&forged, "access").is_err());
    }

    #[test]
    fn client_tokens_carry_no_user_and_the_clients_authorities() {
        let client = crate::auth::OauthClient {
            id: "ci".into(),
            secret_hash: String::new(),
            authorities: vec![ADMIN_SCOPE.into()],
        };
        let i = issuer(600);
        let (access, claims) = i.issue_client(&client).unwrap();
        assert!(claims.is_admin() && claims.grant_type == "client_credentials");
        let body = access.split('.').nth(1).unwrap();
        let body: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(body)
                .unwrap(),
        )
        .unwrap();
        // The CLI reads a token without `user_name` as a client's.
        assert!(body.get("user_name").is_none() && body.get("user_id").is_none());
        assert_eq!(
            (body["client_id"].as_str(), body["sub"].as_str()),
            (Some("ci"), Some("ci"))
        );
        assert_eq!(i.verify(&access, "access").unwrap(), claims);
    }

    #[test]
    fn expired_tokens_are_refused() {
        let i = issuer(0);
        let (access, _, _) = i.issue(&user(false), "password").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert!(i.verify(&access, "access").is_err());
    }
}
