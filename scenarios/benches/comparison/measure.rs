//! The parent side: interleave measured in-process, raw shuttle and raw loom in children.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use interleave::{Config, Kind};
use interleave_scenarios::Scenario;
use shuttle::scheduler::RandomScheduler;
use shuttle::{FailurePersistence, MaxSteps, Runner};

use crate::child::MAX_STEPS;

/// Executions until the first detection, per seed (`None`: not within the cap).
#[derive(Clone, Debug, Default)]
pub(crate) struct Runs {
    pub(crate) found_at: Vec<Option<u64>>,
    /// Seeds whose first finding was not of the expected kind (interleave only).
    pub(crate) other_kind: u64,
    /// Executions run over all seeds.
    pub(crate) executions: u64,
}

impl Runs {
    /// The median over the seeds, a not-found seed counting as infinitely many executions:
    /// `None` if the median is not found. For an even count, the mean of the middle two.
    pub(crate) fn median(&self) -> Option<f64> {
        let mut sorted: Vec<u64> = self
            .found_at
            .iter()
            .map(|n| n.unwrap_or(u64::MAX))
            .collect();
        sorted.sort_unstable();
        let n = sorted.len();
        if n == 0 {
            return None;
        }
        let (low, high) = (sorted[(n - 1) / 2], sorted[n / 2]);
        (high != u64::MAX).then(|| (low as f64 + high as f64) / 2.0)
    }

    pub(crate) fn found(&self) -> usize {
        self.found_at.iter().filter(|n| n.is_some()).count()
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Strategy {
    Random,
    Pct,
}

impl Strategy {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Strategy::Random => "random",
            Strategy::Pct => "pct",
        }
    }
}

/// interleave on the catalog scenario itself, seeds 0, 1, …
pub(crate) fn interleave(
    scenario: &Scenario,
    expected: Kind,
    strategy: Strategy,
    seeds: u64,
    cap: u64,
) -> Runs {
    let mut runs = Runs::default();
    for seed in 0..seeds {
        // The scenario's own configuration (its memory model: the weak-memory bugs exist only
        // under the weak model), with the strategy and budget measured here.
        let config = scenario.config().executions(cap).strategy(match strategy {
            Strategy::Random => interleave::Strategy::Random,
            Strategy::Pct => interleave::Strategy::Pct { depth: 3 },
        });
        let report = config
            .seed(seed)
            .max_steps(MAX_STEPS as u64)
            .name(scenario.name)
            .write_artifact(false)
            .explore(scenario.body);
        runs.executions += report.executions;
        runs.found_at.push(report.failing_execution);
        if report.failing_execution.is_some()
            && !report.findings.iter().any(|f| f.kind() == expected)
        {
            runs.other_kind += 1;
        }
    }
    runs
}

/// Raw shuttle on the port, in a child process.
pub(crate) fn shuttle(
    name: &str,
    strategy: Strategy,
    seeds: u64,
    cap: u64,
) -> Result<Runs, String> {
    let output = child_command()
        .args([
            "shuttle",
            name,
            strategy.name(),
            &seeds.to_string(),
            &cap.to_string(),
        ])
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("run the shuttle child: {e}"))?;
    if !output.status.success() {
        return Err(format!("the shuttle child failed ({})", output.status));
    }
    let mut runs = Runs::default();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["found", _seed, n] => {
                let n: u64 = n.parse().map_err(|_| format!("bad child line {line:?}"))?;
                runs.executions += n;
                runs.found_at.push(Some(n));
            }
            ["capped", _seed] => {
                runs.executions += cap;
                runs.found_at.push(None);
            }
            _ => return Err(format!("bad child line {line:?}")),
        }
    }
    if runs.found_at.len() as u64 != seeds {
        return Err(format!(
            "the shuttle child reported {} of {seeds} seeds",
            runs.found_at.len()
        ));
    }
    Ok(runs)
}

/// How a loom model ended.
#[derive(Clone, Debug)]
pub(crate) enum LoomOutcome {
    /// The port does not fit loom.
    Skipped(&'static str),
    /// Loom failed the model in this execution (a panic, or an abort with guards held).
    Found {
        execution: u64,
        what: String,
        aborted: bool,
    },
    /// Every execution explored, none failed.
    Exhausted { executions: u64 },
    /// Stopped at the cap or the time limit without a failure.
    Stopped { executions: u64, why: &'static str },
    /// The child could not run.
    Error(String),
}

/// Raw loom on the port, in a child process that announces every execution on stdout.
pub(crate) fn loom(name: &str, cap: u64, timeout: Duration) -> LoomOutcome {
    if let Err(why) = crate::ports::loom(name) {
        return LoomOutcome::Skipped(why);
    }
    let mut child = match child_command()
        .args([
            "loom",
            name,
            &cap.to_string(),
            &timeout.as_secs().to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) => return LoomOutcome::Error(format!("run the loom child: {e}")),
    };
    let stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let progress = std::thread::spawn(move || {
        let (mut last, mut done) = (0, None);
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(n) = line.strip_prefix("execution ") {
                last = n.parse().unwrap_or(last);
            } else if let Some(n) = line.strip_prefix("done ") {
                done = n.parse().ok();
            }
        }
        (last, done)
    });
    let messages = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    // The child stops itself at the time limit; this is the backstop if it cannot.
    let start = Instant::now();
    let deadline = start + timeout + Duration::from_secs(30);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) | Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    let (last, done) = progress.join().unwrap_or((0, None));
    let stderr = messages.join().unwrap_or_default();
    match (status, done) {
        (None, _) => LoomOutcome::Stopped {
            executions: last,
            why: "time limit",
        },
        (Some(status), Some(executions)) if status.success() => {
            // The cap, the time limit and exhaustion all return normally.
            if executions >= cap {
                LoomOutcome::Stopped {
                    executions,
                    why: "cap",
                }
            } else if start.elapsed() >= timeout {
                LoomOutcome::Stopped {
                    executions,
                    why: "time limit",
                }
            } else {
                LoomOutcome::Exhausted { executions }
            }
        }
        (Some(status), _) => LoomOutcome::Found {
            execution: last,
            what: classify_loom_failure(&stderr),
            aborted: status.code().is_none(),
        },
    }
}

/// What loom's panic message says it found.
fn classify_loom_failure(stderr: &str) -> String {
    let message = stderr
        .lines()
        .skip_while(|line| !line.contains("panicked at"))
        .nth(1)
        .unwrap_or("")
        .trim();
    if message.contains("deadlock") {
        "deadlock".to_owned()
    } else if message.contains("maximum number of branches") {
        "branch limit".to_owned()
    } else if message.contains("invalid internal loom state") {
        // What loom says when a thread read-locks an RwLock it already holds.
        "internal error".to_owned()
    } else if message.is_empty() {
        "abort".to_owned()
    } else {
        "panic".to_owned()
    }
}

fn child_command() -> Command {
    let exe = std::env::current_exe().expect("the bench knows its own path");
    let mut command = Command::new(exe);
    command.arg("--child");
    // Raw shuttle would take its seed from here instead of from the child's arguments.
    command.env_remove("SHUTTLE_RANDOM_SEED");
    command
}

/// Executions per second of interleave (random strategy, every analysis on) and of raw
/// shuttle's random scheduler on the same clean program, measured in alternating rounds in
/// this process.
#[derive(Clone, Debug)]
pub(crate) struct Throughput {
    pub(crate) scenario: &'static str,
    pub(crate) interleave: f64,
    pub(crate) shuttle: f64,
}

pub(crate) fn throughput(
    scenario: &Scenario,
    port: fn(),
    executions: u64,
    rounds: usize,
) -> Throughput {
    let mut interleave_rates = Vec::new();
    let mut shuttle_rates = Vec::new();
    for round in 0..rounds {
        let start = Instant::now();
        // One thread, as shuttle: executions per second of one core.
        let report = Config::random(executions)
            .seed(round as u64)
            .jobs(1)
            .max_steps(MAX_STEPS as u64)
            .name(scenario.name)
            .write_artifact(false)
            .explore(scenario.body);
        assert!(report.is_clean(), "{report}");
        interleave_rates.push(executions as f64 / start.elapsed().as_secs_f64());

        let mut config = shuttle::Config::new();
        config.failure_persistence = FailurePersistence::None;
        config.max_steps = MaxSteps::FailAfter(MAX_STEPS);
        config.silence_warnings = true;
        let start = Instant::now();
        let ran = Runner::new(
            RandomScheduler::new_from_seed(round as u64, executions as usize),
            config,
        )
        .run(port);
        assert_eq!(ran as u64, executions);
        shuttle_rates.push(executions as f64 / start.elapsed().as_secs_f64());
    }
    Throughput {
        scenario: scenario.name,
        interleave: median(interleave_rates),
        shuttle: median(shuttle_rates),
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
