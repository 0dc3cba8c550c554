//! The litmus tests under interleave's weak memory model, explored exhaustively: the outcomes
//! reached are the table's (`litmus/outcomes.rs`), which `litmus_loom` checks loom reaches too.

mod rt {
    pub(crate) use interleave::sync::atomic::{fence, AtomicUsize, Ordering};
    pub(crate) use interleave::sync::Arc;
    pub(crate) use interleave::thread;
}

#[path = "litmus/outcomes.rs"]
mod outcomes;
#[path = "litmus/programs.rs"]
mod programs;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use interleave::{Config, MemoryModel};

/// Every outcome of `program` over an exhaustive exploration (DPOR), and how many executions
/// it took.
fn explore(program: fn() -> Vec<usize>) -> (BTreeSet<Vec<usize>>, u64) {
    explore_with(Config::exhaustive(), program)
}

fn explore_with(config: Config, program: fn() -> Vec<usize>) -> (BTreeSet<Vec<usize>>, u64) {
    let seen = Arc::new(Mutex::new(BTreeSet::new()));
    let record = Arc::clone(&seen);
    let report = config
        .memory_model(MemoryModel::Weak)
        .write_artifact(false)
        .explore(move || {
            let outcome = program();
            record.lock().unwrap().insert(outcome);
        });
    assert!(report.is_clean() && report.complete, "{report}");
    let outcomes = seen.lock().unwrap().clone();
    (outcomes, report.executions)
}

/// Runs litmus test `name`: interleave reaches exactly the table's outcomes, in the table's
/// number of executions.
fn agrees(name: &str) {
    let program = programs::PROGRAMS
        .iter()
        .find(|p| p.name == name)
        .expect("a litmus test");
    let expected = outcomes::expected(name);
    let (reached, executions) = explore(program.run);
    assert_eq!(reached, outcomes::set(expected.interleave), "{name}");
    assert_eq!(executions, expected.executions.0, "{name}");
    // Where loom reaches more, the table says why.
    assert_eq!(
        expected.loom_only.is_empty(),
        expected.why.is_empty(),
        "{name}"
    );
}

macro_rules! litmus {
    ($($test:ident: $name:literal),* $(,)?) => {
        $(
            #[test]
            fn $test() {
                agrees($name);
            }
        )*
    };
}

litmus!(
    sb_relaxed: "sb_relaxed",
    sb_seq_cst: "sb_seq_cst",
    sb_fences: "sb_fences",
    mp_relaxed: "mp_relaxed",
    mp_release_acquire: "mp_release_acquire",
    mp_fences: "mp_fences",
    lb_relaxed_is_out_of_scope: "lb_relaxed",
    two_plus_two_w: "2+2w",
    iriw_acquire: "iriw_acquire",
    iriw_seq_cst: "iriw_seq_cst",
    corr: "corr",
    cowr: "cowr",
    release_sequence: "release_sequence",
    rmw_increments: "rmw_increments",
);

/// DPOR explores each store a load may read as a branch inside its step: it reaches what
/// naive DFS (every choice of thread and of store a branch) reaches, in fewer executions.
#[test]
fn dpor_reaches_what_naive_dfs_reaches() {
    // IRIW's four threads take naive DFS past 100,000 executions.
    for program in programs::PROGRAMS
        .iter()
        .filter(|p| !p.name.starts_with("iriw"))
    {
        let naive = explore_with(
            Config::exhaustive().strategy(interleave::Strategy::ExhaustiveNaive),
            program.run,
        );
        let dpor = explore(program.run);
        println!("{}: naive DFS {}, DPOR {}", program.name, naive.1, dpor.1);
        assert_eq!(dpor.0, naive.0, "{}", program.name);
        assert!(
            dpor.1 <= naive.1,
            "{}: {} > {}",
            program.name,
            dpor.1,
            naive.1
        );
    }
}

#[test]
fn every_program_has_its_outcomes() {
    let programs: Vec<&str> = programs::PROGRAMS.iter().map(|p| p.name).collect();
    let expected: Vec<&str> = outcomes::EXPECTED.iter().map(|e| e.name).collect();
    assert_eq!(programs, expected);
}

/// Under the default (sequentially consistent) model, the weak outcomes are never reached.
#[test]
fn the_default_model_reaches_only_sequentially_consistent_outcomes() {
    let seen = Arc::new(Mutex::new(BTreeSet::new()));
    let record = Arc::clone(&seen);
    let report = Config::exhaustive().write_artifact(false).explore(move || {
        record.lock().unwrap().insert(programs::sb_relaxed());
    });
    assert!(report.is_clean());
    assert_eq!(
        *seen.lock().unwrap(),
        outcomes::set(&[&[0, 1], &[1, 0], &[1, 1]])
    );
}
