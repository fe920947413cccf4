//! The create and update requests, checked as CC's `BuildpackCreateMessage`,
//! `BuildpackUpdateMessage` and the `Buildpack` model's validations check them, with CC's texts
//! (pure).

use crate::v3::prelude::*;
use serde_json::Value;
use smelter_crds::Buildpack;

/// CC's longest buildpack name (and the CRD's).
const MAX_NAME: usize = 250;

/// `POST /v3/buildpacks`.
#[derive(Debug, Deserialize)]
pub struct CreateBuildpack {
    pub name: Option<String>,
    pub stack: Option<String>,
    pub position: Option<Value>,
    pub enabled: Option<bool>,
    pub locked: Option<bool>,
    pub lifecycle: Option<String>,
    pub metadata: Option<MetadataRequest>,
}

impl Message for CreateBuildpack {
    fn validate(&self) -> Result<(), Vec<String>> {
        let problems: Vec<String> = [
            check_name(self.name.as_deref().unwrap_or_default()).err(),
            self.lifecycle
                .as_deref()
                .and_then(|l| check_lifecycle(l).err()),
        ]
        .into_iter()
        .flatten()
        .map(|e| e.detail)
        .collect();
        verdict(problems)
    }
}

/// `PATCH /v3/buildpacks/:guid`; only the fields sent change anything.
#[derive(Debug, Deserialize)]
pub struct UpdateBuildpack {
    pub name: Option<String>,
    /// `Some(None)` is an explicit `null`, which CC treats as a (refused) stack change.
    #[serde(default, deserialize_with = "crate::http::message::sent")]
    pub stack: Option<Option<String>>,
    pub position: Option<Value>,
    pub enabled: Option<bool>,
    pub locked: Option<bool>,
    pub metadata: Option<MetadataRequest>,
}

impl Message for UpdateBuildpack {
    fn validate(&self) -> Result<(), Vec<String>> {
        match self.name.as_deref().map(check_name) {
            Some(Err(e)) => Err(vec![e.detail]),
            _ => Ok(()),
        }
    }
}

/// CC's name rule: letters, digits, `_` and `-`, at most 250 characters.
pub fn check_name(name: &str) -> ApiResult<()> {
    if name.is_empty() {
        return Err(ApiError::unprocessable("Name can't be blank"));
    }
    if name.chars().count() > MAX_NAME {
        return Err(ApiError::unprocessable(format!(
            "Name is too long (maximum is {MAX_NAME} characters)"
        )));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(ApiError::unprocessable("Name is invalid"));
    }
    Ok(())
}

/// A position: an integer from 1. One past the end of `i32` is as good as last.
pub fn check_position(value: &Value) -> ApiResult<i32> {
    let Value::Number(n) = value else {
        return Err(ApiError::unprocessable("Position is not a number"));
    };
    let Some(n) = n.as_i64() else {
        return Err(ApiError::unprocessable("Position must be an integer"));
    };
    if n < 1 {
        return Err(ApiError::unprocessable(
            "Position must be greater than or equal to 1",
        ));
    }
    Ok(i32::try_from(n).unwrap_or(i32::MAX))
}

/// A stack must be one the API serves.
pub fn check_stack(stack: &str, known: &[&str]) -> ApiResult<()> {
    if known.contains(&stack) {
        Ok(())
    } else {
        Err(ApiError::unprocessable(format!(
            "Stack '{stack}' does not exist"
        )))
    }
}

/// Smelter runs classic buildpacks only.
pub fn check_lifecycle(lifecycle: &str) -> ApiResult<()> {
    match lifecycle {
        "buildpack" => Ok(()),
        "cnb" => Err(ApiError::unprocessable(
            "Lifecycle 'cnb' is not supported: Smelter runs classic buildpacks only",
        )),
        _ => Err(ApiError::unprocessable(
            "Lifecycle must be either \"buildpack\" or \"cnb\"",
        )),
    }
}

/// A stack, once assigned, stays (CC's `buildpack_cant_change_stacks`).
pub fn check_stack_change(current: Option<&str>, requested: Option<&str>) -> ApiResult<()> {
    match current {
        Some(current) if requested != Some(current) => {
            Err(ApiError::unprocessable("Buildpack stack cannot be changed"))
        }
        _ => Ok(()),
    }
}

/// A name is unique per stack, and only one buildpack of a name may have no stack. `guid` is
/// the buildpack being changed, if it exists already.
pub fn check_unique(
    all: &[std::sync::Arc<Buildpack>],
    guid: Option<&str>,
    name: &str,
    stack: Option<&str>,
) -> ApiResult<()> {
    let taken = all.iter().any(|b| {
        b.metadata.name.as_deref() != guid
            && b.spec.name == name
            && b.spec.stack.as_deref() == stack
    });
    match (taken, stack) {
        (false, _) => Ok(()),
        (true, None) => Err(ApiError::unprocessable(format!(
            "Buildpack with name '{name}' and an unassigned stack already exists"
        ))),
        (true, Some(stack)) => Err(ApiError::unprocessable(format!(
            "Buildpack with name '{name}' and stack '{stack}' already exists"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use smelter_crds::BuildpackSpec;
    use std::sync::Arc;

    fn detail<T: std::fmt::Debug>(r: ApiResult<T>) -> String {
        let e = r.expect_err("refused");
        assert_eq!(e.status.as_u16(), 422);
        assert_eq!(e.title, "CF-UnprocessableEntity");
        e.detail
    }

    #[test]
    fn names() {
        crate::fixtures::check_table(
            |name| {
                check_name(name)
                    .err()
                    .map(|e| vec![e.detail])
                    .unwrap_or_default()
            },
            &["ruby_buildpack", "go-1", "A"],
            &[
                ("", "Name can't be blank"),
                ("has space", "Name is invalid"),
                ("dots.no", "Name is invalid"),
                ("ünï", "Name is invalid"),
            ],
        );
        assert_eq!(
            detail(check_name(&"x".repeat(251))),
            "Name is too long (maximum is 250 characters)"
        );
    }

    #[test]
    fn positions() {
        assert_eq!(check_position(&json!(1)).ok(), Some(1));
        assert_eq!(check_position(&json!(1u64 << 40)).ok(), Some(i32::MAX));
        let cases = [
            (json!(0), "Position must be greater than or equal to 1"),
            (json!(-3), "Position must be greater than or equal to 1"),
            (json!(1.5), "Position must be an integer"),
            (json!("2"), "Position is not a number"),
        ];
        for (value, want) in cases {
            assert_eq!(detail(check_position(&value)), want, "{value}");
        }
    }

    #[test]
    fn stacks_and_lifecycles() {
        assert!(check_stack("cflinuxfs4", &["cflinuxfs4"]).is_ok());
        assert_eq!(
            detail(check_stack("windows", &["cflinuxfs4"])),
            "Stack 'windows' does not exist"
        );
        assert!(check_stack_change(None, Some("cflinuxfs4")).is_ok());
        assert!(check_stack_change(Some("cflinuxfs4"), Some("cflinuxfs4")).is_ok());
        assert_eq!(
            detail(check_stack_change(Some("cflinuxfs4"), None)),
            "Buildpack stack cannot be changed"
        );
        assert!(check_lifecycle("buildpack").is_ok());
        assert!(detail(check_lifecycle("cnb")).contains("not supported"));
        assert!(detail(check_lifecycle("docker")).contains("must be either"));
    }

    #[test]
    fn uniqueness_by_name_and_stack() {
        let bp = |guid: &str, name: &str, stack: Option<&str>| {
            Arc::new(Buildpack::new(
                guid,
                BuildpackSpec {
                    name: name.into(),
                    position: 1,
                    stack: stack.map(Into::into),
                    enabled: true,
                    locked: false,
                },
            ))
        };
        let all = [bp("g1", "ruby", None), bp("g2", "go", Some("cflinuxfs4"))];
        assert_eq!(
            detail(check_unique(&all, None, "ruby", None)),
            "Buildpack with name 'ruby' and an unassigned stack already exists"
        );
        assert_eq!(
            detail(check_unique(&all, None, "go", Some("cflinuxfs4"))),
            "Buildpack with name 'go' and stack 'cflinuxfs4' already exists"
        );
        // Another stack, or none next to one with a stack, is a different buildpack.
        assert!(check_unique(&all, None, "ruby", Some("cflinuxfs4")).is_ok());
        assert!(check_unique(&all, None, "go", None).is_ok());
        // A buildpack does not collide with itself.
        assert!(check_unique(&all, Some("g1"), "ruby", None).is_ok());
    }

    #[test]
    fn an_explicit_null_stack_is_told_from_none() {
        let sent: UpdateBuildpack =
            serde_json::from_value(json!({ "stack": null })).expect("parse");
        assert_eq!(sent.stack, Some(None));
        let absent: UpdateBuildpack = serde_json::from_value(json!({})).expect("parse");
        assert_eq!(absent.stack, None);
    }
}
