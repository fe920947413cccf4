//! What UAA does around passwords: a password policy for new ones, a lockout after repeated
//! failed logins, and the stamp that ties a refresh token to the password it was issued for.

use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

/// UAA's password policy, with its field names (`uaa.password.policy.*` in a CF deployment).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct PasswordPolicy {
    pub min_length: usize,
    pub max_length: usize,
    pub require_upper_case_character: usize,
    pub require_lower_case_character: usize,
    pub require_digit: usize,
    pub require_special_character: usize,
}

impl Default for PasswordPolicy {
    /// UAA's limits, with a minimum length of 8 where UAA has none: a platform for several
    /// teams should not take one-letter passwords.
    fn default() -> Self {
        Self {
            min_length: 8,
            max_length: 255,
            require_upper_case_character: 0,
            require_lower_case_character: 0,
            require_digit: 0,
            require_special_character: 0,
        }
    }
}

impl PasswordPolicy {
    /// The policy from its JSON (the chart's `passwordPolicy`); empty: the default.
    pub fn parse(json: &str) -> Result<Self, String> {
        if json.trim().is_empty() {
            return Ok(Self::default());
        }
        serde_json::from_str(json).map_err(|e| format!("password policy: {e}"))
    }

    /// What `password` breaks, in UAA's words (empty: it is acceptable).
    pub fn violations(&self, password: &str) -> Vec<String> {
        let count = |f: fn(&char) -> bool| password.chars().filter(f).count();
        let length = password.chars().count();
        let mut broken = Vec::new();
        if length < self.min_length {
            broken.push(format!(
                "Password must be at least {} characters in length.",
                self.min_length
            ));
        }
        if length > self.max_length {
            broken.push(format!(
                "Password must be no more than {} characters in length.",
                self.max_length
            ));
        }
        type Class = fn(&char) -> bool;
        let classes: [(usize, Class, &str); 4] = [
            (
                self.require_upper_case_character,
                |c| c.is_uppercase(),
                "uppercase",
            ),
            (
                self.require_lower_case_character,
                |c| c.is_lowercase(),
                "lowercase",
            ),
            (self.require_digit, char::is_ascii_digit, "digit"),
            (
                self.require_special_character,
                |c| !c.is_alphanumeric() && !c.is_whitespace(),
                "special",
            ),
        ];
        for (wanted, class, name) in classes {
            if count(class) < wanted {
                broken.push(format!(
                    "Password must contain at least {wanted} {name} characters."
                ));
            }
        }
        broken
    }
}

/// UAA's lockout: this many failed logins for one user within [`LOCKOUT_WITHIN`] lock them
/// out until the oldest of them is that old.
pub const LOCKOUT_AFTER: usize = 5;
pub const LOCKOUT_WITHIN: Duration = Duration::from_secs(300);

/// The text UAA gives for a locked account, which the cf CLI matches.
pub const LOCKED: &str =
    "Your account has been locked because of too many failed attempts to login.";

/// Failed logins by user name, in this api-shim's memory: a restart forgets them, and each
/// replica counts its own (the lockout slows guessing; it is not a record).
#[derive(Default)]
pub struct Lockout {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl Lockout {
    fn recent(&self, name: &str, now: Instant) -> usize {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let Some(times) = failures.get_mut(name) else {
            return 0;
        };
        times.retain(|t| now.duration_since(*t) < LOCKOUT_WITHIN);
        let n = times.len();
        if n == 0 {
            failures.remove(name);
        }
        n
    }

    /// Whether `name` is locked out now.
    pub fn locked(&self, name: &str) -> bool {
        self.locked_at(name, Instant::now())
    }

    fn locked_at(&self, name: &str, now: Instant) -> bool {
        self.recent(name, now) >= LOCKOUT_AFTER
    }

    /// Counts a failed login of `name`.
    pub fn failed(&self, name: &str) {
        self.failed_at(name, Instant::now())
    }

    fn failed_at(&self, name: &str, now: Instant) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let times = failures.entry(name.to_owned()).or_default();
        times.push(now);
        // Only the last few matter; a flood of failures must not grow without bound.
        let excess = times.len().saturating_sub(LOCKOUT_AFTER);
        times.drain(..excess);
    }

    /// A successful login of `name` starts its count over, as UAA's does; so does the user's
    /// deletion (a new user of that name is a new account).
    pub fn clear(&self, name: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        failures.remove(name);
    }
}

/// A short digest of a password hash, carried in refresh tokens: when the password changes,
/// so does the stamp, and refresh tokens issued before stop working. A digest, not the hash,
/// because a token's claims are readable by whoever holds it.
pub fn stamp(password_hash: &str) -> String {
    let digest = Sha256::digest(password_hash.as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_what_a_password_lacks() {
        let policy = PasswordPolicy::parse(
            r#"{"minLength": 10, "requireUpperCaseCharacter": 1, "requireDigit": 2,
                "requireSpecialCharacter": 1}"#,
        )
        .unwrap();
        assert_eq!(
            policy.violations("abc1"),
            [
                "Password must be at least 10 characters in length.",
                "Password must contain at least 1 uppercase characters.",
                "Password must contain at least 2 digit characters.",
                "Password must contain at least 1 special characters.",
            ]
        );
        assert!(policy.violations("Abcdefg-12").is_empty());
        let default = PasswordPolicy::parse("").unwrap();
        assert_eq!(default.min_length, 8);
        assert_eq!(
            default.violations(&"x".repeat(256)),
            ["Password must be no more than 255 characters in length."]
        );
        assert!(PasswordPolicy::parse(r#"{"minLenght": 3}"#).is_err());
    }

    #[test]
    fn five_failures_within_five_minutes_lock_until_they_age() {
        let lockout = Lockout::default();
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        for s in [0, 200, 201, 202] {
            lockout.failed_at("bob", at(s));
        }
        assert!(!lockout.locked_at("bob", at(203)));
        lockout.failed_at("bob", at(203));
        assert!(lockout.locked_at("bob", at(204)));
        assert!(!lockout.locked_at("carol", at(204)));
        // The first failure ages out at 300 s: four recent ones are not a lockout.
        assert!(!lockout.locked_at("bob", at(301)));
        lockout.failed_at("bob", at(302));
        assert!(lockout.locked_at("bob", at(303)));
        lockout.clear("bob");
        assert!(!lockout.locked_at("bob", at(304)));
    }

    #[test]
    fn stamps_follow_the_hash() {
        assert_eq!(stamp("a"), stamp("a"));
        assert_ne!(stamp("a"), stamp("b"));
        assert_eq!(stamp("a").len(), 16);
    }
}
