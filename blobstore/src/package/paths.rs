//! Pure checks on paths inside a package: entry names, symlink targets, modes, and the shape
//! of the whole tree. No I/O, so each rule has a table test.

use std::collections::{BTreeSet, HashMap};

/// Why a path or target was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TreeProblem {
    /// Two entries with the same path.
    Duplicate { path: String },
    /// An entry below a file or symlink.
    Conflict { path: String, ancestor: String },
}

/// Normalizes a relative `/`-separated path: drops empty and `.` segments.
///
/// `None` if it is absolute, climbs with `..`, or uses Windows forms (`\`, `C:`) that some
/// unzip tools would honour. `Some("")` is the package root itself.
pub(crate) fn normalize(raw: &str) -> Option<String> {
    if raw.contains('\0') || raw.contains('\\') || raw.starts_with('/') || has_drive(raw) {
        return None;
    }
    let mut segments = Vec::new();
    for segment in raw.split('/') {
        match segment {
            "" | "." => {}
            // Refused even when it would stay inside ("a/../b"): no real client sends it, and
            // an unzip tool that resolves it differently could be led astray.
            ".." => return None,
            s => segments.push(s),
        }
    }
    Some(segments.join("/"))
}

/// `C:` or `C:foo` as a first segment, which Windows treats as a drive.
fn has_drive(raw: &str) -> bool {
    let b = raw.as_bytes();
    b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':'
}

/// Whether a symlink at `link` (a normalized path) pointing to `target` stays inside the
/// package.
///
/// `..` is allowed only as a leading run (`../../lib/x`): the link's own directory is a real
/// directory (entries below symlinks are refused by [`check_tree`]), so those steps resolve
/// lexically. A `..` after a name (`s/../x`) would be resolved by the kernel *after*
/// following `s` if it is itself a symlink, which a lexical check cannot predict.
pub(crate) fn symlink_stays_inside(link: &str, target: &str) -> bool {
    if target.is_empty()
        || target.contains('\0')
        || target.contains('\\')
        || target.starts_with('/')
        || has_drive(target)
    {
        return false;
    }
    // Depth of the directory holding the link.
    let mut depth = link.split('/').count().saturating_sub(1);
    let mut seen_name = false;
    for segment in target.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                if seen_name || depth == 0 {
                    return false;
                }
                depth -= 1;
            }
            _ => seen_name = true,
        }
    }
    true
}

/// Permission bits from a resource's mode text (CC parses it as octal, ignoring file-type
/// bits). `None` if it is not octal or lacks owner read+write, which CC refuses too.
pub(crate) fn parse_resource_mode(raw: &str) -> Option<u32> {
    if raw.is_empty() || raw.len() > 7 || !raw.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return None;
    }
    let mode = u32::from_str_radix(raw, 8).ok()? & 0o777;
    (mode & 0o600 == 0o600).then_some(mode)
}

/// Checks that paths are unique and nothing sits below a non-directory; returns the
/// directories only implied by deeper paths, so the package can list them explicitly.
pub(crate) fn check_tree<'a>(
    entries: impl IntoIterator<Item = (&'a str, bool)>,
) -> Result<BTreeSet<String>, TreeProblem> {
    let mut is_dir_by_path: HashMap<&str, bool> = HashMap::new();
    for (path, is_dir) in entries {
        if is_dir_by_path.insert(path, is_dir).is_some() {
            return Err(TreeProblem::Duplicate {
                path: path.to_owned(),
            });
        }
    }
    let mut implied = BTreeSet::new();
    for path in is_dir_by_path.keys() {
        for (i, _) in path.match_indices('/') {
            let ancestor = &path[..i];
            match is_dir_by_path.get(ancestor) {
                Some(true) => {}
                Some(false) => {
                    return Err(TreeProblem::Conflict {
                        path: (*path).to_owned(),
                        ancestor: ancestor.to_owned(),
                    });
                }
                None => {
                    implied.insert(ancestor.to_owned());
                }
            }
        }
    }
    Ok(implied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_table() {
        let cases: &[(&str, Option<&str>)] = &[
            ("a/b.txt", Some("a/b.txt")),
            ("./a//b/", Some("a/b")),
            ("./", Some("")),
            ("../x", None),
            ("a/../../x", None),
            ("a/../b", None),
            ("/etc/passwd", None),
            ("C:/Windows", None),
            ("c:evil", None),
            ("a\\..\\..\\x", None),
            ("a\0b", None),
            ("dir:with:colons/ok", Some("dir:with:colons/ok")),
        ];
        for (raw, want) in cases {
            assert_eq!(normalize(raw).as_deref(), *want, "{raw:?}");
        }
    }

    #[test]
    fn symlink_table() {
        let cases: &[(&str, &str, bool)] = &[
            ("a", "b", true),
            ("a", "./b/c", true),
            ("d/a", "../b", true),
            ("d/e/a", "../../b", true),
            ("a", "../b", false),
            ("d/a", "../../b", false),
            ("a", "/etc/passwd", false),
            ("a", "C:/x", false),
            ("a", "..\\x", false),
            ("a", "", false),
            ("a", "s/../x", false),
            ("d/a", "..", true),
            ("a", ".", true),
        ];
        for (link, target, want) in cases {
            assert_eq!(
                symlink_stays_inside(link, target),
                *want,
                "{link} -> {target}"
            );
        }
    }

    #[test]
    fn resource_mode_table() {
        let cases: &[(&str, Option<u32>)] = &[
            ("644", Some(0o644)),
            ("0755", Some(0o755)),
            ("100644", Some(0o644)),
            ("600", Some(0o600)),
            ("444", None),
            ("", None),
            ("9", None),
            ("rw-", None),
        ];
        for (raw, want) in cases {
            assert_eq!(parse_resource_mode(raw), *want, "{raw:?}");
        }
    }

    #[test]
    fn tree_checks() {
        let implied = check_tree([("a/b/c", false), ("a", true), ("x", false)]).unwrap();
        assert_eq!(implied.into_iter().collect::<Vec<_>>(), vec!["a/b"]);

        assert_eq!(
            check_tree([("a", false), ("a", false)]),
            Err(TreeProblem::Duplicate { path: "a".into() })
        );
        assert_eq!(
            check_tree([("l", false), ("l/passwd", false)]),
            Err(TreeProblem::Conflict {
                path: "l/passwd".into(),
                ancestor: "l".into()
            })
        );
    }
}
