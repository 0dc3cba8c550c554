//! `interleave run`: run scenarios and compare each outcome with the catalog's expectation.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use interleave::{Config, Report};
use interleave_scenarios::{Outcome, Scenario};
use serde::Serialize;

use crate::app::Result;
use crate::exit::{CliError, FINDINGS, OK};
use crate::progress::Progress;

/// Executions per scenario when `--strategy` is given without `--iterations`: a bug stops at
/// its first failing execution, so a generous bound costs a bug nothing.
const OVERRIDE_EXECUTIONS: u64 = 1_000;
/// The bound of `--strategy exhaustive` (the harness's own default).
const EXHAUSTIVE_BOUND: u64 = 100_000;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Scenario names (see `interleave list`).
    #[arg(value_name = "NAME")]
    names: Vec<String>,
    /// Run every scenario of the catalog.
    #[arg(long, conflicts_with = "names")]
    all: bool,
    /// Run every scenario of this category.
    #[arg(long, value_name = "C", conflicts_with = "names")]
    category: Option<String>,
    /// The strategy, instead of each scenario's own: `random`, `pct`, `pct:D` (PCT with bug
    /// depth D; `pct` is depth 3), `mix`, `mix:D` (PCT and random taking turns) or
    /// `exhaustive`.
    #[arg(long, value_name = "S", value_parser = parse_strategy)]
    strategy: Option<StrategyArg>,
    /// Executions per scenario (for exhaustive: at most), instead of each scenario's budget.
    #[arg(
        long,
        value_name = "N",
        visible_alias = "executions",
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    iterations: Option<u64>,
    /// The strategy's seed, instead of one derived from each scenario's name: a number, or
    /// `random` for a fresh one each scenario (the report says which).
    #[arg(long, value_name = "S", value_parser = parse_seed)]
    seed: Option<SeedArg>,
    /// Where artifacts are written (default: `INTERLEAVE_ARTIFACT_DIR`, else
    /// `target/interleave`).
    #[arg(long, value_name = "DIR")]
    artifact_dir: Option<PathBuf>,
    /// Print every scenario's full report after the table (reports of unexpected outcomes are
    /// always printed).
    #[arg(long, short)]
    verbose: bool,
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

/// `--strategy`, as `INTERLEAVE_STRATEGY` spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StrategyArg {
    Random,
    Pct { depth: usize },
    Mix { depth: usize },
    Exhaustive,
}

fn parse_strategy(text: &str) -> std::result::Result<StrategyArg, String> {
    let strategy = match text {
        "random" => Some(StrategyArg::Random),
        "pct" => Some(StrategyArg::Pct { depth: 3 }),
        "mix" => Some(StrategyArg::Mix { depth: 3 }),
        "exhaustive" => Some(StrategyArg::Exhaustive),
        _ => {
            let depth = |prefix: &str| {
                text.strip_prefix(prefix)
                    .and_then(|depth| depth.parse().ok())
                    .filter(|&depth: &usize| depth >= 1)
            };
            depth("pct:")
                .map(|depth| StrategyArg::Pct { depth })
                .or_else(|| depth("mix:").map(|depth| StrategyArg::Mix { depth }))
        }
    };
    strategy.ok_or_else(|| {
        "expected `random`, `pct`, `pct:D` or `mix:D` with a depth D of at least 1, `mix`, or `exhaustive`".to_owned()
    })
}

/// A strategy as `INTERLEAVE_STRATEGY` and artifacts spell it.
pub(crate) fn strategy(text: &str) -> std::result::Result<interleave::Strategy, String> {
    Ok(match parse_strategy(text)? {
        StrategyArg::Random => interleave::Strategy::Random,
        StrategyArg::Pct { depth } => interleave::Strategy::Pct { depth },
        StrategyArg::Mix { depth } => interleave::Strategy::Mix { depth },
        StrategyArg::Exhaustive => interleave::Strategy::Exhaustive,
    })
}

/// `--seed`, as `INTERLEAVE_SEED` spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SeedArg {
    Fixed(u64),
    Random,
}

fn parse_seed(text: &str) -> std::result::Result<SeedArg, String> {
    match text {
        "random" => Ok(SeedArg::Random),
        number => number.parse().map(SeedArg::Fixed).map_err(|_| {
            "expected a number from 0 to 18446744073709551615, or `random`".to_owned()
        }),
    }
}

/// What one scenario gave: its outcome, or the error that stopped its check.
struct Ran {
    scenario: Scenario,
    result: std::result::Result<Outcome, interleave::Error>,
}

impl Ran {
    fn as_expected(&self) -> bool {
        self.result.as_ref().is_ok_and(|o| o.as_expected)
    }

    fn found(&self) -> String {
        match &self.result {
            Ok(outcome) => outcome
                .found(self.scenario.expected)
                .map_or_else(|| "clean".to_owned(), |kind| kind.name().to_owned()),
            Err(_) => "error".to_owned(),
        }
    }

    fn report(&self) -> Option<&Report> {
        self.result.as_ref().ok().map(|o| &o.report)
    }

    fn elapsed(&self) -> Duration {
        self.result
            .as_ref()
            .map_or(Duration::ZERO, |outcome| outcome.elapsed)
    }

    /// The artifact's path, or why there is none.
    fn artifact(&self) -> String {
        let Some(report) = self.report() else {
            return "-".to_owned();
        };
        match (&report.artifact, &report.replay_command) {
            (Some(path), _) => display_path(path),
            // The harness says why it could not write the artifact in place of the command.
            (None, Some(why)) if why.starts_with("(no artifact") => why.clone(),
            _ => "-".to_owned(),
        }
    }
}

pub(crate) fn run(args: &Args) -> Result<u8> {
    let scenarios = selected(args)?;
    if std::env::var_os("INTERLEAVE_REPLAY").is_some_and(|v| !v.is_empty()) {
        return Err(CliError::ReplayVariableSet);
    }
    // The harness lets `INTERLEAVE_*` override the code; on the command line a flag says more
    // than the environment. Still one thread here: nothing else reads the environment.
    let flags = [
        ("INTERLEAVE_STRATEGY", args.strategy.is_some()),
        ("INTERLEAVE_ITERATIONS", args.iterations.is_some()),
        ("INTERLEAVE_SEED", args.seed.is_some()),
        ("INTERLEAVE_ARTIFACT_DIR", args.artifact_dir.is_some()),
    ];
    for (variable, _) in flags.iter().filter(|(_, given)| *given) {
        std::env::remove_var(variable);
    }
    let dir = artifact_dir(args).unwrap_or_else(default_artifact_dir);
    writable(&dir)?;
    let table = Table::new(&scenarios);
    // Printed with the first row, so that an error before it leaves standard output empty.
    let mut header = (!args.json()).then(|| table.header());
    let mut progress = Progress::new(scenarios.len(), !args.json());
    let start = Instant::now();
    let mut ran = Vec::with_capacity(scenarios.len());
    for scenario in scenarios {
        progress.start(scenario.name);
        let result = explore(&scenario, config(args, &scenario).artifact_dir(&dir));
        // A bad `INTERLEAVE_*` variable would fail every scenario the same way.
        if let Err(error @ interleave::Error::Env { .. }) = result {
            progress.finish();
            return Err(error.into());
        }
        let one = Ran { scenario, result };
        progress.done();
        if !args.json() {
            let row = header.take().unwrap_or_default() + &table.row(&one);
            progress.suspend(|| crate::output::print(&row))?;
        }
        ran.push(one);
    }
    progress.finish();
    let elapsed = start.elapsed();
    let out = if args.json() {
        json(&ran, elapsed)
    } else {
        summary(&ran, elapsed, args.verbose)
    };
    crate::output::print(&out)?;
    Ok(if ran.iter().all(Ran::as_expected) {
        OK
    } else {
        FINDINGS
    })
}

fn selected(args: &Args) -> Result<Vec<Scenario>> {
    if args.all || args.category.is_some() {
        return crate::list::select(args.category.as_deref());
    }
    if args.names.is_empty() {
        return Err(CliError::NothingToRun);
    }
    args.names
        .iter()
        .map(|name| interleave_scenarios::find(name).ok_or_else(|| unknown_scenario(name)))
        .collect()
}

/// A name that is no scenario's, with the closest one if it is close enough to be a typo.
fn unknown_scenario(name: &str) -> CliError {
    let catalog = interleave_scenarios::catalog();
    // `ab-ba` for `lock-order/ab-ba`: the name without its category.
    let in_a_category = catalog
        .iter()
        .find(|s| {
            s.name
                .rsplit_once('/')
                .is_some_and(|(_, short)| short == name)
        })
        .map(|s| (1.0, s.name));
    let closest = in_a_category.or_else(|| {
        catalog
            .iter()
            .map(|s| (strsim::jaro_winkler(name, s.name), s.name))
            .filter(|&(score, _)| score > 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0))
    });
    match closest {
        Some((_, like)) => CliError::UnknownScenarioLike(name.to_owned(), like.to_owned()),
        None => CliError::UnknownScenario(name.to_owned()),
    }
}

/// The scenario's own configuration, with the command line's overrides.
fn config(args: &Args, scenario: &Scenario) -> Config {
    let mut config = scenario.config();
    if let Some(strategy) = args.strategy {
        config = match strategy {
            StrategyArg::Random => config
                .strategy(interleave::Strategy::Random)
                .executions(scenario.budget.max(OVERRIDE_EXECUTIONS)),
            StrategyArg::Pct { depth } => config
                .strategy(interleave::Strategy::Pct { depth })
                .executions(scenario.budget.max(OVERRIDE_EXECUTIONS)),
            StrategyArg::Mix { depth } => config
                .strategy(interleave::Strategy::Mix { depth })
                .executions(scenario.budget.max(OVERRIDE_EXECUTIONS)),
            StrategyArg::Exhaustive => config
                .strategy(interleave::Strategy::Exhaustive)
                .executions(EXHAUSTIVE_BOUND),
        };
    }
    if let Some(executions) = args.iterations {
        config = config.executions(executions);
    }
    match args.seed {
        Some(SeedArg::Fixed(seed)) => config = config.seed(seed),
        Some(SeedArg::Random) => config = config.random_seed(),
        None => {}
    }
    if let Some(dir) = &args.artifact_dir {
        config = config.artifact_dir(dir);
    }
    config
}

/// The artifact directory the user asked for, by flag or by `INTERLEAVE_ARTIFACT_DIR`.
fn artifact_dir(args: &Args) -> Option<PathBuf> {
    args.artifact_dir.clone().or_else(|| {
        std::env::var_os("INTERLEAVE_ARTIFACT_DIR")
            .filter(|dir| !dir.is_empty())
            .map(PathBuf::from)
    })
}

/// Where artifacts go when neither the flag nor the variable says: the `interleave` directory of
/// the target directory cargo would use from here — `CARGO_TARGET_DIR`, else `target/` at the
/// root of the workspace the current directory is in — and, outside any cargo project, the
/// user's cache directory (never a `target/` made wherever the command is run).
pub(crate) fn default_artifact_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("interleave");
    }
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    if let Some(root) = workspace_root(&cwd) {
        return root.join("target").join("interleave");
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")));
    match cache {
        Some(cache) => cache.join("interleave").join("artifacts"),
        None => std::env::temp_dir().join("interleave-artifacts"),
    }
}

/// The root of the cargo workspace `dir` is in, as cargo finds it: the outermost ancestor whose
/// `Cargo.toml` has a `[workspace]` table, else the nearest one with a `Cargo.toml`.
pub(crate) fn workspace_root(dir: &Path) -> Option<PathBuf> {
    let mut nearest = None;
    let mut workspace = None;
    for ancestor in dir.ancestors() {
        let manifest = ancestor.join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        nearest.get_or_insert_with(|| ancestor.to_owned());
        if text.lines().any(|l| l.trim() == "[workspace]") {
            workspace = Some(ancestor.to_owned());
        }
    }
    workspace.or(nearest)
}

/// Creates `dir` and writes a file in it, so that a directory artifacts cannot go to is an
/// error before anything runs, not a run whose findings have no artifact.
fn writable(dir: &Path) -> Result<()> {
    let probe = dir.join(format!(".interleave-probe-{}", std::process::id()));
    std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&probe, b""))
        .and_then(|()| std::fs::remove_file(&probe))
        .map_err(|source| CliError::ArtifactDir {
            path: dir.to_owned(),
            source,
        })
}

/// Explores the scenario; a harness error is a value, not a panic.
fn explore(scenario: &Scenario, config: Config) -> std::result::Result<Outcome, interleave::Error> {
    scenario.try_run_with(config)
}

/// A path relative to the current directory when it is under it (`target/interleave/…`).
pub(crate) fn display_path(path: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|dir| path.strip_prefix(dir).ok())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Wall-clock time, as the table shows it.
fn seconds(duration: Duration) -> String {
    format!("{:.2}s", duration.as_secs_f64())
}

/// The table's layout, fixed before the first scenario runs so that rows can stream.
struct Table {
    name: usize,
}

impl Table {
    fn new(scenarios: &[Scenario]) -> Table {
        let name = scenarios
            .iter()
            .map(|s| s.name.len())
            .chain(["scenario".len()])
            .max()
            .unwrap_or(0);
        Table { name }
    }

    fn header(&self) -> String {
        format!(
            "{:name$}  {:18}  {:18}  {:>10}  {:>7}  {:10}  artifact\n",
            "scenario",
            "expected",
            "found",
            "executions",
            "time",
            "result",
            name = self.name
        )
    }

    fn row(&self, ran: &Ran) -> String {
        let row = format!(
            "{:name$}  {:18}  {:18}  {:>10}  {:>7}  {:10}  {}",
            ran.scenario.name,
            ran.scenario.expected.to_string(),
            ran.found(),
            ran.report().map_or(0, |r| r.executions),
            seconds(ran.elapsed()),
            if ran.as_expected() {
                "ok"
            } else {
                "UNEXPECTED"
            },
            ran.artifact(),
            name = self.name
        );
        format!("{}\n", row.trim_end())
    }
}

/// The summary line, then the reports: of unexpected outcomes always, of all with `-v`.
fn summary(ran: &[Ran], elapsed: Duration, verbose: bool) -> String {
    let unexpected = ran.iter().filter(|r| !r.as_expected()).count();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n{} scenario{}: {} as expected, {unexpected} unexpected ({})",
        ran.len(),
        if ran.len() == 1 { "" } else { "s" },
        ran.len() - unexpected,
        seconds(elapsed)
    );
    for one in ran.iter().filter(|r| verbose || !r.as_expected()) {
        let _ = writeln!(out, "\n── {} ──", one.scenario.name);
        match &one.result {
            Ok(outcome) => {
                if !outcome.as_expected {
                    let _ = writeln!(
                        out,
                        "expected {}, found {}\n",
                        one.scenario.expected,
                        one.found()
                    );
                }
                let _ = write!(out, "{}", outcome.report);
            }
            Err(error) => {
                let _ = writeln!(out, "error: {error}");
            }
        }
    }
    out
}

#[derive(Serialize)]
struct JsonRun<'a> {
    scenarios: Vec<JsonRow<'a>>,
    summary: JsonSummary,
}

#[derive(Serialize)]
struct JsonRow<'a> {
    name: &'static str,
    category: &'static str,
    expected: String,
    found: String,
    as_expected: bool,
    executions: u64,
    failing_execution: Option<u64>,
    strategy: Option<&'a str>,
    seed: Option<u64>,
    elapsed_ms: u128,
    artifact: Option<String>,
    replay: Option<&'a str>,
    findings: &'a [interleave::Finding],
    error: Option<String>,
}

#[derive(Serialize)]
struct JsonSummary {
    scenarios: usize,
    as_expected: usize,
    unexpected: usize,
    elapsed_ms: u128,
}

fn json(ran: &[Ran], elapsed: Duration) -> String {
    let scenarios: Vec<JsonRow<'_>> = ran
        .iter()
        .map(|one| {
            let report = one.report();
            JsonRow {
                name: one.scenario.name,
                category: one.scenario.category.name(),
                expected: one.scenario.expected.to_string(),
                found: one.found(),
                as_expected: one.as_expected(),
                executions: report.map_or(0, |r| r.executions),
                failing_execution: report.and_then(|r| r.failing_execution),
                strategy: report.map(|r| r.strategy.as_str()),
                seed: report.map(|r| r.seed),
                elapsed_ms: one.elapsed().as_millis(),
                artifact: report.and_then(|r| r.artifact.as_deref()).map(display_path),
                replay: report.and_then(|r| r.replay_command.as_deref()),
                findings: report.map_or(&[], |r| &r.findings),
                error: one.result.as_ref().err().map(ToString::to_string),
            }
        })
        .collect();
    let unexpected = ran.iter().filter(|r| !r.as_expected()).count();
    let document = JsonRun {
        summary: JsonSummary {
            scenarios: ran.len(),
            as_expected: ran.len() - unexpected,
            unexpected,
            elapsed_ms: elapsed.as_millis(),
        },
        scenarios,
    };
    crate::output::json(&document)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workspace_root_is_the_outermost_workspace_else_the_nearest_package() {
        let root = std::env::temp_dir().join(format!("interleave-ws-{}", std::process::id()));
        let member = root.join("crates").join("member");
        let src = member.join("src");
        std::fs::create_dir_all(&src).unwrap();
        std::fs::write(member.join("Cargo.toml"), "[package]\nname = \"m\"\n").unwrap();
        assert_eq!(workspace_root(&src), Some(member.clone()));
        std::fs::write(
            root.join("Cargo.toml"),
            "[workspace]\nmembers = [\"crates/*\"]\n",
        )
        .unwrap();
        assert_eq!(workspace_root(&src), Some(root.clone()));
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn seeds_parse_as_interleave_seed_spells_them() {
        assert_eq!(parse_seed("7"), Ok(SeedArg::Fixed(7)));
        assert_eq!(parse_seed("random"), Ok(SeedArg::Random));
        for bad in ["", "-1", "Random", "0x10", "18446744073709551616"] {
            assert!(parse_seed(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn strategies_parse_as_interleave_strategy_spells_them() {
        assert_eq!(parse_strategy("random"), Ok(StrategyArg::Random));
        assert_eq!(parse_strategy("pct"), Ok(StrategyArg::Pct { depth: 3 }));
        assert_eq!(parse_strategy("pct:5"), Ok(StrategyArg::Pct { depth: 5 }));
        assert_eq!(parse_strategy("exhaustive"), Ok(StrategyArg::Exhaustive));
        for bad in ["", "PCT", "pct:0", "pct:x", "dfs:2", "loom"] {
            assert!(parse_strategy(bad).is_err(), "{bad}");
        }
    }
}
