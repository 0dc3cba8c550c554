//! `interleave list`: the catalog.

use interleave_scenarios::{catalog, Category, Scenario};
use serde::Serialize;

use crate::app::Result;
use crate::exit::{CliError, OK};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Only this category (lock-order, deadlock, condvar, race).
    #[arg(long)]
    category: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Row {
    name: &'static str,
    category: &'static str,
    expected: String,
    twin: Option<&'static str>,
    description: &'static str,
}

/// The scenarios of `category` (all when `None`).
pub(crate) fn select(category: Option<&str>) -> Result<Vec<Scenario>> {
    let Some(name) = category else {
        return Ok(catalog());
    };
    let Some(category) = Category::ALL.into_iter().find(|c| c.name() == name) else {
        let names: Vec<&str> = Category::ALL.iter().map(|c| c.name()).collect();
        return Err(CliError::UnknownCategory(name.to_owned(), names.join(", ")));
    };
    Ok(catalog()
        .into_iter()
        .filter(|s| s.category == category)
        .collect())
}

pub(crate) fn run(args: &Args) -> Result<u8> {
    let scenarios = select(args.category.as_deref())?;
    if args.json {
        let rows: Vec<Row> = scenarios
            .iter()
            .map(|s| Row {
                name: s.name,
                category: s.category.name(),
                expected: s.expected.to_string(),
                twin: s.twin,
                description: s.description,
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).expect("rows serialise")
        );
        return Ok(OK);
    }
    let width = scenarios.iter().map(|s| s.name.len()).max().unwrap_or(0);
    println!(
        "{:width$}  {:10}  {:18}  description",
        "scenario", "category", "expected"
    );
    for s in &scenarios {
        println!(
            "{:width$}  {:10}  {:18}  {}",
            s.name,
            s.category.name(),
            s.expected.to_string(),
            s.description
        );
    }
    Ok(OK)
}
