//! The child side: the bench binary re-executed with `--child …` runs raw shuttle or raw loom
//! on one port and reports on stdout, one line per fact. Engines run in children so that
//! their failure output (printed unconditionally by shuttle's engine, loom's panics and
//! aborts) never reaches the table, and so that a loom abort ends only the child.
//!
//! ```text
//! --child shuttle <scenario> <random|pct> <seeds> <cap>   → `found <seed> <n>` | `capped <seed>`
//! --child loom <scenario> <cap> <timeout-secs>            → `execution <n>` …, then `done <n>`
//! ```

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use shuttle::scheduler::{PctScheduler, RandomScheduler};
use shuttle::{FailurePersistence, MaxSteps, Runner};

use crate::ports;

/// interleave's default step bound: an execution past it is a livelock, for shuttle too.
pub(crate) const MAX_STEPS: usize = 20_000;

/// Executions started by the running engine.
static STARTED: AtomicU64 = AtomicU64::new(0);

pub(crate) fn main(args: &[String]) -> Result<(), String> {
    // Shuttle's engine prints through the panic hook; stderr is discarded by the parent, and
    // this keeps the child quiet when run by hand too.
    panic::set_hook(Box::new(|_| {}));
    match args {
        [engine, scenario, strategy, seeds, cap] if engine == "shuttle" => {
            let program =
                ports::shuttle(scenario).ok_or(format!("no shuttle port of {scenario}"))?;
            let strategy = match strategy.as_str() {
                "random" => ShuttleStrategy::Random,
                "pct" => ShuttleStrategy::Pct,
                other => return Err(format!("unknown shuttle strategy {other}")),
            };
            let (seeds, cap) = (parse(seeds)?, parse(cap)?);
            for seed in 0..seeds {
                match shuttle_first_failure(program, strategy, seed, cap) {
                    Some(n) => println!("found {seed} {n}"),
                    None => println!("capped {seed}"),
                }
            }
            Ok(())
        }
        [engine, scenario, cap, timeout] if engine == "loom" => {
            let program = ports::loom(scenario)
                .map_err(|why| format!("no loom port of {scenario}: {why}"))?;
            let (cap, timeout) = (parse(cap)?, parse(timeout)?);
            // Loom's own panic message says what it found: let it through to the parent.
            drop(panic::take_hook());
            loom_model(program, cap, Duration::from_secs(timeout));
            Ok(())
        }
        _ => Err(format!("bad child arguments {args:?}")),
    }
}

fn parse(text: &str) -> Result<u64, String> {
    text.parse().map_err(|_| format!("not a number: {text}"))
}

#[derive(Clone, Copy, Debug)]
enum ShuttleStrategy {
    Random,
    Pct,
}

/// Runs `program` under raw shuttle until its first failing execution (a panic, a deadlock or
/// the step bound), and returns that execution's number, or `None` after `cap` clean ones.
fn shuttle_first_failure(
    program: fn(),
    strategy: ShuttleStrategy,
    seed: u64,
    cap: u64,
) -> Option<u64> {
    STARTED.store(0, Ordering::Relaxed);
    let mut config = shuttle::Config::new();
    config.failure_persistence = FailurePersistence::None;
    config.max_steps = MaxSteps::FailAfter(MAX_STEPS);
    config.silence_warnings = true;
    let body = move || {
        STARTED.fetch_add(1, Ordering::Relaxed);
        program();
    };
    let cap = usize::try_from(cap).unwrap_or(usize::MAX);
    let result = panic::catch_unwind(AssertUnwindSafe(|| match strategy {
        ShuttleStrategy::Random => {
            Runner::new(RandomScheduler::new_from_seed(seed, cap), config).run(body)
        }
        ShuttleStrategy::Pct => {
            Runner::new(PctScheduler::new_from_seed(seed, 3, cap), config).run(body)
        }
    }));
    result.err().map(|_| STARTED.load(Ordering::Relaxed))
}

/// Runs `program` under loom, announcing each execution before it starts, so that the parent
/// knows how far loom got even if it aborts the process.
fn loom_model(program: fn(), cap: u64, timeout: Duration) {
    let mut builder = loom::model::Builder::new();
    // Checked every `checkpoint_interval` executions, before the next one starts.
    builder.max_permutations = Some(usize::try_from(cap).unwrap_or(usize::MAX - 1) + 1);
    builder.max_duration = Some(timeout);
    builder.checkpoint_interval = 1;
    builder.check(move || {
        let n = STARTED.fetch_add(1, Ordering::Relaxed) + 1;
        println!("execution {n}");
        program();
    });
    println!("done {}", STARTED.load(Ordering::Relaxed));
}
