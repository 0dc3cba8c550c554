//! The litmus tests under loom 0.7, in a test binary of their own (loom's runtime and
//! interleave's must not share one): loom reaches the table's outcomes (`litmus/outcomes.rs`).

mod rt {
    pub(crate) use loom::sync::atomic::{fence, AtomicUsize, Ordering};
    pub(crate) use loom::sync::Arc;
    pub(crate) use loom::thread;
}

#[path = "litmus/outcomes.rs"]
mod outcomes;
#[path = "litmus/programs.rs"]
mod programs;

use std::collections::BTreeSet;
use std::sync::atomic::AtomicU64;
use std::sync::Mutex;

/// The outcomes of the running model (the tests take turns: `EXCLUSIVE`).
static SEEN: Mutex<BTreeSet<Vec<usize>>> = Mutex::new(BTreeSet::new());
/// How many executions the running model ran.
static EXECUTIONS: AtomicU64 = AtomicU64::new(0);
static EXCLUSIVE: Mutex<()> = Mutex::new(());

/// Every outcome of `program` under loom's exhaustive exploration, and how many executions
/// it ran.
fn explore(program: fn() -> Vec<usize>) -> (BTreeSet<Vec<usize>>, u64) {
    let _turn = EXCLUSIVE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    SEEN.lock().unwrap().clear();
    EXECUTIONS.store(0, std::sync::atomic::Ordering::Relaxed);
    loom::model(move || {
        EXECUTIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let outcome = program();
        SEEN.lock().unwrap().insert(outcome);
    });
    let seen = SEEN.lock().unwrap().clone();
    (seen, EXECUTIONS.load(std::sync::atomic::Ordering::Relaxed))
}

/// Runs litmus test `name` under loom: it reaches interleave's outcomes and the table's
/// `loom_only` ones, no other, in the table's number of executions.
fn agrees(name: &str) {
    let program = programs::PROGRAMS
        .iter()
        .find(|p| p.name == name)
        .expect("a litmus test");
    let expected = outcomes::expected(name);
    let mut outcomes = outcomes::set(expected.interleave);
    outcomes.extend(outcomes::set(expected.loom_only));
    let (reached, executions) = explore(program.run);
    assert_eq!(reached, outcomes, "{name}: {}", expected.why);
    assert_eq!(executions, expected.executions.1, "{name}");
}

macro_rules! litmus {
    ($($(#[$attr:meta])* $test:ident: $name:literal),* $(,)?) => {
        $(
            #[test]
            $(#[$attr])*
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
    // Four threads: about 20 s each under loom in a debug build (README: the ignored runs).
    #[ignore = "slow under loom: run with --release --ignored"]
    iriw_acquire: "iriw_acquire",
    #[ignore = "slow under loom: run with --release --ignored"]
    iriw_seq_cst: "iriw_seq_cst",
    corr: "corr",
    cowr: "cowr",
    release_sequence: "release_sequence",
    rmw_increments: "rmw_increments",
);
