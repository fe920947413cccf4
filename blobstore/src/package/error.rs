//! Why a package was refused (the client's fault, a CF 422) or could not be built (ours).

use std::path::{Path, PathBuf};

use super::paths::TreeProblem;
use crate::resources::PoolError;

const INVALID: &str = "The uploaded package is invalid";

/// Errors from [`assemble`](super::assemble). Those for which [`PackageError::is_invalid`] is true are the
/// client's fault: render them as a CF 422 with `to_string()` as the detail.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// An entry name that is absolute, climbs with `..`, or uses Windows drive/backslash forms.
    #[error("{INVALID}: path '{path}' escapes the package")]
    UnsafePath { path: String },
    /// A symlink whose target is absolute or resolves outside the package (or is too long
    /// or not UTF-8 to check).
    #[error("{INVALID}: symlink '{path}' points outside the package")]
    SymlinkEscapes { path: String },
    /// A device, pipe or socket entry.
    #[error("{INVALID}: entry '{path}' is not a file, directory or symlink")]
    SpecialFile { path: String },
    /// An encrypted entry, which could not be checked.
    #[error("{INVALID}: entry '{path}' is encrypted")]
    Encrypted { path: String },
    /// Two entries (uploaded or matched) at the same path after normalization.
    #[error("{INVALID}: path '{path}' appears more than once")]
    DuplicatePath { path: String },
    /// An entry below a file or symlink, e.g. a symlink `l` and a file `l/passwd`.
    #[error("{INVALID}: path '{path}' is below '{ancestor}', which is not a directory")]
    PathConflict { path: String, ancestor: String },
    /// Declared or actual extracted bytes over [`Limits::max_uncompressed`](super::Limits).
    #[error("{INVALID}: uncompressed size exceeds {max} bytes")]
    UncompressedTooLarge { max: u64 },
    /// Uploaded or assembled zip over [`Limits::max_package_bytes`](super::Limits).
    #[error("{INVALID}: package size exceeds {max} bytes")]
    PackageTooLarge { max: u64 },
    /// More entries than [`Limits::max_entries`](super::Limits).
    #[error("{INVALID}: more than {max} entries")]
    TooManyEntries { max: usize },
    /// Not a zip, cut short, a bad CRC, or sizes that do not match the data.
    #[error("{INVALID}: the zip archive is truncated or corrupt")]
    Corrupt,
    /// A compression method or zip feature this build does not read.
    #[error("{INVALID}: the zip archive uses an unsupported feature ({what})")]
    Unsupported { what: String },
    /// A matched resource path that is empty or unsafe; CC's `AppResourcesFilePathInvalid`
    /// text.
    #[error("File path '{path}' is not safe.")]
    ResourcePathUnsafe { path: String },
    /// A matched resource mode that is not octal or lacks owner read+write; CC's
    /// `AppResourcesFileModeInvalid` text.
    #[error("File mode '{mode}' is invalid. Minimum file mode is '0600'")]
    ResourceModeInvalid { mode: String },
    /// A matched resource whose checksum is not a SHA-1.
    #[error("{INVALID}: resource '{path}' has an invalid checksum '{sha1}'")]
    ResourceChecksumInvalid { path: String, sha1: String },
    /// A matched resource the pool does not have (with that size).
    #[error("{INVALID}: resource {sha1} is not in the resource pool")]
    ResourceNotInPool { sha1: String },

    /// Server side: a local file could not be read or written.
    #[error("failed to {action} '{}'", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Server side: the zip writer failed.
    #[error("failed to write the package zip")]
    Write(#[source] zip::result::ZipError),
    /// Server side: the resource pool failed.
    #[error("failed to use the resource pool")]
    Pool(#[source] Box<PoolError>),
    /// Server side: a blocking task panicked or was cancelled.
    #[error("failed to run the package assembly task")]
    Task(#[source] tokio::task::JoinError),
}

impl PackageError {
    /// Whether the package itself is at fault (a 422), rather than the server (a 500).
    pub fn is_invalid(&self) -> bool {
        !matches!(
            self,
            Self::Io { .. } | Self::Write(_) | Self::Pool(_) | Self::Task(_)
        )
    }

    pub(crate) fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.to_owned();
        move |source| Self::Io {
            action,
            path,
            source,
        }
    }
}

impl From<TreeProblem> for PackageError {
    fn from(problem: TreeProblem) -> Self {
        match problem {
            TreeProblem::Duplicate { path } => Self::DuplicatePath { path },
            TreeProblem::Conflict { path, ancestor } => Self::PathConflict { path, ancestor },
        }
    }
}
