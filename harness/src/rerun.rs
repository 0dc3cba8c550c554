//! How to run a test's check again: which package, target, test, features, profile and working
//! directory, read from the test process itself, and the one `cargo test` command line they
//! make (printed after a finding, run by `interleave replay`).
//!
//! cargo tells a running test little: `CARGO_PKG_NAME` and `CARGO_MANIFEST_DIR`, and libtest
//! names the test's thread after the test. The rest comes from the test binary's path,
//! `<target>/<profile>/deps/<crate>-<hash>`: the profile is its directory, and cargo's record of
//! the build of that binary, `<target>/<profile>/.fingerprint/<package>-<hash>/`, holds one file
//! named after the unit (`test-integration-test-<name>.json`, `test-lib-<name>.json`, …) whose
//! JSON lists the features it was built with. That record is cargo's internal format: read
//! leniently, and when it is missing or reads otherwise (a binary copied elsewhere, a nextest
//! archive, a future cargo) the target and features stay unknown and the command selects the
//! test by name only (`docs/ci.md` says so).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

mod detect;

/// The kind of a cargo target, as `cargo test` selects it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// The library's unit tests: `--lib`.
    Lib,
    /// A binary's unit tests: `--bin <name>`.
    Bin,
    /// An integration test: `--test <name>`.
    Test,
    /// A benchmark target run as a test: `--bench <name>`.
    Bench,
    /// An example's tests: `--example <name>`.
    Example,
    /// The library's doc tests: `--doc`.
    Doc,
}

/// A cargo target of the package: its kind and name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Target {
    /// What kind of target.
    pub kind: TargetKind,
    /// Its name, as `Cargo.toml` (or cargo's discovery) names it.
    pub name: String,
}

impl Target {
    /// The flags that select it: `--lib`, `--test e2e`, …
    pub fn cargo_args(&self) -> Vec<String> {
        let named = |flag: &str| vec![flag.to_owned(), self.name.clone()];
        match self.kind {
            TargetKind::Lib => vec!["--lib".to_owned()],
            TargetKind::Doc => vec!["--doc".to_owned()],
            TargetKind::Bin => named("--bin"),
            TargetKind::Test => named("--test"),
            TargetKind::Bench => named("--bench"),
            TargetKind::Example => named("--example"),
        }
    }
}

/// How to run one test again: `cargo test -p <package> <target> <features> <profile> --
/// <test> --exact`, in `workdir`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestRerun {
    /// The package, when cargo ran the test.
    pub package: Option<String>,
    /// The target the test is in (`None`: unknown; the test is then selected by name only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Target>,
    /// The test's path, as libtest names it.
    pub test: String,
    /// The package's features the test was built with, `default` left out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<String>,
    /// The package declares default features and the test was built without them.
    #[serde(default, skip_serializing_if = "is_false")]
    pub no_default_features: bool,
    /// The cargo profile, when not `dev` (`release`, or a custom one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// Whether the test is `#[ignore]`d: `Some(true)` when libtest ran ignored tests only
    /// (`--ignored`), `Some(false)` when it ran none, `None` when it ran both or it is not
    /// known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignored: Option<bool>,
    /// The package's directory relative to its workspace's root (`.` for the root package),
    /// with `/` between components: where cargo runs the test.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workdir: Option<String>,
    /// `--cfg` names the test was built with that a library told the harness of
    /// ([`built_with_cfg`]: interleave-loom says `loom`): a replay passes them in `RUSTFLAGS`,
    /// or the test would not be compiled at all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cfgs: Vec<String>,
}

/// The `--cfg` names libraries said the test process was built with (see [`built_with_cfg`]).
static BUILT_WITH_CFGS: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());

/// Tells the harness the test process was built with `--cfg name` (a library compiled with it
/// sees `cfg!(name)`), so that an artifact's replay command passes it in `RUSTFLAGS`:
/// interleave-loom calls it with `loom`, as loom suites run under `RUSTFLAGS="--cfg loom"`.
#[doc(hidden)]
pub fn built_with_cfg(name: &'static str) {
    let mut cfgs = BUILT_WITH_CFGS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !cfgs.contains(&name) {
        cfgs.push(name);
        cfgs.sort_unstable();
    }
}

/// The names given to [`built_with_cfg`] so far, sorted.
pub(crate) fn built_with_cfgs() -> Vec<String> {
    BUILT_WITH_CFGS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
        .map(|&name| name.to_owned())
        .collect()
}

fn is_false(value: &bool) -> bool {
    !*value
}

impl TestRerun {
    /// The rerun information of `test`, read from this test process (see the module docs).
    pub(crate) fn detect(test: String) -> TestRerun {
        detect::detect(test)
    }

    /// The arguments after `cargo`: `test -p bank --test transfers --features audit --release
    /// -- transfers::ab_ba --exact`. Ignored tests (or tests that may be) add
    /// `--include-ignored`, which runs the one selected test whether it is ignored or not.
    pub fn cargo_args(&self) -> Vec<String> {
        let mut args = vec!["test".to_owned()];
        if let Some(package) = &self.package {
            args.extend(["-p".to_owned(), package.clone()]);
        }
        if let Some(target) = &self.target {
            args.extend(target.cargo_args());
        }
        if self.no_default_features {
            args.push("--no-default-features".to_owned());
        }
        if !self.features.is_empty() {
            args.extend(["--features".to_owned(), self.features.join(",")]);
        }
        match self.profile.as_deref() {
            None => {}
            Some("release") => args.push("--release".to_owned()),
            Some(profile) => args.extend(["--profile".to_owned(), profile.to_owned()]),
        }
        args.push("--".to_owned());
        // A doc test's name is not known to the test (rustdoc names it after the file and
        // line): every doc test of the package runs, and only a check of the artifact's name
        // replays it.
        if self
            .target
            .as_ref()
            .is_none_or(|t| t.kind != TargetKind::Doc)
        {
            args.extend([self.test.clone(), "--exact".to_owned()]);
        }
        if self.ignored != Some(false) {
            args.push("--include-ignored".to_owned());
        }
        args
    }

    /// The command line that replays `artifact`:
    /// `INTERLEAVE_REPLAY=<artifact> cargo test -p … -- <test> --exact` (run anywhere in the
    /// workspace: `-p` selects the package), after `RUSTFLAGS="--cfg …"` when the test was
    /// built with [`cfgs`](Self::cfgs).
    pub fn command_line(&self, artifact: &Path) -> String {
        let rustflags = self
            .rustflags()
            .map(|flags| format!("RUSTFLAGS=\"{flags}\" "))
            .unwrap_or_default();
        format!(
            "{rustflags}INTERLEAVE_REPLAY={} cargo {}",
            artifact.display(),
            self.cargo_args().join(" ")
        )
    }

    /// `--cfg loom`: the `RUSTFLAGS` the test was built with that a replay needs, if any.
    pub fn rustflags(&self) -> Option<String> {
        (!self.cfgs.is_empty()).then(|| {
            self.cfgs
                .iter()
                .map(|name| format!("--cfg {name}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
    }

    /// The directory to run cargo in, given the workspace's root: `root/workdir`.
    pub fn directory(&self, root: &Path) -> PathBuf {
        match self.workdir.as_deref() {
            None | Some(".") => root.to_owned(),
            Some(workdir) => workdir.split('/').fold(root.to_owned(), |p, c| p.join(c)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rerun() -> TestRerun {
        TestRerun {
            package: Some("bank".to_owned()),
            test: "tests::ab_ba".to_owned(),
            ignored: Some(false),
            ..TestRerun::default()
        }
    }

    #[test]
    fn the_command_selects_one_test_of_one_target_with_its_features_and_profile() {
        assert_eq!(
            rerun().cargo_args().join(" "),
            "test -p bank -- tests::ab_ba --exact"
        );
        let full = TestRerun {
            target: Some(Target {
                kind: TargetKind::Test,
                name: "transfer-tests".to_owned(),
            }),
            features: vec!["audit".to_owned(), "x.y".to_owned()],
            no_default_features: true,
            profile: Some("release".to_owned()),
            ignored: None,
            ..rerun()
        };
        assert_eq!(
            full.cargo_args().join(" "),
            "test -p bank --test transfer-tests --no-default-features --features audit,x.y \
             --release -- tests::ab_ba --exact --include-ignored"
        );
        assert_eq!(
            full.command_line(Path::new("/t/a.json")),
            format!(
                "INTERLEAVE_REPLAY=/t/a.json cargo {}",
                full.cargo_args().join(" ")
            )
        );
        let custom = TestRerun {
            profile: Some("ci".to_owned()),
            target: Some(Target {
                kind: TargetKind::Lib,
                name: "bank".to_owned(),
            }),
            ignored: Some(true),
            ..rerun()
        };
        assert_eq!(
            custom.cargo_args().join(" "),
            "test -p bank --lib --profile ci -- tests::ab_ba --exact --include-ignored"
        );
        let doc = TestRerun {
            target: Some(Target {
                kind: TargetKind::Doc,
                name: "bank".to_owned(),
            }),
            ..rerun()
        };
        assert_eq!(doc.cargo_args().join(" "), "test -p bank --doc --");
    }

    #[test]
    fn a_test_built_with_cfgs_replays_with_them_in_rustflags() {
        let plain = rerun();
        assert_eq!(plain.rustflags(), None);
        assert!(plain
            .command_line(Path::new("/t/a.json"))
            .starts_with("INTERLEAVE_REPLAY=/t/a.json cargo test"));
        let loom = TestRerun {
            cfgs: vec!["loom".to_owned()],
            ..rerun()
        };
        assert_eq!(loom.rustflags().as_deref(), Some("--cfg loom"));
        assert_eq!(
            loom.command_line(Path::new("/t/a.json")),
            format!(
                "RUSTFLAGS=\"--cfg loom\" INTERLEAVE_REPLAY=/t/a.json cargo {}",
                rerun().cargo_args().join(" ")
            )
        );
    }

    #[test]
    fn a_rerun_written_before_these_fields_reads_with_their_defaults() {
        let old: crate::Rerun =
            serde_json::from_str(r#"{"test": {"package": "bank", "test": "tests::ab_ba"}}"#)
                .unwrap();
        let expected = TestRerun {
            ignored: None,
            ..rerun()
        };
        assert_eq!(old, crate::Rerun::Test(expected.clone()));
        // And a new one writes only what it knows, in the same shape.
        assert_eq!(
            serde_json::to_string(&crate::Rerun::Test(expected)).unwrap(),
            r#"{"test":{"package":"bank","test":"tests::ab_ba"}}"#
        );
    }

    #[test]
    fn the_directory_is_the_workdir_under_the_root() {
        let root = Path::new("/ws");
        assert_eq!(rerun().directory(root), root);
        let member = TestRerun {
            workdir: Some("crates/bank".to_owned()),
            ..rerun()
        };
        assert_eq!(member.directory(root), Path::new("/ws/crates/bank"));
    }
}
