//! Request bodies: CC's messages. A message is the JSON a request may carry (its keys, typed),
//! with pure checks of its values in CC's words; [`Body`] reads one, so a handler only ever sees
//! a message that passed. Malformed JSON is a 400 `CF-MessageParseError`; unknown keys, wrong
//! types and refused values are a 422 `CF-UnprocessableEntity` listing every problem, as CC
//! joins them. A body over the limit is read to its end and refused with a CF error, so a proxy
//! in front sees an answer, not a closed connection.

use crate::http::errors::{ApiError, ApiResult};
use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
};
use futures::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeMap;

/// The largest JSON body accepted: what the nginx in front of CC accepts
/// (`cc.client_max_body_size`).
pub const MAX_JSON_BYTES: usize = 15 << 20;
/// How much of a body over a limit is read (and dropped) before the refusal is sent; past
/// that, the connection is closed with the answer.
const MAX_DRAINED_BYTES: usize = 256 << 20;

/// A request body CC accepts at one endpoint.
pub trait Message: DeserializeOwned + Send {
    /// The keys it may have at the top level: its fields, as serde names them (any other is
    /// refused by name). A key CC accepts and Smelter ignores is a field of type
    /// [`serde::de::IgnoredAny`], so the struct stays the one list of what may be sent.
    fn keys() -> &'static [&'static str] {
        serde_aux::serde_introspection::serde_introspect::<Self>()
    }

    /// Whether keys outside [`Message::keys`] are let through unread rather than refused: CC's
    /// messages refuse them (`NoAdditionalKeysValidator`), all but a few.
    const IGNORES_UNKNOWN_KEYS: bool = false;

    /// CC's checks of the values, each refusal in CC's words.
    fn validate(&self) -> Result<(), Vec<String>> {
        Ok(())
    }

    /// A test's shortcut: parses and checks `body`, with the refusals as texts.
    #[cfg(test)]
    fn check(body: &str) -> Result<(), Vec<String>> {
        let message: Self = parse::<Self>(body.as_bytes()).map_err(|e| vec![e.detail])?;
        message.validate()
    }

    /// A test's shortcut: parses `body`, which must be well-formed.
    #[cfg(test)]
    fn sample(body: &str) -> Self {
        match parse::<Self>(body.as_bytes()) {
            Ok(message) => message,
            Err(e) => panic!("{body}: {}", e.detail),
        }
    }

    /// Parses and checks a body already read (for handlers that must refuse a caller before
    /// they look at what was sent, as CC's admin-only endpoints do).
    fn from_body(bytes: &[u8]) -> ApiResult<Self> {
        let message: Self = parse::<Self>(bytes)?;
        message
            .validate()
            .map_err(|problems| ApiError::unprocessable(problems.join(", ")))?;
        Ok(message)
    }
}

/// A message read from the request body and checked.
pub struct Body<M>(pub M);

impl<S: Send + Sync, M: Message> FromRequest<S> for Body<M> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let bytes = read(req.into_body(), MAX_JSON_BYTES).await?;
        M::from_body(&bytes).map(Self)
    }
}

/// A JSON body read but not yet parsed: [`Message::from_body`] it once the caller may ask.
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        read(req.into_body(), MAX_JSON_BYTES).await.map(Self)
    }
}

/// Reads a body of at most `limit` bytes. A longer one is drained (up to a bound) and
/// refused with 413: answering before the body is read would close the connection under
/// the client, and a proxy in front would report a 502 instead of this answer.
pub async fn read(body: axum::body::Body, limit: usize) -> ApiResult<Bytes> {
    let mut stream = body.into_data_stream();
    let mut buf = Vec::new();
    let mut seen = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|e| ApiError::message_parse(format!("the body could not be read: {e}")))?;
        seen = seen.saturating_add(chunk.len());
        if seen <= limit {
            buf.extend_from_slice(&chunk);
        } else {
            buf = Vec::new();
            if seen > MAX_DRAINED_BYTES {
                break;
            }
        }
    }
    if seen > limit {
        return Err(ApiError::too_large(limit));
    }
    Ok(Bytes::from(buf))
}

/// Parses a JSON body into the message `M`, refusing unknown keys the way CC does.
pub fn parse<M: Message>(bytes: &[u8]) -> ApiResult<M> {
    parse_with(bytes, (!M::IGNORES_UNKNOWN_KEYS).then(M::keys))
}

/// Parses a JSON object body into `T`, refusing keys outside `allowed` (if given).
fn parse_with<T: DeserializeOwned>(bytes: &[u8], allowed: Option<&[&str]>) -> ApiResult<T> {
    let value: Value = if bytes.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Default::default())
    } else {
        // CC does not say where the JSON broke.
        serde_json::from_slice(bytes)
            .map_err(|_| ApiError::message_parse("invalid request body"))?
    };
    // Rails gives CC a body that is not an object as the one key `_json`.
    let map = match value {
        Value::Object(map) => map,
        other => [("_json".to_owned(), other)].into_iter().collect(),
    };
    let unknown: Vec<&str> = map
        .keys()
        .map(String::as_str)
        .filter(|k| allowed.is_some_and(|a| !a.contains(k)))
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::unprocessable(format!(
            "Unknown field(s): '{}'",
            unknown.join("', '")
        )));
    }
    serde_path_to_error::deserialize(Value::Object(map)).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        // serde says "invalid type: integer `1`, expected a string"; CC says "Name must be a string".
        let detail = match inner.split_once(", expected ") {
            Some((_, expected)) if inner.starts_with("invalid type") => {
                format!(
                    "{} must be {}",
                    capitalize(&path),
                    expected.split(" at line").next().unwrap_or(expected)
                )
            }
            _ => format!(
                "{}: {}",
                capitalize(&path),
                inner.split(" at line").next().unwrap_or(&inner)
            ),
        };
        ApiError::unprocessable(detail)
    })
}

/// A field's name as CC's texts give it (Rails' `humanize`): `custom_error_message` is
/// "Custom error message".
fn capitalize(path: &str) -> String {
    let path = path.replace('_', " ");
    let mut chars = path.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => "Body".to_owned(),
    }
}

/// Tells a field sent as `null` (`Some(None)`) from one not sent (`None`), with
/// `#[serde(default, deserialize_with = "sent")]`.
pub fn sent<'de, D: serde::Deserializer<'de>, T: serde::Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// CF's `metadata` in requests: labels and annotations, where a `null` value deletes the key.
#[derive(Debug, Default, Clone, serde::Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MetadataRequest {
    #[serde(default)]
    pub labels: BTreeMap<String, Option<String>>,
    #[serde(default)]
    pub annotations: BTreeMap<String, Option<String>>,
}

/// `{"data": {"guid": "..."}}`, CF's to-one relationship in a request.
#[derive(Debug, Clone, serde::Deserialize, PartialEq)]
pub struct Related {
    pub data: GuidRef,
}

/// `{"guid": "..."}`.
#[derive(Debug, Clone, serde::Deserialize, PartialEq)]
pub struct GuidRef {
    pub guid: String,
}

/// Applies request metadata onto an object's labels and annotations (null removes a key).
pub fn apply_metadata(
    meta: &mut k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    req: Option<&MetadataRequest>,
) {
    let Some(req) = req else { return };
    fn merge(
        target: &mut Option<BTreeMap<String, String>>,
        changes: &BTreeMap<String, Option<String>>,
    ) {
        let map = target.get_or_insert_with(BTreeMap::new);
        for (k, v) in changes {
            match v {
                Some(v) => map.insert(k.clone(), v.clone()),
                None => map.remove(k),
            };
        }
    }
    merge(&mut meta.labels, &req.labels);
    merge(&mut meta.annotations, &req.annotations);
}

/// A `PATCH` that renames a resource (by CC's name rule) and changes its metadata: CC's
/// space update, and the heart of its organization update.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Rename {
    pub name: Option<String>,
    pub metadata: Option<MetadataRequest>,
}

impl Message for Rename {
    fn validate(&self) -> Result<(), Vec<String>> {
        self.name
            .as_deref()
            .map_or(Ok(()), |n| check_new_name(n).map(drop))
    }
}

/// The problems a message's checks found, as [`Message::validate`] returns them.
pub fn verdict(problems: Vec<String>) -> Result<(), Vec<String>> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// CC's longest name of an org, space, app or service instance.
pub const MAX_NAME: usize = 255;

/// CC's name rule for orgs and spaces (`ORG_NAME_REGEX`): not blank, no control characters,
/// at most 255 characters; surrounding white space is dropped, as CC's model strips it.
pub fn check_name(name: &str) -> Result<&str, Vec<String>> {
    let name = name.trim();
    let mut problems = Vec::new();
    if name.is_empty() {
        problems.push("Name can't be blank".to_owned());
    }
    if name.chars().any(char::is_control) {
        problems.push("Name must not contain escaped characters".to_owned());
    }
    if name.chars().count() > MAX_NAME {
        problems.push(format!(
            "Name is too long (maximum is {MAX_NAME} characters)"
        ));
    }
    if problems.is_empty() {
        Ok(name)
    } else {
        Err(problems)
    }
}

/// CC's checks of a new name for an org or a space (`PATCH`): its update messages allow an
/// empty name through to the model only as CC's length check lets it, and blanks through to
/// the model, which strips them and refuses what is left in Sequel's words.
pub fn check_new_name(name: &str) -> Result<&str, Vec<String>> {
    if name.is_empty() {
        return Err(vec![
            "Name is too short (minimum is 1 character)".to_owned(),
            "Name must not contain escaped characters".to_owned(),
        ]);
    }
    match check_name(name) {
        Err(problems) if name.trim().is_empty() && problems.len() == 1 => {
            Err(vec!["name presence, name format".to_owned()])
        }
        checked => checked,
    }
}

/// [`check_name`] as a 422, for handlers.
pub fn valid_name(name: &str) -> ApiResult<&str> {
    check_name(name).map_err(|p| ApiError::unprocessable(p.join(", ")))
}

/// A to-many relationship request, `{"data": [{"guid": ...}, ...]}`, checked as CC's
/// `ToManyRelationshipMessage` (setting a quota's orgs, a security group's spaces).
#[derive(Debug, serde::Deserialize)]
pub struct ToManyRequest {
    #[serde(default)]
    data: Value,
}

impl Message for ToManyRequest {
    fn validate(&self) -> Result<(), Vec<String>> {
        match &self.data {
            Value::Null => Err(vec!["Data can't be blank".to_owned()]),
            Value::Array(items) if items.is_empty() => Err(vec!["Data can't be blank".to_owned()]),
            Value::Array(items) => verdict(
                items
                    .iter()
                    .enumerate()
                    .filter(|(_, item)| !item.get("guid").is_some_and(Value::is_string))
                    .map(|(i, _)| format!("Invalid data type: Data[{i}] guid should be a string."))
                    .collect(),
            ),
            _ => Err(vec!["Data must be an array".to_owned()]),
        }
    }
}

impl ToManyRequest {
    /// The GUIDs named, each once, in order.
    pub fn guids(&self) -> Vec<String> {
        let mut guids: Vec<String> = Vec::new();
        for item in self.data.as_array().into_iter().flatten() {
            if let Some(g) = item.get("guid").and_then(Value::as_str)
                && !guids.iter().any(|seen| seen == g)
            {
                guids.push(g.to_owned());
            }
        }
        guids
    }
}

/// A to-one relationship request, `{"data": {"guid": ...}}` or `{"data": null}` to clear it,
/// checked as CC's `OrgDefaultIsoSegUpdateMessage` and `SpaceUpdateIsolationSegmentMessage`.
#[derive(Debug, serde::Deserialize)]
pub struct ToOneRequest {
    #[serde(default)]
    data: Option<Value>,
}

impl Message for ToOneRequest {
    fn validate(&self) -> Result<(), Vec<String>> {
        let Some(data) = &self.data else {
            return Ok(());
        };
        let Value::Object(map) = data else {
            return Err(vec!["Data must be an object".to_owned()]);
        };
        let problem = match map.len() {
            0 => "Data can't be blank".to_owned(),
            1 => match map.get("guid") {
                None => "Data can only accept key 'guid'".to_owned(),
                Some(Value::String(_)) => return Ok(()),
                Some(other) => format!("Data {other} must be a string"),
            },
            _ => "Data can only accept one key".to_owned(),
        };
        Err(vec![problem])
    }
}

impl ToOneRequest {
    /// The GUID named; none clears the relationship.
    pub fn guid(&self) -> Option<&str> {
        self.data.as_ref()?.get("guid")?.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    struct Org {
        name: String,
        #[serde(default)]
        #[allow(dead_code)]
        suspended: bool,
    }

    #[test]
    fn names_follow_cc() {
        assert_eq!(check_name("  dev ").unwrap(), "dev");
        assert_eq!(check_new_name(" dev").unwrap(), "dev");
        assert_eq!(
            check_new_name("   ").unwrap_err(),
            ["name presence, name format"]
        );
        assert_eq!(check_new_name("").unwrap_err().len(), 2);
        assert_eq!(
            check_new_name("a\u{1b}").unwrap_err(),
            ["Name must not contain escaped characters"]
        );
        let cases: [(&str, &[&str]); 4] = [
            ("   ", &["Name can't be blank"]),
            ("a\u{1b}b", &["Name must not contain escaped characters"]),
            ("a\0", &["Name must not contain escaped characters"]),
            ("l\nine", &["Name must not contain escaped characters"]),
        ];
        for (name, want) in cases {
            assert_eq!(check_name(name).unwrap_err(), want, "{name:?}");
        }
        assert_eq!(
            check_name(&"x".repeat(256)).unwrap_err(),
            ["Name is too long (maximum is 255 characters)"]
        );
    }

    #[test]
    fn refuses_like_cc() {
        let parse_org = |b: &str| parse_with::<Org>(b.as_bytes(), Some(&["name", "suspended"]));
        assert_eq!(parse_org(r#"{"name":"o"}"#).unwrap().name, "o");
        let cases = [
            (
                "{",
                400,
                "Request invalid due to parse error: invalid request body",
            ),
            ("[1]", 422, "Unknown field(s): '_json'"),
            (
                r#"{"name":"o","x":1,"y":2}"#,
                422,
                "Unknown field(s): 'x', 'y'",
            ),
            (r#"{"name":1}"#, 422, "Name must be a string"),
            (r#"{"suspended":true}"#, 422, "missing field `name`"),
        ];
        for (body, status, want) in cases {
            let e = parse_org(body).unwrap_err();
            assert_eq!(e.status.as_u16(), status, "{body}");
            assert!(e.detail.contains(want), "{body}: {}", e.detail);
        }
    }
}
