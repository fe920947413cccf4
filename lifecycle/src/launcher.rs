//! Starting an app instance the way CF's launcher does: complete the CF environment from what
//! the pod provides, source the buildpacks' and the app's profile scripts, and run the start
//! command through `bash -c`. The launcher stays the app's parent (it is PID 1 in the
//! container, where the kernel gives no default signal handling) and passes every
//! termination signal on to the app's process group, so the app hears SIGTERM first and has
//! the grace period to stop.

use serde_json::{Map, Value};
use std::{
    collections::BTreeMap,
    fs, io,
    path::{Path, PathBuf},
};

/// The environment as CF apps see it, from the environment the launcher started with.
///
/// The pod provides the instance's facts through the downward API (`CF_INSTANCE_INDEX`,
/// `CF_INSTANCE_GUID`, `CF_INSTANCE_IP`) and the app's through its Secret (`VCAP_APPLICATION`
/// without the per-instance fields, `VCAP_SERVICES`, `MEMORY_LIMIT`, user variables); this adds
/// what depends on both. `home` is the droplet's root, `/home/vcap` in a pod.
pub fn environment(
    given: &BTreeMap<String, String>,
    app_dir: &Path,
    home: &Path,
) -> BTreeMap<String, String> {
    let mut env = given.clone();
    let get = |key: &str| given.get(key).filter(|v| !v.is_empty()).cloned();
    let port = get("PORT").unwrap_or_else(|| "8080".into());
    let ip = get("CF_INSTANCE_IP").unwrap_or_default();
    let index = get("CF_INSTANCE_INDEX").unwrap_or_else(|| "0".into());
    let guid = get("CF_INSTANCE_GUID").unwrap_or_default();

    let mut set = |key: &str, value: String| {
        env.insert(key.to_owned(), value);
    };
    set("PORT", port.clone());
    set("VCAP_APP_PORT", port.clone());
    set("VCAP_APP_HOST", "0.0.0.0".into());
    set("CF_INSTANCE_PORT", port.clone());
    set("CF_INSTANCE_ADDR", format!("{ip}:{port}"));
    set("CF_INSTANCE_INTERNAL_IP", ip.clone());
    set("CF_INSTANCE_IP", ip);
    set("CF_INSTANCE_INDEX", index.clone());
    set("CF_INSTANCE_GUID", guid.clone());
    set("INSTANCE_INDEX", index.clone());
    set("INSTANCE_GUID", guid.clone());
    set("HOME", app_dir.display().to_string());
    set("TMPDIR", home.join("tmp").display().to_string());
    set("DEPS_DIR", home.join("deps").display().to_string());
    set("LANG", get("LANG").unwrap_or_else(|| "en_US.UTF-8".into()));
    set(
        "VCAP_SERVICES",
        get("VCAP_SERVICES").unwrap_or_else(|| "{}".into()),
    );

    let mut application = get("VCAP_APPLICATION")
        .and_then(|json| serde_json::from_str::<Map<String, Value>>(&json).ok())
        .unwrap_or_default();
    application.insert("host".into(), "0.0.0.0".into());
    application.insert("instance_id".into(), guid.into());
    application.insert(
        "instance_index".into(),
        index.parse::<u64>().map(Value::from).unwrap_or(Value::Null),
    );
    application.insert(
        "port".into(),
        port.parse::<u64>().map(Value::from).unwrap_or(Value::Null),
    );
    set("VCAP_APPLICATION", Value::Object(application).to_string());
    env
}

/// The start command: the one given (the process's command, from `cf push -c` or the
/// manifest), else the droplet's detected one from `staging_info.yml`.
pub fn start_command(given: Option<&str>, home: &Path) -> io::Result<String> {
    if let Some(command) = given.filter(|c| !c.trim().is_empty()) {
        return Ok(command.to_owned());
    }
    let path = home.join("staging_info.yml");
    let text = fs::read_to_string(&path)?;
    #[derive(serde::Deserialize)]
    struct StagingInfo {
        #[serde(default)]
        start_command: String,
    }
    let info: StagingInfo = serde_norway::from_str(&text)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
    if info.start_command.trim().is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            "no start command: give one with `cf push -c` or a Procfile `web:` line",
        ));
    }
    Ok(info.start_command)
}

/// The script bash runs, with the start command as `$1`: profile scripts in CF's order
/// (what supply buildpacks installed, then the final buildpack's, then the app's own
/// `.profile.d` and `.profile`), then the command in a fresh `bash -c`, which bash turns
/// into an `exec` of a simple command, so the app itself is the launcher's child.
pub const LAUNCH_SCRIPT: &str = r#"
for f in ../deps/*/profile.d/*.sh; do [ -f "$f" ] && . "$f"; done
for f in ../profile.d/*.sh; do [ -f "$f" ] && . "$f"; done
for f in .profile.d/*.sh; do [ -f "$f" ] && . "$f"; done
[ -f .profile ] && . ./.profile
exec bash -c "$1"
"#;

/// The droplet root of an app directory (`/home/vcap` for `/home/vcap/app`).
pub fn home_of(app_dir: &Path) -> PathBuf {
    app_dir
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn completes_the_cf_environment_from_the_pods() {
        let given = env(&[
            ("PORT", "9000"),
            ("CF_INSTANCE_INDEX", "2"),
            ("CF_INSTANCE_GUID", "6f1c"),
            ("CF_INSTANCE_IP", "10.0.0.7"),
            ("MEMORY_LIMIT", "64m"),
            (
                "VCAP_APPLICATION",
                r#"{"application_id":"a1","application_name":"web","limits":{"mem":64}}"#,
            ),
        ]);
        let got = environment(&given, Path::new("/home/vcap/app"), Path::new("/home/vcap"));
        for (key, value) in [
            ("PORT", "9000"),
            ("VCAP_APP_PORT", "9000"),
            ("VCAP_APP_HOST", "0.0.0.0"),
            ("CF_INSTANCE_PORT", "9000"),
            ("CF_INSTANCE_ADDR", "10.0.0.7:9000"),
            ("CF_INSTANCE_IP", "10.0.0.7"),
            ("CF_INSTANCE_INTERNAL_IP", "10.0.0.7"),
            ("CF_INSTANCE_INDEX", "2"),
            ("CF_INSTANCE_GUID", "6f1c"),
            ("HOME", "/home/vcap/app"),
            ("TMPDIR", "/home/vcap/tmp"),
            ("DEPS_DIR", "/home/vcap/deps"),
            ("LANG", "en_US.UTF-8"),
            ("MEMORY_LIMIT", "64m"),
            ("VCAP_SERVICES", "{}"),
        ] {
            assert_eq!(got.get(key).map(String::as_str), Some(value), "{key}");
        }
        let application: Value =
            serde_json::from_str(&got["VCAP_APPLICATION"]).expect("VCAP_APPLICATION is JSON");
        assert_eq!(application["application_id"], "a1");
        assert_eq!(application["limits"]["mem"], 64);
        assert_eq!(application["instance_index"], 2);
        assert_eq!(application["instance_id"], "6f1c");
        assert_eq!(application["port"], 9000);
        assert_eq!(application["host"], "0.0.0.0");
    }

    #[test]
    fn defaults_when_the_pod_gives_nothing() {
        let got = environment(
            &env(&[("LANG", "C.UTF-8"), ("VCAP_APPLICATION", "not json")]),
            Path::new("/x/app"),
            Path::new("/x"),
        );
        assert_eq!(got["PORT"], "8080");
        assert_eq!(got["CF_INSTANCE_INDEX"], "0");
        assert_eq!(got["LANG"], "C.UTF-8");
        let application: Value = serde_json::from_str(&got["VCAP_APPLICATION"]).expect("JSON");
        assert_eq!(application["instance_index"], 0);
        assert_eq!(application["port"], 8080);
    }

    #[test]
    fn the_given_command_wins_over_the_detected_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(
            dir.path().join("staging_info.yml"),
            r#"{"detected_buildpack":"binary","start_command":"./server"}"#,
        )
        .expect("write");
        assert_eq!(
            start_command(Some("./other"), dir.path()).expect("given"),
            "./other"
        );
        assert_eq!(
            start_command(None, dir.path()).expect("detected"),
            "./server"
        );
        assert_eq!(
            start_command(Some(" "), dir.path()).expect("blank"),
            "./server"
        );
        fs::write(
            dir.path().join("staging_info.yml"),
            r#"{"start_command":""}"#,
        )
        .expect("write");
        assert!(start_command(None, dir.path()).is_err());
    }
}
