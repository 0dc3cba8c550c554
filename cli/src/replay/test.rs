//! A test's artifact: `cargo test` runs exactly that one test (its package, target, features
//! and profile, in its package's directory), with `INTERLEAVE_REPLAY` set — or, for
//! `--recheck`, with the artifact's strategy, seed and budget. The check leaves a ledger record
//! in a scratch artifact directory; the verdict comes from that record, never from the test's
//! output or exit status alone.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;

use interleave::{Artifact, CheckResult, LedgerMode, LedgerRecord, TargetKind, TestRerun};
use interleave_detector::printable_line;

use super::{recheck_verdict, verdict, Summary};
use crate::app::Result;
use crate::exit::{CliError, FINDINGS, OK};

pub(super) fn run(
    path: &Path,
    artifact: &Artifact,
    rerun: &TestRerun,
    recheck: bool,
) -> Result<u8> {
    // cargo runs tests in their package's directory: the path must not be relative.
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let root = crate::cargo::workspace_root()?;
    let dir = rerun.directory(&root);
    if !dir.join("Cargo.toml").is_file() {
        return Err(CliError::NotInWorkspace {
            path: path.to_owned(),
            workdir: rerun.workdir.clone().unwrap_or_default(),
            root,
        });
    }
    let scratch = crate::cargo::scratch_dir(if recheck { "recheck" } else { "replay" })?;
    let args = rerun.cargo_args();
    let mut command = crate::cargo::command();
    // Only what `Artifact::read` checked reaches the command line: names, a relative directory,
    // and the test after `--`, for libtest.
    if let Some(flags) = rerun.rustflags() {
        // The test was built with `--cfg …` (a loom suite): without it, it would not be there.
        let rustflags = match std::env::var("RUSTFLAGS") {
            Ok(user) if !user.trim().is_empty() => format!("{user} {flags}"),
            _ => flags,
        };
        command.env("RUSTFLAGS", rustflags);
    }
    command
        .args(&args)
        .current_dir(&dir)
        .env("INTERLEAVE_ARTIFACT_DIR", &scratch)
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    let shown = if recheck {
        command
            .env_remove("INTERLEAVE_REPLAY")
            .env("INTERLEAVE_STRATEGY", &artifact.strategy)
            .env("INTERLEAVE_SEED", artifact.seed.to_string());
        let mut variables = format!(
            "INTERLEAVE_STRATEGY={} INTERLEAVE_SEED={}",
            artifact.strategy, artifact.seed
        );
        if artifact.budget > 0 {
            command.env("INTERLEAVE_ITERATIONS", artifact.budget.to_string());
            variables.push_str(&format!(" INTERLEAVE_ITERATIONS={}", artifact.budget));
        }
        // The check's preemption bound: without it, a bug only the bounded search reaches
        // within the budget would look fixed.
        // A bound in this shell's environment is not the check's: only the code's, if any.
        match artifact.max_preemptions {
            Some(bound) => {
                command.env("INTERLEAVE_MAX_PREEMPTIONS", bound.to_string());
                variables.push_str(&format!(" INTERLEAVE_MAX_PREEMPTIONS={bound}"));
            }
            None => {
                command.env_remove("INTERLEAVE_MAX_PREEMPTIONS");
            }
        }
        // Accepted findings must not end the check before its budget: the workspace's
        // baseline, as `interleave ci` reads it, unless one is given.
        let baseline = root.join(crate::ci::DEFAULT_BASELINE);
        if std::env::var_os("INTERLEAVE_BASELINE").is_none() && baseline.is_file() {
            command.env("INTERLEAVE_BASELINE", &baseline);
            variables.push_str(&format!(" INTERLEAVE_BASELINE={}", baseline.display()));
        }
        let rustflags = rerun
            .rustflags()
            .map(|flags| format!("RUSTFLAGS=\"{flags}\" "))
            .unwrap_or_default();
        format!("{rustflags}{variables} cargo {}", args.join(" "))
    } else {
        command.env("INTERLEAVE_REPLAY", &absolute);
        rerun.command_line(&absolute)
    };
    let in_dir = if std::env::current_dir().is_ok_and(|cwd| cwd == dir) {
        String::new()
    } else {
        format!("  (in {})", dir.display())
    };
    eprintln!("interleave: {}{in_dir}", printable_line(&shown));
    let error = |source| CliError::Cargo {
        command: shown.clone(),
        source,
    };
    let mut child = command.spawn().map_err(error)?;
    let stdout = child.stdout.take().expect("stdout is piped");
    // libtest prints `test <name> ... ok` (or `FAILED`) for each test it ran.
    let ran_line = format!("test {} ... ", rerun.test);
    let doc = rerun
        .target
        .as_ref()
        .is_some_and(|t| t.kind == TargetKind::Doc);
    let mut ran = false;
    let streamed = BufReader::new(stdout).lines().try_for_each(|line| {
        let line = line.map_err(error)?;
        ran |= line.starts_with(&ran_line) || (doc && line.starts_with("test "));
        crate::output::print_verbatim(&format!("{line}\n"))
    });
    if let Err(e) = streamed {
        let _ = child.kill();
        let _ = child.wait();
        let _ = std::fs::remove_dir_all(&scratch);
        return Err(e);
    }
    let status = child.wait().map_err(error)?;
    let mode = if recheck {
        LedgerMode::Explore
    } else {
        LedgerMode::Replay
    };
    let records = LedgerRecord::read_dir(&scratch);
    let mut records: Vec<LedgerRecord> = records?
        .into_iter()
        .filter(|r| r.mode == mode && r.check == artifact.check)
        .collect();
    // Several checks of the artifact's name may have run (a doc test's, a loop's): the one
    // that found something speaks first.
    records.sort_by_key(|r| match r.result {
        CheckResult::Findings => 0,
        CheckResult::Clean => 1,
        CheckResult::Diverged => 2,
        CheckResult::Error => 3,
    });
    let Some(record) = records.into_iter().next() else {
        let _ = std::fs::remove_dir_all(&scratch);
        return Err(if ran {
            CliError::NoCheckRecord {
                command: shown,
                check: artifact.check.clone(),
                did: if recheck {
                    "ran"
                } else {
                    "replayed the artifact"
                },
            }
        } else {
            CliError::NoSuchTest {
                command: shown,
                test: rerun.test.clone(),
            }
        });
    };
    let found: Vec<(String, &'static str)> = record
        .findings
        .iter()
        .chain(&record.accepted)
        .map(|f| (f.fingerprint.clone(), f.kind.name()))
        .collect();
    let keep = recheck && record.result == CheckResult::Findings;
    if !keep {
        let _ = std::fs::remove_dir_all(&scratch);
    }
    let what = if recheck { "recheck" } else { "replay" };
    match record.result {
        CheckResult::Diverged => {
            return Err(CliError::ReplayDiverged {
                path: path.to_owned(),
                message: record.message.unwrap_or_default(),
            })
        }
        CheckResult::Error => {
            return Err(CliError::CheckFailed {
                what,
                path: path.to_owned(),
                message: record.message.unwrap_or_default(),
            })
        }
        CheckResult::Clean | CheckResult::Findings => {}
    }
    if recheck {
        let summary = Summary {
            executions: record.executions,
            strategy: record.strategy_and_bound(),
            seed: record.seed,
            complete: record.complete,
        };
        let new: Vec<(String, &'static str)> = record
            .findings
            .iter()
            .map(|f| (f.fingerprint.clone(), f.kind.name()))
            .collect();
        let (line, code) = recheck_verdict(&artifact.findings, &found, &new, &summary);
        eprintln!("interleave: {line}");
        if keep {
            match &record.artifact {
                Some(written) => {
                    let kept = keep_beside(&scratch, written, &absolute)
                        .unwrap_or_else(|| scratch.join(written));
                    eprintln!("interleave: its artifact: {}", kept.display());
                }
                None => {
                    let _ = std::fs::remove_dir_all(&scratch);
                }
            }
        }
        if code == OK && !status.success() {
            return Err(CliError::FailedOtherwise {
                what,
                path: path.to_owned(),
            });
        }
        return Ok(code);
    }
    // The replay accepted what the check accepted: what it found besides is what counts.
    let replayed: Vec<(String, &'static str)> = record
        .findings
        .iter()
        .map(|f| (f.fingerprint.clone(), f.kind.name()))
        .collect();
    let line = verdict(&artifact.findings, &replayed);
    eprintln!("interleave: {line}");
    if replayed.is_empty() {
        if !status.success() {
            return Err(CliError::FailedOtherwise {
                what,
                path: path.to_owned(),
            });
        }
        return Ok(OK);
    }
    Ok(FINDINGS)
}

/// Moves the artifact a recheck wrote (file `written` in its `scratch` directory) next to the
/// one it rechecked (`original`), and removes the scratch directory; returns where it is now,
/// or `None` (the scratch directory stays) if it cannot be put there. It keeps its name, unless
/// another file has it: the rechecked artifact itself, when the finding is found again with
/// the same fingerprint. A file of that name with the same bytes is the same artifact; else it
/// is named `<name>-recheck.json` (`-recheck-2`, … if taken). Nothing is overwritten.
fn keep_beside(scratch: &Path, written: &str, original: &Path) -> Option<std::path::PathBuf> {
    // A file name, as the check writes it; anything else stays where it is.
    let stem = written.strip_suffix(".json").filter(|stem| {
        Path::new(written).file_name() == Some(written.as_ref()) && !stem.is_empty()
    })?;
    let bytes = std::fs::read(scratch.join(written)).ok()?;
    let dir = original.parent()?;
    let candidates = std::iter::once(format!("{stem}.json")).chain((1..100).map(|n| match n {
        1 => format!("{stem}-recheck.json"),
        n => format!("{stem}-recheck-{n}.json"),
    }));
    for name in candidates {
        let path = dir.join(name);
        match std::fs::read(&path) {
            Ok(existing) if existing == bytes => {
                let _ = std::fs::remove_dir_all(scratch);
                return Some(path);
            }
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(_) => continue,
        }
        let mut file = match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(_) => return None,
        };
        use std::io::Write;
        if file
            .write_all(&bytes)
            .and_then(|()| file.sync_all())
            .is_err()
        {
            drop(file);
            let _ = std::fs::remove_file(&path);
            return None;
        }
        let _ = std::fs::remove_dir_all(scratch);
        return Some(path);
    }
    None
}
