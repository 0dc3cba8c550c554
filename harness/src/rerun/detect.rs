//! Reading the rerun information from the test process: its environment, its arguments, the
//! test binary's path and cargo's record of how that binary was built.

use std::path::{Path, PathBuf};

use super::{Target, TargetKind, TestRerun};

pub(super) fn detect(test: String) -> TestRerun {
    let exe = crate::artifact::current_exe();
    let doc_test = exe.is_some_and(is_doc_test);
    let package = std::env::var("CARGO_PKG_NAME")
        .ok()
        .filter(|p| !p.is_empty());
    let mut rerun = TestRerun {
        package,
        test,
        ignored: ignored(std::env::args().skip(1)),
        workdir: manifest_workdir(),
        cfgs: super::built_with_cfgs(),
        ..TestRerun::default()
    };
    if doc_test {
        // rustdoc runs each doc test as its own program, with no `--ignored` of libtest's.
        rerun.target = Some(Target {
            kind: TargetKind::Doc,
            name: std::env::var("CARGO_CRATE_NAME").unwrap_or_default(),
        });
        rerun.ignored = Some(false);
        return rerun;
    }
    // The binary does not change while it runs: its build is read once per process.
    static BUILD: std::sync::OnceLock<Option<Build>> = std::sync::OnceLock::new();
    if let Some(build) = BUILD.get_or_init(|| exe.and_then(build_of)) {
        rerun.target.clone_from(&build.target);
        rerun.profile.clone_from(&build.profile);
        if let Some((features, declared)) = &build.features {
            rerun.no_default_features =
                declared.iter().any(|f| f == "default") && !features.iter().any(|f| f == "default");
            rerun.features = features
                .iter()
                .filter(|f| *f != "default")
                .cloned()
                .collect();
        }
    }
    rerun
}

/// rustdoc builds each doc test as `rust_out` in a `rustdoctest…` temporary directory.
fn is_doc_test(exe: &Path) -> bool {
    exe.file_stem().is_some_and(|s| s == "rust_out")
        || exe
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|d| d.to_string_lossy().starts_with("rustdoctest"))
}

/// `--ignored`: libtest runs only ignored tests; `--include-ignored`: both; neither: none.
fn ignored(args: impl Iterator<Item = String>) -> Option<bool> {
    let mut ignored = Some(false);
    for arg in args {
        match arg.as_str() {
            "--ignored" => ignored = Some(true),
            "--include-ignored" => return None,
            _ => {}
        }
    }
    ignored
}

/// What the test binary's path and cargo's fingerprint say about its build.
#[derive(Debug, Default, PartialEq)]
struct Build {
    target: Option<Target>,
    profile: Option<String>,
    /// The features it was built with, and those the package declares.
    features: Option<(Vec<String>, Vec<String>)>,
}

/// `<target>/<profile>/deps/<crate>-<hash>`: the profile from its directory, the target and
/// features from `<target>/<profile>/.fingerprint/<package>-<hash>/<unit>.json`.
fn build_of(exe: &Path) -> Option<Build> {
    let deps = exe.parent()?;
    if deps.file_name()? != "deps" {
        return None;
    }
    let profile_dir = deps.parent()?;
    let mut build = Build {
        profile: profile(&profile_dir.file_name()?.to_string_lossy()),
        ..Build::default()
    };
    let stem = exe.file_stem()?.to_string_lossy().into_owned();
    let hash = stem.rsplit_once('-')?.1;
    let package = std::env::var("CARGO_PKG_NAME").ok()?;
    let fingerprint = profile_dir
        .join(".fingerprint")
        .join(format!("{package}-{hash}"));
    for entry in std::fs::read_dir(&fingerprint).ok()?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(target) = name.strip_suffix(".json").and_then(unit_target) else {
            continue;
        };
        build.target = Some(target);
        build.features = read_limited(&entry.path()).and_then(|json| features(&json));
        break;
    }
    Some(build)
}

/// The profile a `target/<dir>` holds: `debug` is `dev` (and `test`), anything else is named
/// after its profile (`release`, custom ones).
fn profile(dir: &str) -> Option<String> {
    (dir != "debug").then(|| dir.to_owned())
}

/// cargo names a unit's fingerprint `<mode>-<kind>-<target name>`: `test-lib-bank`,
/// `test-integration-test-transfers`, `test-bin-server`, `test-bench-b`, `test-example-e`.
fn unit_target(unit: &str) -> Option<Target> {
    let rest = unit
        .strip_prefix("test-")
        .or_else(|| unit.strip_prefix("bench-"))?;
    let kinds = [
        ("lib-", TargetKind::Lib),
        ("bin-", TargetKind::Bin),
        ("integration-test-", TargetKind::Test),
        ("bench-", TargetKind::Bench),
        ("example-", TargetKind::Example),
    ];
    kinds.into_iter().find_map(|(prefix, kind)| {
        let name = rest.strip_prefix(prefix)?;
        (!name.is_empty()).then(|| Target {
            kind,
            name: name.to_owned(),
        })
    })
}

/// The fingerprint's `features` and `declared_features`: each a string holding a list
/// (`"[\"a\", \"default\"]"`).
fn features(json: &str) -> Option<(Vec<String>, Vec<String>)> {
    let value: serde_json::Value = serde_json::from_str(json).ok()?;
    let list = |field: &str| -> Option<Vec<String>> {
        match value.get(field)? {
            serde_json::Value::String(text) => serde_json::from_str(text).ok(),
            _ => None,
        }
    };
    Some((
        list("features")?,
        list("declared_features").unwrap_or_default(),
    ))
}

/// A small file as text (a fingerprint is under a kilobyte; more is not one).
fn read_limited(path: &Path) -> Option<String> {
    use std::io::Read as _;
    let mut text = String::new();
    std::fs::File::open(path)
        .ok()?
        .take(1 << 20)
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

/// [`workdir`] of `CARGO_MANIFEST_DIR`, found once per value of the variable: finding it reads
/// the `Cargo.toml` of each ancestor directory, which took as long as a short check.
fn manifest_workdir() -> Option<String> {
    use std::sync::{Mutex, PoisonError};
    static FOUND: Mutex<Option<(std::ffi::OsString, Option<String>)>> = Mutex::new(None);
    let dir = std::env::var_os("CARGO_MANIFEST_DIR")?;
    let mut found = FOUND.lock().unwrap_or_else(PoisonError::into_inner);
    match &*found {
        Some((seen, workdir)) if *seen == dir => workdir.clone(),
        _ => {
            let workdir = workdir(Path::new(&dir));
            *found = Some((dir, workdir.clone()));
            workdir
        }
    }
}

/// The package directory relative to its workspace's root: the nearest ancestor (or itself)
/// whose `Cargo.toml` has a `[workspace]` table, as cargo looks for it; the package's own
/// directory when none has.
fn workdir(manifest_dir: &Path) -> Option<String> {
    let root = workspace_root(manifest_dir).unwrap_or_else(|| manifest_dir.to_owned());
    let relative = manifest_dir.strip_prefix(&root).ok()?;
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_str().map(str::to_owned))
        .collect::<Option<_>>()?;
    Some(if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    })
}

fn workspace_root(manifest_dir: &Path) -> Option<PathBuf> {
    manifest_dir
        .ancestors()
        .find(|dir| {
            read_limited(&dir.join("Cargo.toml")).is_some_and(|toml| {
                toml.lines()
                    .any(|line| line.trim_start().starts_with("[workspace]"))
            })
        })
        .map(Path::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(kind: TargetKind, name: &str) -> Option<Target> {
        Some(Target {
            kind,
            name: name.to_owned(),
        })
    }

    #[test]
    fn units_name_their_target() {
        assert_eq!(
            unit_target("test-lib-bank"),
            target(TargetKind::Lib, "bank")
        );
        assert_eq!(
            unit_target("test-integration-test-my-test"),
            target(TargetKind::Test, "my-test")
        );
        assert_eq!(
            unit_target("test-bin-my-bin"),
            target(TargetKind::Bin, "my-bin")
        );
        assert_eq!(unit_target("test-bench-b"), target(TargetKind::Bench, "b"));
        assert_eq!(
            unit_target("test-example-e"),
            target(TargetKind::Example, "e")
        );
        // Not a test build: a library or binary built for its own sake.
        assert_eq!(unit_target("lib-bank"), None);
        assert_eq!(unit_target("bin-server"), None);
        assert_eq!(unit_target("test-lib-"), None);
    }

    #[test]
    fn features_and_declared_features_are_lists_in_strings() {
        let json = r#"{"rustc":1,"features":"[\"b\", \"x.y\"]","declared_features":"[\"a\", \"b\", \"default\", \"x.y\"]","target":2}"#;
        assert_eq!(
            features(json),
            Some((
                vec!["b".to_owned(), "x.y".to_owned()],
                vec![
                    "a".to_owned(),
                    "b".to_owned(),
                    "default".to_owned(),
                    "x.y".to_owned()
                ]
            ))
        );
        assert_eq!(features(r#"{"features":"[]"}"#), Some((vec![], vec![])));
        assert_eq!(features("{}"), None);
        assert_eq!(features("not json"), None);
    }

    #[test]
    fn profiles_ignored_tests_and_doc_tests() {
        assert_eq!(profile("debug"), None);
        assert_eq!(profile("release"), Some("release".to_owned()));
        assert_eq!(profile("ci"), Some("ci".to_owned()));
        let args = |a: &[&str]| ignored(a.iter().map(|s| (*s).to_owned()));
        assert_eq!(args(&["--nocapture"]), Some(false));
        assert_eq!(args(&["x", "--exact", "--ignored"]), Some(true));
        assert_eq!(args(&["--ignored", "--include-ignored"]), None);
        assert!(is_doc_test(Path::new("/tmp/rustdoctestAbc/rust_out")));
        assert!(!is_doc_test(Path::new("/t/debug/deps/bank-0123")));
    }

    #[test]
    fn this_test_binary_is_the_library_of_the_harness_in_its_workspace() {
        let rerun = detect("rerun::detect::tests::x".to_owned());
        assert_eq!(rerun.package.as_deref(), Some("interleave-check"));
        assert_eq!(rerun.workdir.as_deref(), Some("harness"));
        assert_eq!(rerun.target, target(TargetKind::Lib, "interleave"));
        assert!(rerun.features.is_empty() && !rerun.no_default_features);
    }
}
