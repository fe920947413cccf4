//! The built-in buildpacks, `buildpacks/staticfile_buildpack` and `buildpacks/binary_buildpack`
//! of this repository, compiled into the api-shim and installed as admin buildpacks at start, so
//! a new installation stages apps with no `cf create-buildpack` and its image needs no files.
//!
//! The files are `include_bytes!`ed from a list that names each file's mode, rather than zipped
//! by a build script: a checkout's modes depend on the umask and the filesystem, while the zip
//! must say 0755 for every `bin/` script whatever they are, and a list needs no build-time
//! dependencies. The test `the_lists_match_the_directories` fails when a file is added, removed
//! or changes its executable bit, so the list cannot drift. The zip is made with fixed
//! timestamps, so every start of every replica makes the same bytes and sha256.

use super::{all, bits, is_ready, order, slots};
use crate::state::AppState;
use kube::Api;
use smelter_crds::{Buildpack, BuildpackSpec};
use std::{collections::BTreeSet, io::Write, sync::Arc, time::Duration};
use zip::{CompressionMethod, DateTime, ZipWriter, write::SimpleFileOptions};

/// One file of a built-in buildpack.
struct File {
    path: &'static str,
    mode: u32,
    contents: &'static [u8],
}

/// A built-in buildpack.
pub struct Builtin {
    pub name: &'static str,
    files: &'static [File],
}

/// The files of a buildpack directory: those of every classic buildpack (its version, its
/// manifest and the four `bin/` scripts the lifecycle runs), then its own.
macro_rules! files {
    ($dir:literal: $($path:literal $mode:literal),* $(,)?) => {
        &[$(File {
            path: $path,
            mode: $mode,
            contents: include_bytes!(concat!("../../../../buildpacks/", $dir, "/", $path)),
        }),*]
    };
    (classic $dir:literal: $($path:literal $mode:literal),* $(,)?) => {
        files!($dir:
            "VERSION" 0o644,
            "manifest.yml" 0o644,
            "bin/detect" 0o755,
            "bin/supply" 0o755,
            "bin/finalize" 0o755,
            "bin/release" 0o755,
            $($path $mode),*
        )
    };
}

/// The built-in buildpacks in detection order, as cf-deployment orders them: staticfile first
/// (it detects `Staticfile` or `index.html`), binary last (it never detects; apps name it).
pub const BUILTINS: &[Builtin] = &[
    Builtin {
        name: "staticfile_buildpack",
        files: files!(classic "staticfile_buildpack": "lib/root" 0o755),
    },
    Builtin {
        name: "binary_buildpack",
        files: files!(classic "binary_buildpack":),
    },
];

/// How long to wait for a write to reach the cache.
const SEEN_WITHIN: Duration = Duration::from_secs(10);
/// Attempts at start before giving up until the next start.
const ATTEMPTS: u32 = 8;

impl Builtin {
    /// The GUID: a name-based UUID, so replicas installing at the same time create one object
    /// and the others get a conflict.
    pub fn guid(&self) -> String {
        uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_OID,
            format!("smelter/buildpack/{}", self.name).as_bytes(),
        )
        .to_string()
    }

    fn version(&self) -> &str {
        self.files
            .iter()
            .find(|f| f.path == "VERSION")
            .and_then(|f| std::str::from_utf8(f.contents).ok())
            .map_or("0", str::trim)
    }

    /// The file name the zip is stored under, as cf-deployment names buildpack zips.
    pub fn filename(&self) -> String {
        format!("{}-v{}.zip", self.name, self.version())
    }

    /// The buildpack as a zip: directories first, entries in path order, unix modes kept.
    pub fn zip(&self) -> zip::result::ZipResult<Vec<u8>> {
        let mut zip = ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let base = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .last_modified_time(DateTime::default());
        let dirs: BTreeSet<&str> = self
            .files
            .iter()
            .flat_map(|f| f.path.match_indices('/').map(|(i, _)| &f.path[..i]))
            .collect();
        for dir in dirs {
            zip.add_directory(dir, base.unix_permissions(0o755))?;
        }
        let mut files: Vec<&File> = self.files.iter().collect();
        files.sort_by_key(|f| f.path);
        for file in files {
            zip.start_file(file.path, base.unix_permissions(file.mode))?;
            zip.write_all(file.contents)?;
        }
        Ok(zip.finish()?.into_inner())
    }
}

/// Why a built-in buildpack was not installed.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("failed to create the built-in buildpack {name}")]
    Create {
        name: &'static str,
        #[source]
        source: kube::Error,
    },
    #[error("failed to zip the built-in buildpack {name}")]
    Zip {
        name: &'static str,
        #[source]
        source: zip::result::ZipError,
    },
    #[error("failed to write the zip of the built-in buildpack {name}")]
    Work {
        name: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to store the zip of the built-in buildpack {name}")]
    Bits {
        name: &'static str,
        #[source]
        source: bits::BitsError,
    },
}

/// What [`install`] did with one built-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Created (or completed) and READY.
    Installed,
    /// A buildpack of that name exists: left as the admins have it.
    Kept,
}

/// Installs each built-in buildpack that no buildpack of its name stands for yet, after the
/// ones there are, in [`BUILTINS`] order. Never changes one that exists, whatever its stack,
/// position, bits or lock: admins may have replaced or reordered it. Idempotent, and safe on
/// any number of replicas at once.
pub async fn install(state: &AppState) -> Result<Vec<(&'static str, Outcome)>, InstallError> {
    let mut outcomes = Vec::with_capacity(BUILTINS.len());
    // In order, stopping at a failure: a later one must not take an earlier one's place.
    for builtin in BUILTINS {
        outcomes.push((builtin.name, install_one(state, builtin).await?));
    }
    Ok(outcomes)
}

async fn install_one(state: &AppState, builtin: &Builtin) -> Result<Outcome, InstallError> {
    let guid = builtin.guid();
    let buildpack = {
        let _order = state.buildpack_order.lock().await;
        let all = all(state);
        match all.iter().find(|b| b.spec.name == builtin.name) {
            // Ours, created but without its zip: an earlier install was interrupted.
            Some(b) if b.metadata.name.as_deref() == Some(guid.as_str()) && !is_ready(b) => {
                (**b).clone()
            }
            Some(_) => return Ok(Outcome::Kept),
            None => create(state, builtin, &guid, order::next(&slots(&all))).await?,
        }
    };
    if is_ready(&buildpack) || buildpack.spec.locked {
        return Ok(Outcome::Kept);
    }
    let name = builtin.name;
    let bytes = builtin
        .zip()
        .map_err(|source| InstallError::Zip { name, source })?;
    let work = tempfile::Builder::new()
        .prefix(crate::storage::uploads::BUILTIN_WORK)
        .tempdir_in(&state.config.work_dir)
        .map_err(|source| InstallError::Work { name, source })?;
    let filename = builtin.filename();
    let path = work.path().join(&filename);
    tokio::fs::write(&path, bytes)
        .await
        .map_err(|source| InstallError::Work { name, source })?;
    bits::store(state, &buildpack, &path, &filename, work.path())
        .await
        .map_err(|source| InstallError::Bits { name, source })?;
    Ok(Outcome::Installed)
}

/// Creates the built-in's object (with the api-shim's own identity: no user asked for it), or
/// reads the one another replica has just created.
async fn create(
    state: &AppState,
    builtin: &Builtin,
    guid: &str,
    position: i32,
) -> Result<Buildpack, InstallError> {
    let name = builtin.name;
    let api: Api<Buildpack> = Api::namespaced(state.kube.own(), &state.config.root_namespace);
    let buildpack = Buildpack::new(
        guid,
        BuildpackSpec {
            name: name.to_owned(),
            position,
            stack: None,
            enabled: true,
            locked: false,
        },
    );
    let made = match api
        .create(&crate::storage::write::params(), &buildpack)
        .await
    {
        Ok(made) => made,
        Err(kube::Error::Api(s)) if s.code == 409 => api
            .get(guid)
            .await
            .map_err(|source| InstallError::Create { name, source })?,
        Err(source) => return Err(InstallError::Create { name, source }),
    };
    // The next built-in's position is counted from the cache, which must include this one.
    state
        .caches
        .buildpacks
        .until(SEEN_WITHIN, |c| c.get(guid).is_some())
        .await;
    Ok(made)
}

/// [`install`], retried with backoff for a while (the API server or the blobstore may be
/// briefly away at start), logging what happens. Meant to run in the background once the
/// caches are ready; if it gives up, the next start tries again.
pub async fn install_in_background(state: Arc<AppState>) {
    let mut delay = Duration::from_secs(1);
    for attempt in 1..=ATTEMPTS {
        match install(&state).await {
            Ok(outcomes) => {
                for (name, outcome) in outcomes {
                    tracing::info!(buildpack = name, ?outcome, "built-in buildpack");
                }
                return;
            }
            Err(e) => tracing::warn!(
                attempt,
                error = %e,
                cause = ?std::error::Error::source(&e),
                "failed to install the built-in buildpacks"
            ),
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(60));
    }
    tracing::error!("gave up installing the built-in buildpacks; the next start tries again");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::{collections::BTreeMap, io::Read, os::unix::fs::PermissionsExt, path::Path};

    /// Every file under `dir` with 0755 if any execute bit is set, else 0644.
    fn on_disk(dir: &Path, prefix: &str, out: &mut BTreeMap<String, u32>) {
        for entry in std::fs::read_dir(dir).expect("read dir") {
            let entry = entry.expect("entry");
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            let meta = entry.metadata().expect("metadata");
            if meta.is_dir() {
                on_disk(&entry.path(), &format!("{name}/"), out);
            } else {
                let exec = meta.permissions().mode() & 0o111 != 0;
                out.insert(name, if exec { 0o755 } else { 0o644 });
            }
        }
    }

    #[test]
    fn the_lists_match_the_directories() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../buildpacks");
        let mut dirs: Vec<String> = std::fs::read_dir(&root)
            .expect("buildpacks/")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        dirs.sort();
        let mut names: Vec<&str> = BUILTINS.iter().map(|b| b.name).collect();
        names.sort();
        assert_eq!(dirs, names, "every directory under buildpacks/ is built in");
        for builtin in BUILTINS {
            let mut want = BTreeMap::new();
            on_disk(&root.join(builtin.name), "", &mut want);
            let have: BTreeMap<String, u32> = builtin
                .files
                .iter()
                .map(|f| (f.path.to_owned(), f.mode))
                .collect();
            assert_eq!(have, want, "{}: the file list and modes", builtin.name);
        }
    }

    #[test]
    fn zips_are_reproducible_and_keep_modes() {
        for builtin in BUILTINS {
            let bytes = builtin.zip().expect("zip");
            assert_eq!(bytes, builtin.zip().expect("zip"), "{}", builtin.name);
            let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("readable");
            for file in builtin.files {
                let mut entry = zip.by_name(file.path).expect(file.path);
                assert_eq!(entry.unix_mode().map(|m| m & 0o777), Some(file.mode));
                let mut contents = Vec::new();
                entry.read_to_end(&mut contents).expect("read");
                assert_eq!(contents, file.contents);
            }
            let bin = zip.by_name("bin/").expect("bin/");
            assert!(bin.is_dir());
        }
    }

    #[test]
    fn names_guids_and_filenames() {
        let [statics, binary] = BUILTINS else {
            panic!("two built-ins");
        };
        assert_eq!(
            (statics.name, binary.name),
            ("staticfile_buildpack", "binary_buildpack")
        );
        assert_eq!(statics.guid(), statics.guid());
        assert_ne!(statics.guid(), binary.guid());
        let version = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../buildpacks/staticfile_buildpack/VERSION"),
        )
        .expect("VERSION");
        assert_eq!(
            statics.filename(),
            format!("staticfile_buildpack-v{}.zip", version.trim())
        );
    }
}
