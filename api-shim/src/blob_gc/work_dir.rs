//! Leftovers of interrupted uploads in the work directory. Each upload works in its own
//! directory there (`storage::uploads::work_dir`), removed when the upload ends; a crash or a kill
//! leaves it behind. Only entries named like those the api-shim makes are considered, so a
//! work directory shared with something else (`SMELTER_WORK_DIR=/tmp`) loses nothing else.

use std::{
    io,
    path::{Path, PathBuf},
    time::{Duration, SystemTime},
};

/// An upload's directory untouched for this long is a leftover: a live upload writes into it
/// as the body arrives and while the package is assembled, and the longest quiet step, storing
/// the finished zip, takes minutes even for the 1 GiB limit.
pub const STALE_AFTER: Duration = Duration::from_secs(3600);

/// One leftover that could not be removed.
#[derive(Debug, thiserror::Error)]
#[error("failed to remove the upload leftover {}", path.display())]
pub struct RemoveError {
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

/// Removes every entry of `dir` whose name starts with one of `prefixes` and in which nothing
/// has changed since `now - stale_after`. Returns the entries removed and the failures. An
/// entry that vanishes meanwhile (its upload finished, another replica removed it) is neither.
/// Blocking: run it off the async workers.
pub fn remove_stale(
    dir: &Path,
    prefixes: &[&str],
    now: SystemTime,
    stale_after: Duration,
) -> (Vec<PathBuf>, Vec<RemoveError>) {
    let mut removed = Vec::new();
    let mut failed = Vec::new();
    let cutoff = now
        .checked_sub(stale_after)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        // No work directory yet: no leftovers.
        Err(e) if e.kind() == io::ErrorKind::NotFound => return (removed, failed),
        Err(source) => {
            failed.push(RemoveError {
                path: dir.to_owned(),
                source,
            });
            return (removed, failed);
        }
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let ours = name
            .to_str()
            .is_some_and(|n| prefixes.iter().any(|p| n.starts_with(p)));
        if !ours {
            continue;
        }
        let path = entry.path();
        match newest_change(&path) {
            Ok(Some(newest)) if newest <= cutoff => {}
            Ok(_) => continue,
            Err(source) => {
                failed.push(RemoveError { path, source });
                continue;
            }
        }
        let result = if entry.file_type().is_ok_and(|t| t.is_dir()) {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        match result {
            Ok(()) => removed.push(path),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(source) => failed.push(RemoveError { path, source }),
        }
    }
    (removed, failed)
}

/// The latest modification time of `path` and everything under it (symlinks not followed),
/// or `None` if it is gone.
fn newest_change(path: &Path) -> io::Result<Option<SystemTime>> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut newest = meta.modified()?;
    if meta.is_dir() {
        let entries = match std::fs::read_dir(path) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        for entry in entries {
            if let Some(t) = newest_change(&entry?.path())? {
                newest = newest.max(t);
            }
        }
    }
    Ok(Some(newest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn age(path: &Path, by: Duration) {
        let when = SystemTime::now() - by;
        std::fs::File::open(path)
            .and_then(|f| f.set_modified(when))
            .expect("set mtime");
    }

    #[test]
    fn only_our_quiet_leftovers_go() {
        let work = tempfile::tempdir().expect("tempdir");
        let dir = work.path();
        let two_hours = Duration::from_secs(7200);
        let make = |name: &str, file_age: Duration, dir_age: Duration| {
            let d = dir.join(name);
            std::fs::create_dir_all(d.join("check")).expect("mkdir");
            std::fs::write(d.join("check/upload.zip"), b"zip").expect("write");
            age(&d.join("check/upload.zip"), file_age);
            age(&d.join("check"), dir_age);
            age(&d, dir_age);
            d
        };
        let stale = make("package-stale1", two_hours, two_hours);
        // Its directory is old but a file deep inside is still being written.
        let busy = make("buildpack-busy1", Duration::ZERO, two_hours);
        let fresh = make("builtin-fresh1", Duration::ZERO, Duration::ZERO);
        // Not ours, however old.
        let foreign = make("someone-else", two_hours, two_hours);
        let stale_file = dir.join("package-file");
        std::fs::write(&stale_file, b"x").expect("write");
        age(&stale_file, two_hours);

        let (removed, failed) = remove_stale(
            dir,
            &["package-", "buildpack-", "builtin-"],
            SystemTime::now(),
            STALE_AFTER,
        );
        assert!(failed.is_empty(), "{failed:?}");
        let mut removed = removed;
        removed.sort();
        assert_eq!(removed, vec![stale_file, stale.clone()]);
        assert!(!stale.exists());
        assert!(busy.exists() && fresh.exists() && foreign.exists());

        // Nothing left to do; a missing work directory is not an error.
        let (removed, failed) = remove_stale(dir, &["package-"], SystemTime::now(), STALE_AFTER);
        assert!(removed.is_empty() && failed.is_empty());
        let (removed, failed) = remove_stale(
            &dir.join("missing"),
            &["package-"],
            SystemTime::now(),
            STALE_AFTER,
        );
        assert!(removed.is_empty() && failed.is_empty());
    }
}
