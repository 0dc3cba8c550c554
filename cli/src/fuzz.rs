//! Every subcommand, in-process, against thousands of mutants of real artifacts and traces:
//! `explain` (text, JSON, HTML), `graph` (DOT, SVG), `replay` of catalog scenarios (the library's
//! `interleave::replay`) and `analyze`. A mutant may be refused (exit 2) or shown (0 or 1); no
//! subcommand may panic (exit 101), abort, hang, or allocate past a cap. The mutants run in a
//! child process under `ulimit -v` and a time limit, which writes down each mutant before it
//! runs it: an abort or a hang names the seed and the mutant. The binary gets a smaller sample
//! in `tests/cli/fuzz.rs`; the mutator is `tests/cli/mutate.rs`.

#[path = "../tests/cli/mutate.rs"]
mod mutate;

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use interleave::Rerun;
use interleave_detector::{ExecutionTrace, Trace, TRACE_FORMAT_VERSION};

use self::mutate::Mutator;
use crate::exit::{FINDINGS, INPUT, OK};

/// The mutator's seed; `INTERLEAVE_FUZZ_SEED` explores other mutants. A failure names it.
const SEED: u64 = 0x5eed_1e4f;
/// Catalog scenarios whose artifacts are mutated: every kind of finding, a prior execution,
/// timers, a self-deadlock, a panic.
const SCENARIOS: [&str; 8] = [
    "lock-order/ab-ba",
    "lock-order/read-write-read",
    "condvar/lost-wakeup",
    "channel/recv-holding-lock",
    "atomicity/relaxed-publication",
    "atomicity/lost-update",
    "guard-lifetime/if-let-scrutinee",
    "timeout/event-loop-first-timer",
];
/// Mutants of each scenario's artifact, and of its trace as a trace file.
const ARTIFACT_MUTANTS: usize = 500;
const TRACE_MUTANTS: usize = 100;
/// The address space of the child process: 1 GiB.
const MEMORY_KIB: u64 = 1 << 20;
/// The whole run, generously (it takes well under a minute in a debug build).
const TIMEOUT: Duration = Duration::from_secs(300);
/// Where the child process works, when the parent names no directory.
const DIR_VARIABLE: &str = "INTERLEAVE_FUZZ_DIR";

/// [`SEED`], or the one `INTERLEAVE_FUZZ_SEED` gives.
fn seed() -> u64 {
    std::env::var("INTERLEAVE_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SEED)
}

#[test]
fn mutants_never_crash_hang_or_allocate_without_bound() {
    let dir = std::env::temp_dir().join(format!("interleave-fuzz-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (stdout, stderr) = (dir.join("stdout"), dir.join("stderr"));
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {MEMORY_KIB} && exec \"$0\" \"$@\""))
        .arg(std::env::current_exe().unwrap())
        .args(["fuzz::worker", "--exact", "--ignored", "--nocapture"])
        .args(["--test-threads", "1"])
        .env(DIR_VARIABLE, &dir)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout).unwrap())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let read = |path: &Path| std::fs::read_to_string(path).unwrap_or_default();
    let tail = |text: String| {
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    };
    let ran = read(&stdout);
    let summary = ran
        .lines()
        .find_map(|l| l.find("fuzz: ").map(|at| &l[at..]));
    match status {
        Some(status) if status.success() && summary.is_some() => {
            println!("{}", summary.unwrap_or_default());
            let _ = std::fs::remove_dir_all(&dir);
        }
        _ => panic!(
            "the fuzz worker {}; the mutant it was at (seed {:#x}): {}\n\
             (its file is {})\n── stdout ──\n{}\n── stderr ──\n{}",
            status.map_or_else(
                || format!("still ran after {TIMEOUT:?}"),
                |s| format!("ended with {s}")
            ),
            seed(),
            read(&dir.join("current")),
            dir.join("mutant.json").display(),
            tail(ran),
            tail(read(&stderr)),
        ),
    }
}

/// The child process of [`mutants_never_crash_hang_or_allocate_without_bound`].
#[test]
#[ignore = "run by mutants_never_crash_hang_or_allocate_without_bound, under a memory cap"]
fn worker() {
    let dir = std::env::var_os(DIR_VARIABLE).map_or_else(
        || std::env::temp_dir().join(format!("interleave-fuzz-{}", std::process::id())),
        PathBuf::from,
    );
    std::fs::create_dir_all(&dir).unwrap();
    let mut mutator = Mutator::new(seed());
    // Exit codes by subcommand.
    let mut codes: std::collections::BTreeMap<&str, [usize; 3]> = Default::default();
    let mut ran = 0;
    for name in SCENARIOS {
        let artifact = artifact_of(name, &dir.join("artifacts"));
        let text = std::fs::read_to_string(&artifact).unwrap();
        for i in 0..ARTIFACT_MUTANTS {
            let (bytes, mutations) = mutator.mutant(&text);
            let path = write_mutant(
                &dir,
                &format!("{name} artifact mutant {i}"),
                &bytes,
                &mutations,
            );
            for (command, code) in artifact_commands(&path) {
                check(command, code, name, i, &mutations);
                codes.entry(command).or_default()[usize::from(code)] += 1;
                ran += 1;
            }
        }
        let trace = trace_of(&artifact);
        for i in 0..TRACE_MUTANTS {
            let (bytes, mutations) = mutator.mutant(&trace);
            let path = write_mutant(
                &dir,
                &format!("{name} trace mutant {i}"),
                &bytes,
                &mutations,
            );
            for json in [false, true] {
                let code = run(|| crate::analyze::render(&path, json).map(|(_, code)| code));
                let command = if json { "analyze --json" } else { "analyze" };
                check(command, code, name, i, &mutations);
                codes.entry(command).or_default()[usize::from(code)] += 1;
                ran += 1;
            }
        }
    }
    let mutants = SCENARIOS.len() * (ARTIFACT_MUTANTS + TRACE_MUTANTS);
    let by_command: Vec<String> = codes
        .iter()
        .map(|(command, [ok, findings, input])| format!("{command} {ok}/{findings}/{input}"))
        .collect();
    println!(
        "fuzz: {mutants} mutants, {ran} subcommand runs; exit 0/1/2 by subcommand: {}",
        by_command.join(", ")
    );
    // The mutants reach more than one outcome of each subcommand: some are refused, some shown.
    for (command, counts) in &codes {
        let outcomes = counts.iter().filter(|&&n| n > 0).count();
        assert!(outcomes >= 2, "{command}: {counts:?}");
    }
}

/// The artifact `run` writes for the catalog scenario `name`, written by the harness in this
/// process.
fn artifact_of(name: &str, dir: &Path) -> PathBuf {
    let scenario = interleave_scenarios::find(name).expect("in the catalog");
    let config = scenario.config().env_overrides(false).artifact_dir(dir);
    let outcome = scenario.try_run_with(config).expect("the check runs");
    assert!(outcome.as_expected, "{name}");
    outcome.report.artifact.expect("an artifact")
}

/// The artifact's events as a trace file's JSON.
fn trace_of(artifact: &Path) -> String {
    let artifact = interleave::Artifact::read(artifact).unwrap();
    Trace {
        format_version: TRACE_FORMAT_VERSION,
        executions: vec![ExecutionTrace {
            execution: artifact.execution,
            events: artifact.trace,
        }],
    }
    .to_json()
}

/// Writes the mutant, and first what it is, so that an abort or a hang names it.
fn write_mutant(dir: &Path, what: &str, bytes: &[u8], mutations: &[String]) -> PathBuf {
    let description = format!("{what}: {}", mutations.join("; "));
    std::fs::write(dir.join("current"), description).unwrap();
    let path = dir.join("mutant.json");
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Every subcommand that reads an artifact, with its exit code, as `main` would give it.
fn artifact_commands(path: &Path) -> Vec<(&'static str, u8)> {
    use crate::explain::{self, Format as Explain};
    use crate::graph::{self, Format as Graph};

    let mut codes = vec![
        (
            "explain",
            run(|| explain::render(path, Explain::Text).map(|_| OK)),
        ),
        (
            "explain --format json",
            run(|| {
                let json = explain::render(path, Explain::Json)?;
                serde_json::from_str::<serde_json::Value>(&json).expect("explain's JSON parses");
                Ok(OK)
            }),
        ),
        (
            "explain --format html",
            run(|| explain::render(path, Explain::Html).map(|_| OK)),
        ),
        ("graph", run(|| graph::render(path, Graph::Dot).map(|_| OK))),
        (
            "graph --format svg",
            run(|| graph::render(path, Graph::Svg).map(|_| OK)),
        ),
    ];
    // `replay` of a catalog scenario runs in-process (a test's would run cargo).
    codes.push((
        "replay",
        run(|| {
            let artifact = crate::load::artifact(path)?;
            match &artifact.rerun {
                Rerun::Scenario { name } => {
                    crate::replay::replay_scenario(path, &artifact, name).map(|(_, code)| code)
                }
                Rerun::Test(_) => Ok(OK),
            }
        }),
    ));
    codes
}

/// Runs a subcommand as `main` does: its exit code, 0 or 1, or 2 for an error; a panic is 101.
fn run(subcommand: impl FnOnce() -> crate::app::Result<u8>) -> u8 {
    match std::panic::catch_unwind(AssertUnwindSafe(subcommand)) {
        Ok(Ok(code)) => code,
        Ok(Err(_)) => INPUT,
        Err(_) => 101,
    }
}

fn check(command: &str, code: u8, name: &str, i: usize, mutations: &[String]) {
    assert!(
        [OK, FINDINGS, INPUT].contains(&code),
        "`{command}` exited with {code} on mutant {i} of {name} (seed {:#x}): {}",
        seed(),
        mutations.join("; ")
    );
}
