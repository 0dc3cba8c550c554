//! The bug-finding benchmark: interleave against raw shuttle and raw loom on the catalog's
//! bugs.
//!
//! For every bug scenario: executions until the first detection under interleave's random and
//! PCT strategies (on the catalog scenario itself) and raw shuttle's random and PCT schedulers
//! (on a port of it, `ports/`), median over seeds 0, 1, …; and, for the ports that fit loom,
//! loom's executions until it fails the model or exhausts it. Then executions per second of
//! interleave and raw shuttle on three clean programs, side by side. Prints a markdown table
//! and writes `target/interleave/comparison.json`.
//!
//! Last, the exhaustive table: executions and time to explore every schedule of small programs
//! under interleave's DPOR, loom and shuttle's DFS (`exhaustive.rs`; `-- --exhaustive` prints it
//! alone).
//!
//! ```sh
//! cargo bench -p interleave-scenarios --bench comparison
//! COMPARISON_SEEDS=3 COMPARISON_CAP=2000 cargo bench -p interleave-scenarios --bench comparison   # quick
//! cargo bench -p interleave-scenarios --bench comparison -- --exhaustive                         # the exhaustive table
//! ```
//!
//! Shuttle and loom run in child processes (this binary, re-executed with `--child`): their
//! failure output stays out of the table, and loom, which aborts the process on a deadlock with
//! guards held, takes only the child down; the child announces each execution before it starts,
//! so the count survives the abort. Unset `INTERLEAVE_*` variables first: they would override
//! the strategies measured here.

mod child;
mod exhaustive;
mod measure;
mod ports;
mod report;
mod settings;

use std::time::Instant;

use interleave_scenarios::{catalog, Expected};

use measure::Strategy;
use report::{Results, Row};
use settings::{Settings, VARIABLES};

/// The clean programs whose executions per second are compared.
const THROUGHPUT: [&str; 3] = [
    "lock-order/ab-ba-fixed",
    "condvar/if-not-while-fixed",
    "channel/full-while-receiver-locks-fixed",
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "--child") {
        if let Err(error) = child::main(&args[1..]) {
            eprintln!("error: {error}");
            std::process::exit(2);
        }
        return;
    }
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{}", usage());
        return;
    }
    if args.iter().any(|a| a == "--exhaustive") {
        println!("{}", exhaustive::markdown(&exhaustive::run()));
        return;
    }
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("error: {error}\n\n{}", usage());
            std::process::exit(2);
        }
    };
    run(settings);
}

fn usage() -> String {
    let mut text = String::from(
        "usage: cargo bench -p interleave-scenarios --bench comparison [-- --exhaustive]\n\nenvironment:\n",
    );
    for (variable, meaning) in VARIABLES {
        text.push_str(&format!("  {variable:<26} {meaning}\n"));
    }
    text
}

fn run(settings: Settings) {
    let start = Instant::now();
    let command = format!(
        "{}cargo bench -p interleave-scenarios --bench comparison",
        settings.env_prefix()
    );
    eprintln!("{command}");
    let all = catalog();
    let bugs: Vec<_> = all
        .iter()
        .filter(|s| s.name.contains(&settings.filter))
        .filter_map(|s| match s.expected {
            Expected::Finds(kind) => Some((s, kind)),
            Expected::Clean => None,
        })
        .collect();
    let (seeds, cap) = (settings.seeds, settings.cap);
    let mut rows = Vec::new();
    for (i, (scenario, kind)) in bugs.iter().enumerate() {
        let scenario_start = Instant::now();
        eprint!("[{}/{}] {} …", i + 1, bugs.len(), scenario.name);
        let shuttle = ports::shuttle(scenario.name).is_some();
        let row = Row {
            name: scenario.name,
            expected: *kind,
            interleave_random: measure::interleave(scenario, *kind, Strategy::Random, seeds, cap),
            interleave_pct: measure::interleave(scenario, *kind, Strategy::Pct, seeds, cap),
            shuttle_random: shuttle
                .then(|| measure::shuttle(scenario.name, Strategy::Random, seeds, cap)),
            shuttle_pct: shuttle
                .then(|| measure::shuttle(scenario.name, Strategy::Pct, seeds, cap)),
            loom: measure::loom(scenario.name, cap, settings.loom_timeout),
        };
        eprintln!(" {:.1} s", scenario_start.elapsed().as_secs_f64());
        rows.push(row);
    }
    let twins = ports::shuttle_twins();
    let throughput = THROUGHPUT
        .iter()
        .filter(|name| name.contains(&settings.filter))
        .map(|name| {
            eprintln!("throughput: {name} …");
            let scenario = all
                .iter()
                .find(|s| s.name == *name)
                .expect("the throughput programs are in the catalog");
            let (_, port) = twins
                .iter()
                .find(|(port, _)| port == name)
                .expect("the throughput programs have shuttle ports");
            measure::throughput(scenario, *port, settings.throughput_executions, 5)
        })
        .collect();
    let results = Results {
        settings,
        command,
        rows,
        throughput,
        seconds: start.elapsed().as_secs_f64(),
    };
    println!("{}", results.markdown());
    println!("{}", exhaustive::markdown(&exhaustive::run()));
    let path = report::json_path();
    let written =
        std::fs::create_dir_all(path.parent().expect("a file in a directory")).and_then(|()| {
            let text =
                serde_json::to_string_pretty(&results.json()).expect("JSON values serialise");
            std::fs::write(&path, text + "\n")
        });
    let (interleave, shuttle, loom) = results.totals();
    println!("command: {}", results.command);
    println!(
        "total: {:.0} s; executions: interleave {interleave}, raw shuttle {shuttle}, loom {loom}",
        results.seconds
    );
    match written {
        Ok(()) => println!("json: {}", path.display()),
        Err(error) => eprintln!("error: write {}: {error}", path.display()),
    }
}
