//! Warnings for the cf CLI in the `X-Cf-Warnings` response header, encoded as Cloud Controller
//! encodes them: each warning `CGI.escape`d, the escaped warnings joined by commas
//! (`base_controller.rb#add_warning`; v3's `add_warning_headers` escapes the same way). The CLI
//! (`cloud_controller_connection.go#handleWarnings`) splits every header value on commas,
//! `url.QueryUnescape`s each part and trims spaces, then prints each warning on stderr; escaping
//! is what keeps a comma inside a warning from splitting it in two.
//!
//! A handler returns `(warnings, body)`: [`Warnings`] is a response part, so there is one place
//! that writes the header, and a handler with nothing to say sends none.

use axum::{
    http::{HeaderName, HeaderValue},
    response::{IntoResponseParts, ResponseParts},
};
use std::convert::Infallible;

/// The header name; HTTP/1 names are case-insensitive, and the CLI (Go) canonicalizes it.
pub static X_CF_WARNINGS: HeaderName = HeaderName::from_static("x-cf-warnings");

/// What Smelter records but does not do: no part of it throttles an app's log output.
pub const LOG_RATE_LIMIT_NOT_ENFORCED: &str = "Log rate limits are not enforced by Smelter: the limit is recorded, but an app's logs are not throttled.";

/// Warnings for one response, in the order they were found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Warnings(Vec<String>);

impl Warnings {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a warning once: the CLI would print a repeated one again.
    pub fn push(&mut self, warning: impl Into<String>) {
        let warning = warning.into();
        // An empty warning would print as an empty line.
        if !warning.trim().is_empty() && !self.0.contains(&warning) {
            self.0.push(warning);
        }
    }

    pub fn extend(&mut self, other: Warnings) {
        for w in other.0 {
            self.push(w);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    /// The header value CC would send: every warning escaped, joined by commas.
    pub fn encode(&self) -> String {
        self.0
            .iter()
            .map(|w| cgi_escape(&defuse_template(w)))
            .collect::<Vec<_>>()
            .join(",")
    }
}

impl<S: Into<String>> FromIterator<S> for Warnings {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut warnings = Warnings::new();
        for w in iter {
            warnings.push(w);
        }
        warnings
    }
}

impl IntoResponseParts for Warnings {
    type Error = Infallible;

    fn into_response_parts(self, mut res: ResponseParts) -> Result<ResponseParts, Self::Error> {
        if self.is_empty() {
            return Ok(res);
        }
        // A response given warnings twice keeps both sets in one header, as CC's add_warning does.
        let value = match res
            .headers()
            .get(&X_CF_WARNINGS)
            .and_then(|v| v.to_str().ok())
        {
            Some(existing) => format!("{existing},{}", self.encode()),
            None => self.encode(),
        };
        // Escaping leaves only visible ASCII, which is always a valid header value.
        if let Ok(value) = HeaderValue::from_str(&value) {
            res.headers_mut().insert(X_CF_WARNINGS.clone(), value);
        }
        Ok(res)
    }
}

/// Ruby's `CGI.escape`: letters, digits and `_.-~` stay, a space becomes `+`, every other byte
/// of the UTF-8 text becomes `%XX` (upper case), commas included.
fn cgi_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The CLI passes every warning through its translation function, which parses it as a Go
/// template with `template.Must` (`util/ui/i18n.go`): a `{{` in a warning that quotes user
/// input (a manifest key, say) would be run as an action, or crash the CLI. A space between
/// two braces makes them plain text.
fn defuse_template(w: &str) -> String {
    let mut out = String::with_capacity(w.len());
    let mut chars = w.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '{' && chars.peek() == Some(&'{') {
            out.push(' ');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::response::IntoResponse;

    /// The cf CLI's decoding (`handleWarnings` in v8.18.0), ported: each header value split on
    /// commas, each part through Go's `url.QueryUnescape` (`+` is a space, `%XX` a byte, a bad
    /// escape an error), then trimmed of spaces.
    fn cli_decode(values: &[&str]) -> Result<Vec<String>, String> {
        let mut warnings = Vec::new();
        for value in values {
            for raw in value.split(',') {
                let bytes = raw.as_bytes();
                let mut out = Vec::new();
                let mut i = 0;
                while i < bytes.len() {
                    match bytes[i] {
                        b'+' => out.push(b' '),
                        b'%' => {
                            let hex = raw.get(i + 1..i + 3).ok_or("short escape")?;
                            out.push(u8::from_str_radix(hex, 16).map_err(|e| e.to_string())?);
                            i += 2;
                        }
                        b => out.push(b),
                    }
                    i += 1;
                }
                let text = String::from_utf8(out).map_err(|e| e.to_string())?;
                warnings.push(text.trim_matches(' ').to_owned());
            }
        }
        Ok(warnings)
    }

    fn header_of(warnings: Warnings) -> Vec<String> {
        let response = (warnings, "body").into_response();
        response
            .headers()
            .get_all(&X_CF_WARNINGS)
            .iter()
            .map(|v| v.to_str().expect("ascii").to_owned())
            .collect()
    }

    #[test]
    fn escapes_like_cgi_escape() {
        let table = [
            ("plain", "plain"),
            ("two words", "two+words"),
            ("a,b", "a%2Cb"),
            ("50% + 'x'", "50%25+%2B+%27x%27"),
            ("keep_.-~ not *", "keep_.-~+not+%2A"),
            ("é✓", "%C3%A9%E2%9C%93"),
        ];
        for (input, want) in table {
            assert_eq!(cgi_escape(input), want, "{input}");
        }
    }

    #[test]
    fn commas_and_non_ascii_round_trip_through_the_cli_decoding() {
        let sent = [
            "For application 'café': these manifest keys are not supported and were ignored: 'a', 'b'",
            "Ünïcödé, commas, and 100% + plus signs",
            LOG_RATE_LIMIT_NOT_ENFORCED,
        ];
        let header = header_of(sent.iter().copied().collect());
        assert_eq!(header.len(), 1, "one header, as CC sends: {header:?}");
        assert!(
            header[0].bytes().all(|b| b.is_ascii_graphic()),
            "{header:?}"
        );
        let decoded = cli_decode(&header.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(decoded, Ok(sent.map(String::from).to_vec()));
    }

    #[test]
    fn two_sets_share_one_header_and_none_sends_nothing() {
        let response = (
            Warnings::from_iter(["first, one"]),
            Warnings::from_iter(["second"]),
            "body",
        )
            .into_response();
        assert_eq!(
            response.headers()[&X_CF_WARNINGS],
            "first%2C+one,second",
            "appended with a comma, as CC's add_warning does"
        );
        assert!(header_of(Warnings::new()).is_empty());
        assert!(
            header_of(Warnings::from_iter(["", "  "])).is_empty(),
            "blank warnings are dropped: the CLI would print empty lines"
        );
        assert_eq!(
            Warnings::from_iter(["same", "same"]).as_slice(),
            ["same"],
            "a repeated warning is sent once"
        );
    }

    #[test]
    fn template_braces_reach_the_cli_as_text() {
        let header = header_of(Warnings::from_iter(["key '{{.x}}' and {{{"]));
        let decoded = cli_decode(&[&header[0]]).expect("decodes");
        assert_eq!(decoded, ["key '{ {.x}}' and { { {"]);
        assert!(!decoded[0].contains("{{"));
    }
}
