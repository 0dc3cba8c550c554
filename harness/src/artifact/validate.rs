//! The consistency of an artifact read from a file: what `replay`, `explain` and `graph` rely
//! on, checked once when it is read, so that none of them can be led to run a command of the
//! file's choosing, to allocate without bound, or to render something that does not exist.

use interleave_detector::{printable_line, Detail, Detector};

use super::{Artifact, Rerun};
use crate::rerun::TestRerun;
use crate::schedule::Schedule;

/// Checks `artifact`; the first problem as a sentence.
pub(super) fn artifact(artifact: &Artifact) -> Result<(), String> {
    // Reports print these as they are: the harness writes names and identifiers here, never
    // control characters.
    for (field, value) in [
        ("check", &artifact.check),
        ("strategy", &artifact.strategy),
        ("engine", &artifact.engine),
    ] {
        if printable_line(value) != value.as_str() {
            return Err(format!("{field} {value:?} has control characters"));
        }
    }
    rerun(&artifact.rerun)?;
    if let Some(print) = artifact
        .accepted
        .iter()
        .find(|p| p.is_empty() || p.len() > 64 || !p.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        return Err(format!(
            "accepted has {print:?}, which is not a fingerprint (1 to 64 ASCII letters and digits)"
        ));
    }
    schedules(artifact)?;
    memory_model(artifact)?;
    findings(artifact)?;
    trace(artifact)
}

/// Loads choose the store they read only under the weak memory model: an artifact of the
/// sequentially consistent one has no such decision, and no load event naming a store.
fn memory_model(artifact: &Artifact) -> Result<(), String> {
    if artifact.memory_model == crate::MemoryModel::Weak {
        return Ok(());
    }
    let texts = artifact
        .prior
        .iter()
        .map(|p| p.schedule.as_str())
        .chain([artifact.schedule.as_str()]);
    for text in texts {
        let schedule = Schedule::decode(text).map_err(|e| e.to_string())?;
        if let Some(read) = schedule
            .decisions
            .iter()
            .find(|d| matches!(d, crate::Decision::Read(_)))
        {
            return Err(format!(
                "its schedule has a load's choice of store ({}), but its memory model is `sc`",
                Schedule {
                    decisions: vec![*read]
                }
            ));
        }
    }
    let named = artifact.trace.iter().find(|e| {
        matches!(
            e.kind,
            interleave_detector::EventKind::Atomic { reads: Some(_), .. }
        )
    });
    if let Some(event) = named {
        return Err(format!(
            "its trace has a load that names the store it read (step {}), but its memory model is `sc`",
            event.step
        ));
    }
    Ok(())
}

/// `rerun` becomes a command line (`cargo test -p <package> <target> <features> <profile> --
/// <test> --exact`, run in `<workspace>/<workdir>`): only names and a relative path, nothing
/// cargo or a shell could read as anything else.
fn rerun(rerun: &Rerun) -> Result<(), String> {
    match rerun {
        Rerun::Test(test) => test_rerun(test)?,
        Rerun::Scenario { name } => {
            let printable = name.chars().all(|c| c.is_ascii_graphic());
            if name.is_empty() || name.starts_with('-') || !printable {
                return Err(format!(
                    "rerun.scenario {name:?} is not a scenario name (printable ASCII, not \
                     starting with `-`)"
                ));
            }
        }
    }
    Ok(())
}

fn test_rerun(rerun: &TestRerun) -> Result<(), String> {
    if let Some(package) = rerun.package.as_deref().filter(|p| !is_package(p)) {
        return Err(format!(
            "rerun.package {package:?} is not a cargo package name (letters, digits, `-` and \
             `_`, not starting with `-`)"
        ));
    }
    if let Some(name) = rerun
        .target
        .as_ref()
        .map(|t| &t.name)
        .filter(|n| !is_package(n))
    {
        return Err(format!(
            "rerun.target.name {name:?} is not a cargo target name (letters, digits, `-` and \
             `_`, not starting with `-`)"
        ));
    }
    if !is_test_path(&rerun.test) {
        return Err(format!(
            "rerun.test {:?} is not a test path (Rust identifiers joined by `::`)",
            rerun.test
        ));
    }
    if let Some(feature) = rerun.features.iter().find(|f| !is_feature(f)) {
        return Err(format!(
            "rerun.features has {feature:?}, which is not a feature name (letters, digits, `_`, \
             `-`, `+` and `.`, starting with a letter, a digit or `_`)"
        ));
    }
    // A cfg reaches `RUSTFLAGS`: one Rust identifier, nothing cargo or rustc could read as
    // another flag.
    if let Some(cfg) = rerun.cfgs.iter().find(|c| !is_cfg_name(c)) {
        return Err(format!(
            "rerun.cfgs has {cfg:?}, which is not a cfg name (ASCII letters, digits and `_`, not \
             starting with a digit)"
        ));
    }
    if let Some(profile) = rerun.profile.as_deref().filter(|p| !is_package(p)) {
        return Err(format!(
            "rerun.profile {profile:?} is not a profile name (letters, digits, `-` and `_`, not \
             starting with `-`)"
        ));
    }
    if let Some(workdir) = rerun.workdir.as_deref().filter(|w| !is_workdir(w)) {
        return Err(format!(
            "rerun.workdir {workdir:?} is not a relative directory (`.`, or names of letters, \
             digits, `.`, `-` and `_` joined by `/`, none of them `..` or starting with `-`)"
        ));
    }
    Ok(())
}

/// A cargo package name: ASCII letters, digits, `-` and `_`, not starting with `-`.
fn is_package(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A feature name as cargo allows it: ASCII letters, digits, `_`, `-`, `+` and `.`, starting
/// with a letter, a digit or `_`.
fn is_feature(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+' | '.'))
}

/// A relative directory: `.`, or plain names joined by `/` (no `..`, no root, no flag).
fn is_workdir(path: &str) -> bool {
    path == "."
        || path.split('/').all(|part| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && !part.starts_with('-')
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        })
}

/// A test's path as libtest names it: Rust identifiers (raw ones too) joined by `::`.
/// A `--cfg` name: ASCII letters, digits and `_`, not starting with a digit.
fn is_cfg_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

pub(crate) fn is_test_path(path: &str) -> bool {
    path.split("::").all(|segment| {
        let ident = segment.strip_prefix("r#").unwrap_or(segment);
        let mut chars = ident.chars();
        chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
            && chars.all(|c| c == '_' || c.is_alphanumeric())
    })
}

/// Every schedule parses, and all of them together hold at most `MAX_DECISIONS` decisions.
fn schedules(artifact: &Artifact) -> Result<(), String> {
    let mut decisions = 0;
    for prior in &artifact.prior {
        let count = Schedule::count(&prior.schedule, decisions)
            .map_err(|e| format!("prior execution {}: {e}", prior.execution))?;
        decisions += count;
        // One short path digest per decision, and one for the end (4 hex digits each).
        if !prior.digests.is_empty() {
            if prior.digests.len() != 4 * (count + 1) {
                return Err(format!(
                    "prior execution {}: its digests are {} characters long, but its {count} \
                     decisions need {}",
                    prior.execution,
                    prior.digests.len(),
                    4 * (count + 1)
                ));
            }
            crate::schedule::digest::decode(&prior.digests)
                .map_err(|e| format!("prior execution {}: {e}", prior.execution))?;
        }
    }
    Schedule::count(&artifact.schedule, decisions).map_err(|e| e.to_string())?;
    Ok(())
}

/// Each finding is consistent, and those of the failing execution point at steps of its trace.
fn findings(artifact: &Artifact) -> Result<(), String> {
    // Execution 0 is real threads (online detection): no schedule, no trace, and steps that
    // count the online analysis' requests rather than events.
    if artifact.execution == 0 {
        if !artifact.trace.is_empty() || !artifact.schedule.is_empty() || !artifact.prior.is_empty()
        {
            return Err(
                "execution 0 is real threads, which have no trace, schedule or prior executions"
                    .to_owned(),
            );
        }
        for (i, finding) in artifact.findings.iter().enumerate() {
            finding
                .validate()
                .map_err(|reason| format!("finding {i}: {reason}"))?;
        }
        return Ok(());
    }
    let last_step = artifact.trace.last().map_or(0, |e| e.step);
    for (i, finding) in artifact.findings.iter().enumerate() {
        finding
            .validate()
            .map_err(|reason| format!("finding {i}: {reason}"))?;
        if finding.steps.execution != artifact.execution {
            continue;
        }
        let mut steps = vec![finding.steps.last];
        if let Detail::LockCycle { edges } = &finding.detail {
            steps.extend(
                edges
                    .iter()
                    .filter(|e| e.execution == artifact.execution)
                    .map(|e| e.step),
            );
        }
        if let Some(step) = steps.into_iter().find(|&s| s > last_step) {
            return Err(format!(
                "finding {i}: it points at step {step}, after the last step of the trace \
                 ({last_step})"
            ));
        }
    }
    Ok(())
}

/// The trace's steps increase, its ids stay within what it creates, and its events fit together
/// as the detector sees them.
fn trace(artifact: &Artifact) -> Result<(), String> {
    let error =
        |e: interleave_detector::EventError| format!("its trace does not fit together: {e}");
    interleave_detector::validate_events(&artifact.trace).map_err(error)?;
    let mut detector = Detector::new(artifact.detector);
    detector.begin_execution(artifact.execution);
    for event in &artifact.trace {
        detector.observe(event).map_err(error)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_and_workdirs_are_names_only() {
        for good in ["audit", "x.y", "serde+json", "_x", "1a", "a-b"] {
            assert!(is_feature(good), "{good}");
        }
        for bad in ["", "-x", "+x", ".x", "a,b", "a b", "dep:x", "a/b", "$(id)"] {
            assert!(!is_feature(bad), "{bad}");
        }
        for good in [".", "crates/bank", "a.b/c_d", "x-y"] {
            assert!(is_workdir(good), "{good}");
        }
        for bad in [
            "", "/etc", "..", "a/../b", "a//b", "./a", "a/", "-C", "a b", "a;b", "$HOME",
        ] {
            assert!(!is_workdir(bad), "{bad}");
        }
    }

    #[test]
    fn cfgs_are_names_only() {
        for good in ["loom", "_x", "a1"] {
            assert!(is_cfg_name(good), "{good}");
        }
        for bad in [
            "",
            "1a",
            "loom --cfg x",
            "a=\"b\"",
            "-Zx",
            "r#try",
            "é",
            "a\"b",
        ] {
            assert!(!is_cfg_name(bad), "{bad}");
        }
    }

    #[test]
    fn packages_and_test_paths_are_names_only() {
        for good in ["bank", "interleave-cli", "my_crate2", "_x"] {
            assert!(is_package(good), "{good}");
        }
        for bad in ["", "-p", "--config=x", "a b", "a;b", "a/b", "é"] {
            assert!(!is_package(bad), "{bad}");
        }
        for good in ["main", "tests::ab_ba", "a::b::c_1", "r#try::x", "é::ü"] {
            assert!(is_test_path(good), "{good}");
        }
        for bad in [
            "",
            "--config=target.x86_64-unknown-linux-gnu.runner='touch /tmp/pwned'",
            "-x",
            "a b",
            "a::",
            "::a",
            "a:::b",
            "a;b",
            "$(id)",
            "a\nb",
            "1a",
            "a-b",
        ] {
            assert!(!is_test_path(bad), "{bad:?}");
        }
    }
}
