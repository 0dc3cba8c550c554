//! The loom-style suite's clean cases under loom 0.7 (see the suite's `common/mod.rs`).

#[path = "../../suite/benches/common/mod.rs"]
mod common;

use interleave_loom_oracle::{cases, Verdict, EXECUTIONS};

fn main() {
    let clean: Vec<common::Case> = cases()
        .into_iter()
        .filter(|c| c.verdict == Verdict::Clean && c.loom == Verdict::Clean)
        .map(|c| (c.name, c.run))
        .collect();
    common::run("loom 0.7", &clean, &EXECUTIONS);
}
