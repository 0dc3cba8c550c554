//! `interleave run`: run scenarios and compare each outcome with the catalog's expectation.

use interleave_scenarios::{Outcome, Scenario};
use serde::Serialize;

use crate::app::Result;
use crate::exit::{CliError, FINDINGS, OK};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Scenario names (see `interleave list`).
    names: Vec<String>,
    /// Run every scenario of the catalog.
    #[arg(long, conflicts_with = "names")]
    all: bool,
    /// Only scenarios of this category (with --all).
    #[arg(long, requires = "all")]
    category: Option<String>,
    /// Print each finding's full report after the table.
    #[arg(long, short)]
    verbose: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Row<'a> {
    name: &'a str,
    expected: String,
    found: String,
    executions: u64,
    events: u64,
    as_expected: bool,
    findings: &'a [interleave_detector::Finding],
}

fn selected(args: &Args) -> Result<Vec<Scenario>> {
    if args.all {
        return crate::list::select(args.category.as_deref());
    }
    if args.names.is_empty() {
        return Err(CliError::NothingToRun);
    }
    args.names
        .iter()
        .map(|name| {
            interleave_scenarios::find(name).ok_or_else(|| CliError::UnknownScenario(name.clone()))
        })
        .collect()
}

pub(crate) fn run(args: &Args) -> Result<u8> {
    let scenarios = selected(args)?;
    let outcomes: Vec<(Scenario, Outcome)> = scenarios.into_iter().map(|s| (s, s.run())).collect();
    let found = |s: &Scenario, o: &Outcome| {
        o.found(s.expected)
            .map_or_else(|| "clean".to_owned(), |k| k.name().to_owned())
    };
    let failures = outcomes.iter().filter(|(_, o)| !o.as_expected).count();
    if args.json {
        let rows: Vec<Row<'_>> = outcomes
            .iter()
            .map(|(s, o)| Row {
                name: s.name,
                expected: s.expected.to_string(),
                found: found(s, o),
                executions: o.executions,
                events: o.events,
                as_expected: o.as_expected,
                findings: &o.findings,
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).expect("rows serialise")
        );
    } else {
        let width = outcomes
            .iter()
            .map(|(s, _)| s.name.len())
            .max()
            .unwrap_or(0);
        println!(
            "{:width$}  {:18}  {:18}  {:>10}  {:>6}  result",
            "scenario", "expected", "found", "executions", "events"
        );
        for (s, o) in &outcomes {
            println!(
                "{:width$}  {:18}  {:18}  {:>10}  {:>6}  {}",
                s.name,
                s.expected.to_string(),
                found(s, o),
                o.executions,
                o.events,
                if o.as_expected { "ok" } else { "UNEXPECTED" }
            );
        }
        println!();
        println!(
            "{} scenarios: {} as expected, {} unexpected",
            outcomes.len(),
            outcomes.len() - failures,
            failures
        );
        // Reports of unexpected outcomes always; of every scenario with --verbose.
        let show = |(_, o): &&(Scenario, Outcome)| args.verbose || !o.as_expected;
        for (s, o) in outcomes.iter().filter(show) {
            for finding in &o.findings {
                println!();
                println!("── {} ──", s.name);
                print!("{finding}");
            }
        }
    }
    Ok(if failures == 0 { OK } else { FINDINGS })
}
