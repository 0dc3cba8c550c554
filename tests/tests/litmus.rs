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

/// Every outcome of `program` over an exhaustive exploration, and how many executions it took.
fn explore(program: fn() -> Vec<usize>) -> (BTreeSet<Vec<usize>>, u64) {
    let seen = Arc::new(Mutex::new(BTreeSet::new()));
    let record = Arc::clone(&seen);
    let report = Config::exhaustive()
        .memory_model(MemoryModel::Weak)
        .write_artifact(false)
        .explore(move || {
            let outcome = program();
            record.lock().unwrap().insert(outcome);
        });
    assert!(report.is_clean(), "{report:?}");
    let outcomes = seen.lock().unwrap().clone();
    (outcomes, report.executions)
}

#[test]
fn print_outcomes() {
    for p in programs::PROGRAMS {
        let (o, n) = explore(p.run);
        println!("{}: {:?} in {n}", p.name, o);
    }
}
