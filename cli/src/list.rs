//! `interleave list`: the catalog.

use std::fmt::Write as _;

use interleave_scenarios::{catalog, Category, Scenario};
use serde::Serialize;

use crate::app::Result;
use crate::exit::{CliError, OK};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Only this category (lock-order, guard-lifetime, condvar, channel, atomicity, pool,
    /// livelock, timeout).
    #[arg(long, value_name = "C")]
    category: Option<String>,
    /// `text` (a table) or `json`.
    #[arg(long, value_enum, default_value_t = crate::output::TextOrJson::Text)]
    format: crate::output::TextOrJson,
    /// The same as `--format json`.
    #[arg(long, hide = true)]
    json: bool,
}

impl Args {
    /// `--format json`, or `--json`.
    fn json(&self) -> bool {
        self.json || self.format == crate::output::TextOrJson::Json
    }
}

#[derive(Serialize)]
struct Row {
    name: &'static str,
    category: &'static str,
    expected: String,
    budget: u64,
    twin: Option<&'static str>,
    description: &'static str,
    source: &'static str,
}

/// The scenarios of `category` (all when `None`), in catalog order.
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
    let out = if args.json() {
        json(&scenarios)
    } else {
        table(&scenarios)
    };
    crate::output::print(&out)?;
    Ok(OK)
}

fn json(scenarios: &[Scenario]) -> String {
    let rows: Vec<Row> = scenarios
        .iter()
        .map(|s| Row {
            name: s.name,
            category: s.category.name(),
            expected: s.expected.to_string(),
            budget: s.budget,
            twin: s.twin,
            description: s.description,
            source: s.source,
        })
        .collect();
    crate::output::json(&rows)
}

fn table(scenarios: &[Scenario]) -> String {
    let name = scenarios
        .iter()
        .map(|s| s.name.len())
        .chain(["scenario".len()])
        .max()
        .unwrap_or(0);
    let category = scenarios
        .iter()
        .map(|s| s.category.name().len())
        .chain(["category".len()])
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:name$}  {:category$}  {:18}  description",
        "scenario", "category", "expected"
    );
    for s in scenarios {
        let _ = writeln!(
            out,
            "{:name$}  {:category$}  {:18}  {}",
            s.name,
            s.category.name(),
            s.expected.to_string(),
            s.description
        );
    }
    out
}
