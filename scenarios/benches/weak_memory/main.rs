//! The weak memory benchmark: interleave's weak memory model against loom 0.7, both exploring
//! exhaustively, on the litmus tests (`tests/tests/litmus/programs.rs`) and on the catalog's
//! weak-memory scenarios (interleave runs the catalog's bodies, loom their ports in
//! `ports.rs`). For each: executions and time to exhaust the program, or, for a bug, the
//! executions until the first detection.
//!
//! `cargo bench -p interleave-scenarios --bench weak_memory`. Loom runs in a child process (this
//! binary, re-executed with `--loom`): its runtime and interleave's engine never share a
//! process, and its failure output stays out of the table.

use std::process::{Command, Stdio};
use std::time::Instant;

use interleave::{Config, MemoryModel};
use interleave_scenarios::{catalog, Category};

// The litmus programs are one file, compiled once against each facade.
#[expect(clippy::duplicate_mod, reason = "one program text, two facades")]
mod on_interleave;
mod on_loom;

/// One program's measurement: executions run, milliseconds, and whether it found a bug (then
/// the executions are those until the first detection).
struct Measure {
    executions: u64,
    millis: f64,
    found: bool,
}

impl Measure {
    fn cell(&self) -> String {
        let what = if self.found {
            "found in"
        } else {
            "exhausted in"
        };
        format!("{what} {} ({:.1} ms)", self.executions, self.millis)
    }
}

fn interleave(body: impl Fn() + Send + Sync + 'static) -> Measure {
    let start = Instant::now();
    let report = Config::exhaustive()
        .memory_model(MemoryModel::Weak)
        .write_artifact(false)
        .env_overrides(false)
        .explore(body);
    let millis = start.elapsed().as_secs_f64() * 1000.0;
    Measure {
        executions: report.failing_execution.unwrap_or(report.executions),
        millis,
        found: !report.is_clean(),
    }
}

fn loom_model(body: impl Fn() + Send + Sync + 'static) -> Measure {
    static EXECUTIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    EXECUTIONS.store(0, std::sync::atomic::Ordering::Relaxed);
    let start = Instant::now();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        loom::model(move || {
            EXECUTIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            body();
        });
    }));
    Measure {
        executions: EXECUTIONS.load(std::sync::atomic::Ordering::Relaxed),
        millis: start.elapsed().as_secs_f64() * 1000.0,
        found: result.is_err(),
    }
}

/// The child: every program under loom, one line each (`name executions millis found`).
fn loom_child() {
    std::panic::set_hook(Box::new(|_| {}));
    let print =
        |name: &str, m: Measure| println!("{name} {} {} {}", m.executions, m.millis, m.found);
    for program in on_loom::programs::PROGRAMS {
        let run = program.run;
        print(
            program.name,
            loom_model(move || {
                run();
            }),
        );
    }
    for &(name, body) in on_loom::ports::PORTS {
        print(name, loom_model(body));
    }
}

fn main() {
    if std::env::args().any(|a| a == "--loom") {
        loom_child();
        return;
    }
    let mut rows: Vec<(String, Measure)> = Vec::new();
    for program in on_interleave::programs::PROGRAMS {
        eprintln!("interleave: {}", program.name);
        let run = program.run;
        rows.push((
            program.name.to_owned(),
            interleave(move || {
                run();
            }),
        ));
    }
    for scenario in catalog()
        .into_iter()
        .filter(|s| s.category == Category::WeakMemory)
    {
        eprintln!("interleave: {}", scenario.name);
        rows.push((scenario.name.to_owned(), interleave(scenario.body)));
    }
    eprintln!("loom (child process)…");
    let child = Command::new(std::env::current_exe().expect("this benchmark's path"))
        .arg("--loom")
        .stderr(Stdio::null())
        .output()
        .expect("the loom child runs");
    let loom: Vec<(String, Measure)> = String::from_utf8_lossy(&child.stdout)
        .lines()
        .filter_map(|line| {
            let mut fields = line.split(' ');
            let name = fields.next()?.to_owned();
            let executions = fields.next()?.parse().ok()?;
            let millis = fields.next()?.parse().ok()?;
            let found = fields.next()? == "true";
            Some((
                name,
                Measure {
                    executions,
                    millis,
                    found,
                },
            ))
        })
        .collect();
    println!("| program | interleave (weak, DPOR) | loom 0.7 |");
    println!("|---|---|---|");
    for (name, measure) in &rows {
        let theirs = loom
            .iter()
            .find(|(n, _)| n == name)
            .map_or_else(|| "n/a".to_owned(), |(_, m)| m.cell());
        println!("| `{name}` | {} | {theirs} |", measure.cell());
    }
}
