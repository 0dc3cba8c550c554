//! The catalog's fixed twins over 10,000 executions each, under the default strategy (PCT
//! depth 3, seeded by the scenario's name). Ignored by default; run it with
//!
//! ```sh
//! cargo test -p interleave-tests --release -- --ignored catalog_long
//! ```

use interleave_scenarios::{catalog, Expected};

const EXECUTIONS: u64 = 10_000;

#[test]
#[ignore = "slow in debug: run with `cargo test -p interleave-tests --release -- --ignored catalog_long`"]
fn every_twin_stays_clean_over_10_000_executions() {
    let twins: Vec<_> = catalog()
        .into_iter()
        .filter(|s| s.expected == Expected::Clean)
        .collect();
    assert!(!twins.is_empty());
    let failures: Vec<String> = twins
        .iter()
        .map(|s| {
            let config = s.config().executions(EXECUTIONS).write_artifact(false);
            (s, s.run_with(config))
        })
        .filter(|(_, outcome)| {
            !outcome.report.is_clean() || outcome.report.executions != EXECUTIONS
        })
        .map(|(s, outcome)| format!("{}:\n{}", s.name, outcome.report))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
