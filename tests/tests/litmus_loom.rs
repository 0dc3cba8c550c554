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
use std::sync::Mutex;

static SEEN: Mutex<BTreeSet<Vec<usize>>> = Mutex::new(BTreeSet::new());

/// Every outcome of `program` under loom's exhaustive exploration.
fn explore(program: fn() -> Vec<usize>) -> BTreeSet<Vec<usize>> {
    SEEN.lock().unwrap().clear();
    loom::model(move || {
        let outcome = program();
        SEEN.lock().unwrap().insert(outcome);
    });
    SEEN.lock().unwrap().clone()
}

#[test]
fn print_outcomes() {
    for p in programs::PROGRAMS {
        let o = explore(p.run);
        println!("{}: {:?}", p.name, o);
    }
}
