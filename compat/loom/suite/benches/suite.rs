//! The loom-style suite's clean cases under interleave-loom (see `common/mod.rs`).

mod common;

use interleave_loom_suite::{cases, Verdict, EXECUTIONS};

fn main() {
    let clean: Vec<common::Case> = cases()
        .into_iter()
        .filter(|c| c.verdict == Verdict::Clean && c.loom == Verdict::Clean)
        .map(|c| (c.name, c.run))
        .collect();
    common::run("interleave-loom", &clean, &EXECUTIONS);
}
