//! One CF buildpack on disk, and running its scripts. The contract is CF's: every script gets
//! the app directory as its first argument; `bin/detect` exits 0 to claim the app and prints
//! a name; `bin/release` prints YAML with `default_process_types`.

use crate::result::BuildpackMetadata;
use std::{
    fs,
    io::{self, Write},
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::{Command, ExitStatus, Stdio},
};

/// A buildpack unpacked in a directory named by its key.
#[derive(Clone, Debug)]
pub struct Buildpack {
    pub key: String,
    pub dir: PathBuf,
}

/// What a script did.
pub struct Ran {
    pub status: ExitStatus,
    /// Standard output when it was captured (detect, release); empty otherwise.
    pub stdout: String,
}

impl Buildpack {
    /// The buildpack `key` under `buildpacks_dir`; `None` when there is no such directory.
    pub fn find(buildpacks_dir: &Path, key: &str) -> Option<Self> {
        let dir = buildpacks_dir.join(key);
        dir.join("bin")
            .is_dir()
            .then(|| Self {
                key: key.to_owned(),
                dir,
            })
            .or_else(|| {
                // Zips made with `zip -r name.zip name/` carry one top-level directory.
                let only = single_subdirectory(&buildpacks_dir.join(key))?;
                only.join("bin").is_dir().then(|| Self {
                    key: key.to_owned(),
                    dir: only,
                })
            })
    }

    pub fn has(&self, script: &str) -> bool {
        self.dir.join("bin").join(script).is_file()
    }

    /// Runs `bin/<script>` with `args`, in `cwd`, with its output streaming to ours (the
    /// staging log) unless `capture` asks for standard output back.
    pub fn run(
        &self,
        script: &str,
        args: &[&Path],
        cwd: &Path,
        env: &[(&str, &str)],
        capture: bool,
    ) -> io::Result<Ran> {
        let path = self.dir.join("bin").join(script);
        make_executable(&path)?;
        let mut command = Command::new(&path);
        command.args(args).current_dir(cwd).stdin(Stdio::null());
        for (key, value) in env {
            command.env(key, value);
        }
        if !capture {
            let status = command.status()?;
            return Ok(Ran {
                status,
                stdout: String::new(),
            });
        }
        let output = command.stderr(Stdio::inherit()).output()?;
        Ok(Ran {
            status: output.status,
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        })
    }

    /// The name (`language` in `manifest.yml`) and `VERSION` a buildpack reports, when it does.
    pub fn metadata(&self, detect_output: Option<String>) -> BuildpackMetadata {
        let name = fs::read_to_string(self.dir.join("manifest.yml"))
            .ok()
            .and_then(|text| serde_norway::from_str::<serde_norway::Value>(&text).ok())
            .and_then(|manifest| manifest.get("language")?.as_str().map(str::to_owned));
        let version = fs::read_to_string(self.dir.join("VERSION"))
            .ok()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty());
        BuildpackMetadata {
            key: self.key.clone(),
            name,
            version,
            detect_output,
        }
    }
}

/// Zips made on other systems often lose the execute bit; CF's stager runs the scripts anyway.
fn make_executable(path: &Path) -> io::Result<()> {
    let mut permissions = fs::metadata(path)?.permissions();
    if permissions.mode() & 0o111 != 0o111 {
        permissions.set_mode(permissions.mode() | 0o111);
        fs::set_permissions(path, permissions)?;
    }
    Ok(())
}

fn single_subdirectory(dir: &Path) -> Option<PathBuf> {
    let mut entries = fs::read_dir(dir).ok()?.filter_map(Result::ok);
    let only = entries.next()?;
    (entries.next().is_none() && only.path().is_dir()).then(|| only.path())
}

/// Writes a line to the staging log, which is our standard output.
pub fn say(line: &str) {
    let mut out = io::stdout().lock();
    // Nothing useful can be done when the log is gone.
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}
