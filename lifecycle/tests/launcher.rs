//! The `launcher` binary on the host: the CF environment, profile script order, the start
//! command's source, exit status, and signals reaching the app.

use std::{
    fs,
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

/// A droplet's layout as it is unpacked in a pod: `home/app`, `home/deps`, `home/profile.d`.
fn home() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("vcap");
    for sub in [
        "app/.profile.d",
        "deps/0/profile.d",
        "deps/1/profile.d",
        "profile.d",
        "tmp",
    ] {
        fs::create_dir_all(home.join(sub)).expect("mkdir");
    }
    (dir, home)
}

fn write(path: &Path, contents: &str) {
    fs::write(path, contents).expect("write");
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).expect("chmod");
}

fn launcher(home: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_launcher"));
    command
        .arg(home.join("app"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    command
}

#[test]
fn sources_profile_scripts_in_cfs_order_and_sets_the_cf_environment() {
    let (_dir, home) = home();
    let append = |name: &str| format!("export ORDER=\"${{ORDER:-}}{name},\"\n");
    write(&home.join("deps/0/profile.d/a.sh"), &append("deps0"));
    write(&home.join("deps/1/profile.d/a.sh"), &append("deps1"));
    write(&home.join("profile.d/b.sh"), &append("buildpack"));
    write(&home.join("app/.profile.d/1.sh"), &append("app1"));
    write(&home.join("app/.profile.d/2.sh"), &append("app2"));
    write(&home.join("app/.profile"), &append("profile"));
    // Not a script: only *.sh files are sourced.
    write(&home.join("app/.profile.d/README"), "exit 7\n");

    let status = launcher(&home)
        .arg(r#"echo "$ORDER" > order && env > env.txt && pwd > pwd"#)
        .env("PORT", "9123")
        .env("CF_INSTANCE_INDEX", "3")
        .env("CF_INSTANCE_GUID", "guid-3")
        .env("CF_INSTANCE_IP", "10.1.2.3")
        .env(
            "VCAP_APPLICATION",
            r#"{"application_name":"demo","space_name":"dev"}"#,
        )
        .env("VCAP_SERVICES", r#"{"db":[]}"#)
        .env("MEMORY_LIMIT", "64m")
        .status()
        .expect("launcher runs");
    assert!(status.success());

    let app = home.join("app");
    assert_eq!(
        fs::read_to_string(app.join("order")).expect("order").trim(),
        "deps0,deps1,buildpack,app1,app2,profile,"
    );
    assert_eq!(
        fs::read_to_string(app.join("pwd")).expect("pwd").trim(),
        app.display().to_string()
    );
    let env: std::collections::BTreeMap<String, String> = fs::read_to_string(app.join("env.txt"))
        .expect("env")
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    for (key, value) in [
        ("PORT", "9123"),
        ("VCAP_APP_PORT", "9123"),
        ("VCAP_APP_HOST", "0.0.0.0"),
        ("CF_INSTANCE_INDEX", "3"),
        ("CF_INSTANCE_GUID", "guid-3"),
        ("CF_INSTANCE_IP", "10.1.2.3"),
        ("CF_INSTANCE_PORT", "9123"),
        ("CF_INSTANCE_ADDR", "10.1.2.3:9123"),
        ("MEMORY_LIMIT", "64m"),
        ("VCAP_SERVICES", r#"{"db":[]}"#),
        ("LANG", "en_US.UTF-8"),
    ] {
        assert_eq!(env.get(key).map(String::as_str), Some(value), "{key}");
    }
    assert_eq!(env["HOME"], app.display().to_string());
    assert_eq!(env["TMPDIR"], home.join("tmp").display().to_string());
    assert_eq!(env["DEPS_DIR"], home.join("deps").display().to_string());
    let application: serde_json::Value =
        serde_json::from_str(&env["VCAP_APPLICATION"]).expect("VCAP_APPLICATION");
    assert_eq!(application["application_name"], "demo");
    assert_eq!(application["instance_index"], 3);
    assert_eq!(application["port"], 9123);
}

#[test]
fn runs_the_detected_command_and_exits_as_the_app_does() {
    let (_dir, home) = home();
    fs::write(
        home.join("staging_info.yml"),
        r#"{"detected_buildpack":"binary","start_command":"./server"}"#,
    )
    .expect("staging_info");
    write(
        &home.join("app/server"),
        "#!/bin/sh\necho \"serving on $PORT\"\nexit 42\n",
    );
    let output = launcher(&home).output().expect("launcher runs");
    assert_eq!(output.status.code(), Some(42));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "serving on 8080\n");

    // No command anywhere: say so, and fail.
    fs::write(home.join("staging_info.yml"), r#"{"start_command":""}"#).expect("staging_info");
    let output = launcher(&home).output().expect("launcher runs");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("no start command"));
}

#[test]
fn the_app_gets_sigterm_and_its_exit_status_is_the_launchers() {
    let (_dir, home) = home();
    let app = home.join("app");
    // A compound command keeps bash as the app; its trap is the app's shutdown handler, and a
    // child it started must hear the signal too (the launcher signals the process group).
    let command = r#"sleep 300 & trap 'echo term > stopped; exit 0' TERM; echo $! > child; touch ready; while true; do sleep 0.1; done"#;
    let mut child = launcher(&home)
        .arg(command)
        .stdout(Stdio::null())
        .spawn()
        .expect("launcher starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !app.join("ready").exists() {
        assert!(Instant::now() < deadline, "the app never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    let launcher_pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid"));
    nix::sys::signal::kill(launcher_pid, nix::sys::signal::Signal::SIGTERM).expect("signal");

    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "the launcher did not stop");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0), "the app's own exit status");
    assert_eq!(
        fs::read_to_string(app.join("stopped")).expect("trap ran"),
        "term\n"
    );
    let sleeper: i32 = fs::read_to_string(app.join("child"))
        .expect("child pid")
        .trim()
        .parse()
        .expect("pid");
    // The background child got SIGTERM as well: it is gone (or a zombie awaiting its reaper).
    let gone = || {
        let stat = fs::read_to_string(format!("/proc/{sleeper}/stat")).unwrap_or_default();
        stat.is_empty() || stat.split_whitespace().nth(2) == Some("Z")
    };
    while !gone() {
        assert!(Instant::now() < deadline, "the app's child still runs");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn an_app_killed_by_a_signal_exits_with_128_plus_the_signal() {
    let (_dir, home) = home();
    let status = launcher(&home)
        .arg("kill -KILL $$")
        .status()
        .expect("launcher runs");
    assert_eq!(status.code(), Some(128 + 9));
}
