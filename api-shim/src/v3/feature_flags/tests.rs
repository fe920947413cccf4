use super::{message::UpdateFeatureFlag, *};
use crate::http::message::Message;

#[test]
fn every_flag_of_cc_with_its_default() {
    assert_eq!(DEFAULTS.len(), 19);
    assert_eq!(known("diego_docker"), Some("diego_docker"));
    assert_eq!(known("bogus"), None);
    assert!(DEFAULTS.contains(&("user_org_creation", false)));
    assert!(DEFAULTS.contains(&("app_scaling", true)));
}

#[test]
fn overrides_parse_and_refuse_unknown_flags() {
    let o = parse_overrides("diego_docker=true, app_scaling=false").expect("parses");
    assert!(o["diego_docker"]);
    assert!(!o["app_scaling"]);
    assert!(parse_overrides("").expect("empty").is_empty());
    assert_eq!(
        parse_overrides("bogus=true").expect_err("unknown"),
        "no feature flag 'bogus'"
    );
    assert!(parse_overrides("diego_docker").is_err());
    assert!(parse_overrides("diego_docker=yes").is_err());
}

#[test]
fn an_update_is_read_with_ccs_texts() {
    let read = |s: &str| UpdateFeatureFlag::from_body(s.as_bytes());
    let read_ok = read(r#"{"enabled": true}"#).expect("ok");
    assert_eq!(
        (read_ok.enabled, read_ok.custom_error_message),
        (Some(true), None)
    );
    assert_eq!(
        read(r#"{"custom_error_message": null}"#)
            .expect("ok")
            .custom_error_message,
        Some(None)
    );
    let detail = |s: &str| read(s).expect_err("refused").detail.clone();
    assert_eq!(detail(r#"{"enabled": "yes"}"#), "Enabled must be a boolean");
    assert_eq!(
        detail(r#"{"custom_error_message": ""}"#),
        "Custom error message is too short (minimum is 1 character)"
    );
    assert_eq!(
        detail(&format!(
            r#"{{"custom_error_message": "{}"}}"#,
            "x".repeat(251)
        )),
        "Custom error message is too long (maximum is 250 characters)"
    );
    assert_eq!(detail(r#"{"color": 1}"#), "Unknown field(s): 'color'");
    assert_eq!(
        detail(r#"{"custom_error_message": 5}"#),
        "Custom error message must be a string"
    );
}
