//! The benchmark's results: a markdown table for people, JSON for tools.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use interleave::Kind;
use serde_json::{json, Value};

use crate::measure::{LoomOutcome, Runs, Throughput};
use crate::settings::Settings;

/// One bug scenario's measurements.
#[derive(Debug)]
pub(crate) struct Row {
    pub(crate) name: &'static str,
    pub(crate) expected: Kind,
    pub(crate) interleave_random: Runs,
    pub(crate) interleave_pct: Runs,
    /// `None`: no shuttle port.
    pub(crate) shuttle_random: Option<Result<Runs, String>>,
    pub(crate) shuttle_pct: Option<Result<Runs, String>>,
    pub(crate) loom: LoomOutcome,
}

/// Everything one run measured.
#[derive(Debug)]
pub(crate) struct Results {
    pub(crate) settings: Settings,
    pub(crate) command: String,
    pub(crate) rows: Vec<Row>,
    pub(crate) throughput: Vec<Throughput>,
    pub(crate) seconds: f64,
}

impl Results {
    pub(crate) fn markdown(&self) -> String {
        let (seeds, cap) = (self.settings.seeds, self.settings.cap);
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Executions until the first detection: median over {seeds} seeds, capped at {cap} \
             (`> {cap}`: the median seed found nothing; `(k/{seeds})`: only k seeds found it; \
             `*`: some seeds' first finding was another kind). Loom: executions until it failed \
             the model, or how far it got.\n"
        );
        out.push_str(
            "| scenario | expected | interleave random | interleave PCT | shuttle random | shuttle PCT | loom |\n",
        );
        out.push_str("|---|---|---:|---:|---:|---:|---|\n");
        for row in &self.rows {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} | {} | {} |",
                row.name,
                row.expected.name(),
                runs_cell(&row.interleave_random, seeds, cap),
                runs_cell(&row.interleave_pct, seeds, cap),
                shuttle_cell(row.shuttle_random.as_ref(), seeds, cap),
                shuttle_cell(row.shuttle_pct.as_ref(), seeds, cap),
                loom_cell(&row.loom),
            );
        }
        if !self.throughput.is_empty() {
            let _ = writeln!(
                out,
                "\nExecutions per second on clean programs (random strategy, {} executions per \
                 measurement, median of 5 alternating rounds):\n",
                self.settings.throughput_executions
            );
            out.push_str(
                "| scenario | interleave (all analyses) | raw shuttle | interleave / shuttle |\n",
            );
            out.push_str("|---|---:|---:|---:|\n");
            for t in &self.throughput {
                let _ = writeln!(
                    out,
                    "| `{}` | {:.0} | {:.0} | {:.2} |",
                    t.scenario,
                    t.interleave,
                    t.shuttle,
                    t.interleave / t.shuttle
                );
            }
        }
        out
    }

    pub(crate) fn json(&self) -> Value {
        json!({
            "command": self.command,
            "seeds": self.settings.seeds,
            "cap": self.settings.cap,
            "loom_timeout_seconds": self.settings.loom_timeout.as_secs(),
            "filter": self.settings.filter,
            "cpus": std::thread::available_parallelism().map(usize::from).unwrap_or(1),
            "seconds": self.seconds,
            "scenarios": self.rows.iter().map(row_json).collect::<Vec<_>>(),
            "throughput": self.throughput.iter().map(|t| json!({
                "scenario": t.scenario,
                "interleave_executions_per_second": t.interleave,
                "shuttle_executions_per_second": t.shuttle,
            })).collect::<Vec<_>>(),
        })
    }

    /// Executions run by each engine.
    pub(crate) fn totals(&self) -> (u64, u64, u64) {
        let interleave = self
            .rows
            .iter()
            .map(|r| r.interleave_random.executions + r.interleave_pct.executions)
            .sum();
        let shuttle = self
            .rows
            .iter()
            .flat_map(|r| [&r.shuttle_random, &r.shuttle_pct])
            .filter_map(|runs| runs.as_ref()?.as_ref().ok())
            .map(|runs| runs.executions)
            .sum();
        let loom =
            self.rows
                .iter()
                .map(|r| match r.loom {
                    LoomOutcome::Found { execution, .. } => execution,
                    LoomOutcome::Exhausted { executions }
                    | LoomOutcome::Stopped { executions, .. } => executions,
                    LoomOutcome::Skipped(_) | LoomOutcome::Error(_) => 0,
                })
                .sum();
        (interleave, shuttle, loom)
    }
}

fn runs_cell(runs: &Runs, seeds: u64, cap: u64) -> String {
    let mut cell = match runs.median() {
        Some(median) if median.fract() == 0.0 => format!("{median:.0}"),
        Some(median) => format!("{median:.1}"),
        None => format!("> {cap}"),
    };
    let found = runs.found() as u64;
    if found < seeds {
        let _ = write!(cell, " ({found}/{seeds})");
    }
    if runs.other_kind > 0 {
        cell.push('*');
    }
    cell
}

fn shuttle_cell(runs: Option<&Result<Runs, String>>, seeds: u64, cap: u64) -> String {
    match runs {
        None => "n/a".to_owned(),
        Some(Ok(runs)) => runs_cell(runs, seeds, cap),
        Some(Err(error)) => format!("error: {error}"),
    }
}

fn loom_cell(outcome: &LoomOutcome) -> String {
    match outcome {
        LoomOutcome::Skipped(why) => format!("n/a: {why}"),
        LoomOutcome::Found {
            execution,
            what,
            aborted,
        } => {
            let abort = if *aborted && what != "abort" {
                ", abort"
            } else {
                ""
            };
            format!("{execution} ({what}{abort})")
        }
        LoomOutcome::Exhausted { executions } => format!("none: exhausted after {executions}"),
        LoomOutcome::Stopped { executions, why } => format!("none in {executions} ({why})"),
        LoomOutcome::Error(error) => format!("error: {error}"),
    }
}

fn runs_json(runs: &Runs) -> Value {
    json!({
        "found_at": runs.found_at,
        "median": runs.median(),
        "found": runs.found(),
        "other_kind_first": runs.other_kind,
        "executions": runs.executions,
    })
}

fn shuttle_json(runs: Option<&Result<Runs, String>>) -> Value {
    match runs {
        None => Value::Null,
        Some(Ok(runs)) => runs_json(runs),
        Some(Err(error)) => json!({ "error": error }),
    }
}

fn row_json(row: &Row) -> Value {
    let loom = match &row.loom {
        LoomOutcome::Skipped(why) => json!({ "outcome": "skipped", "why": why }),
        LoomOutcome::Found {
            execution,
            what,
            aborted,
        } => {
            json!({ "outcome": "found", "execution": execution, "what": what, "aborted": aborted })
        }
        LoomOutcome::Exhausted { executions } => {
            json!({ "outcome": "exhausted", "executions": executions })
        }
        LoomOutcome::Stopped { executions, why } => {
            json!({ "outcome": "stopped", "executions": executions, "why": why })
        }
        LoomOutcome::Error(error) => json!({ "outcome": "error", "error": error }),
    };
    json!({
        "scenario": row.name,
        "expected": row.expected.name(),
        "interleave": { "random": runs_json(&row.interleave_random), "pct": runs_json(&row.interleave_pct) },
        "shuttle": { "random": shuttle_json(row.shuttle_random.as_ref()), "pct": shuttle_json(row.shuttle_pct.as_ref()) },
        "loom": loom,
    })
}

/// `target/interleave/comparison.json`, for the target directory this bench was built in.
pub(crate) fn json_path() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            // …/target/<profile>/deps/comparison-<hash>
            let exe = std::env::current_exe().ok()?;
            exe.ancestors().nth(3).map(Path::to_path_buf)
        })
        .unwrap_or_else(|| PathBuf::from("target"));
    target.join("interleave").join("comparison.json")
}
