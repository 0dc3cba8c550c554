//! Precision of the lock-order analysis, and what each suppression rule buys.
//!
//! Over many random lock programs (`tests/support/lockprog.rs`), the detector sees one serial
//! execution of each and reports lock-order cycles; a brute-force exploration of every
//! interleaving says which cycles are really reachable as deadlocks. The benchmark prints:
//!
//! * precision with every rule on (reported cycles that are reachable / reported cycles), and
//!   soundness (reachable deadlock states none of whose cycles was reported: must be 0);
//! * for each suppression rule, the false positives it removes: the run with only that rule
//!   off against the run with all rules on (and all rules off), checking that switching a rule
//!   off never loses a report; and, since the rules overlap, what each removes on its own (only
//!   that rule on, against all rules off);
//! * a few false positives that survive every rule, to show why they are false;
//! * the wall-clock time of the whole run (programs are spread over all cores).
//!
//! `PRECISION_PROGRAMS=N` overrides the number of programs (default 10 000, seeds `0..N`).
//! The process exits with 1 if a soundness or monotonicity check fails, 2 on a bad `N`.
//!
//! Run with `cargo bench -p interleave-detector --bench precision`.

#[path = "../tests/support/lockprog.rs"]
mod lockprog;

#[path = "../tests/support/feed.rs"]
mod feed;

use std::collections::BTreeSet;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use interleave_detector::{Detail, DetectorConfig, Finding, Kind, LockMode, Suppressions};

const DEFAULT_PROGRAMS: u64 = 10_000;
/// False positives shown as examples.
const EXAMPLES: usize = 5;
/// Of those, at most this many from programs with a gate lock (more if too few without one).
const GATED_EXAMPLES: usize = 2;

/// How a configuration is compared with the others.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// Every rule on: the detector as shipped.
    Baseline,
    /// One rule off (or all off): what that rule removes on top of the others.
    Without,
    /// Only this rule on: what it removes on its own, overlaps included.
    Alone,
}

/// The configurations compared: all rules on first, then each rule off alone, all rules off,
/// and each rule on alone.
const CONFIGS: [(&str, &str, Role, Suppressions); 10] = [
    ("all rules on", "", Role::Baseline, ALL),
    (
        "single_thread off",
        "1. distinct threads",
        Role::Without,
        Suppressions {
            single_thread: false,
            ..ALL
        },
    ),
    (
        "gate off",
        "2. no gate",
        Role::Without,
        Suppressions { gate: false, ..ALL },
    ),
    (
        "happens_before off",
        "3. no happens-before",
        Role::Without,
        Suppressions {
            happens_before: false,
            ..ALL
        },
    ),
    (
        "read_read off",
        "4. read/write",
        Role::Without,
        Suppressions {
            read_read: false,
            ..ALL
        },
    ),
    (
        "all rules off",
        "all four together",
        Role::Without,
        Suppressions::NONE,
    ),
    (
        "only single_thread on",
        "1. distinct threads",
        Role::Alone,
        Suppressions {
            single_thread: true,
            ..Suppressions::NONE
        },
    ),
    (
        "only gate on",
        "2. no gate",
        Role::Alone,
        Suppressions {
            gate: true,
            ..Suppressions::NONE
        },
    ),
    (
        "only happens_before on",
        "3. no happens-before",
        Role::Alone,
        Suppressions {
            happens_before: true,
            ..Suppressions::NONE
        },
    ),
    (
        "only read_read on",
        "4. read/write",
        Role::Alone,
        Suppressions {
            read_read: true,
            ..Suppressions::NONE
        },
    ),
];

/// Index of "all rules off" in [`CONFIGS`].
const NONE_INDEX: usize = 5;

const ALL: Suppressions = Suppressions {
    single_thread: true,
    gate: true,
    happens_before: true,
    read_read: true,
};

/// Counts for one configuration (over one program, or summed over all).
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    reported: usize,
    reachable: usize,
    /// Reachable deadlock states none of whose lock cycles was reported.
    unsound_states: usize,
    /// Cycles reported with all rules on but not in this configuration.
    lost_reports: usize,
    /// Of those, the ones that are really reachable.
    lost_true: usize,
}

impl Counts {
    fn false_positives(&self) -> usize {
        self.reported - self.reachable
    }

    fn add(&mut self, other: &Counts) {
        self.reported += other.reported;
        self.reachable += other.reachable;
        self.unsound_states += other.unsound_states;
        self.lost_reports += other.lost_reports;
        self.lost_true += other.lost_true;
    }
}

/// What one program contributes.
#[derive(Debug)]
struct Outcome {
    seed: u64,
    deadlock_states: usize,
    reachable_cycles: usize,
    reachable_cycles_reported: usize,
    counts: [Counts; CONFIGS.len()],
    /// False positives with all rules on.
    false_positives: Vec<Vec<usize>>,
    /// Size of the program (ops over all threads), to pick readable examples.
    size: usize,
    /// Whether the program has a gate lock.
    gated: bool,
    explore_time: Duration,
    detect_time: Duration,
}

fn config(suppressions: Suppressions) -> DetectorConfig {
    DetectorConfig {
        suppressions,
        ..DetectorConfig::default()
    }
}

fn measure(seed: u64) -> Outcome {
    let program = lockprog::generate(seed);
    let started = Instant::now();
    let oracle = lockprog::explore(&program);
    let reachable = oracle.reachable_cycles();
    let explore_time = started.elapsed();

    let started = Instant::now();
    let serial = lockprog::serial_schedule(&program);
    let runs = [serial];
    let detected: Vec<BTreeSet<Vec<usize>>> = CONFIGS
        .iter()
        .map(|&(_, _, _, s)| feed::detect(&program, &runs, config(s)).cycles)
        .collect();
    let detect_time = started.elapsed();

    let all_on = &detected[0];
    let mut counts = [Counts::default(); CONFIGS.len()];
    for (c, cycles) in counts.iter_mut().zip(&detected) {
        c.reported = cycles.len();
        c.reachable = cycles.intersection(&reachable).count();
        c.unsound_states = oracle
            .deadlocks
            .iter()
            .filter(|state| !state.lock_cycles().iter().any(|l| cycles.contains(l)))
            .count();
        let lost: Vec<&Vec<usize>> = all_on.difference(cycles).collect();
        c.lost_reports = lost.len();
        c.lost_true = lost.iter().filter(|&&l| reachable.contains(l)).count();
    }
    Outcome {
        seed,
        deadlock_states: oracle.deadlocks.len(),
        reachable_cycles: reachable.len(),
        reachable_cycles_reported: reachable.intersection(all_on).count(),
        counts,
        false_positives: all_on.difference(&reachable).cloned().collect(),
        size: (0..program.threads()).map(|t| program.ops(t).len()).sum(),
        gated: program.gate.is_some(),
        explore_time,
        detect_time,
    }
}

/// Measures seeds `0..programs` on every available core; outcomes in seed order.
fn measure_all(programs: u64) -> (Vec<Outcome>, usize) {
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(usize::try_from(programs).unwrap_or(usize::MAX))
        .max(1);
    let mut outcomes: Vec<Outcome> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers as u64)
            .map(|w| {
                scope.spawn(move || {
                    (w..programs)
                        .step_by(workers)
                        .map(measure)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a measuring thread panicked"))
            .collect()
    });
    outcomes.sort_by_key(|o| o.seed);
    (outcomes, workers)
}

fn programs_from_env() -> Result<u64, String> {
    match std::env::var("PRECISION_PROGRAMS") {
        Err(std::env::VarError::NotPresent) => Ok(DEFAULT_PROGRAMS),
        Err(std::env::VarError::NotUnicode(v)) => {
            Err(format!("PRECISION_PROGRAMS={v:?} is not a number"))
        }
        Ok(v) => v
            .trim()
            .parse::<u64>()
            .map_err(|e| format!("PRECISION_PROGRAMS={v:?} is not a number of programs: {e}")),
    }
}

fn ratio(part: usize, whole: usize) -> String {
    if whole == 0 {
        "n/a".to_owned()
    } else {
        format!("{:.3}", part as f64 / whole as f64)
    }
}

fn mode_char(mode: LockMode) -> char {
    match mode {
        LockMode::Exclusive => 'x',
        LockMode::Shared => 's',
    }
}

/// The edges of a reported cycle, in the program's own terms. `feed` makes up sites as
/// line `100 * (thread + 1) + op index`, so the site names the thread (`T0` = main) and op.
fn describe_edges(finding: &Finding) -> Vec<String> {
    let Detail::LockCycle { edges } = &finding.detail else {
        return Vec::new();
    };
    edges
        .iter()
        .map(|e| {
            let op = |line: u32| format!("T{}[op {}]", line / 100 - 1, line % 100);
            format!(
                "L{}{} (taken at {}) -> L{}{} (requested at {})",
                finding.objects[e.held].id,
                mode_char(e.held_mode),
                op(e.held_at.line),
                finding.objects[e.requested].id,
                mode_char(e.requested_mode),
                op(e.requested_at.line),
            )
        })
        .collect()
}

fn print_example(n: usize, seed: u64, cycle: &[usize]) {
    let program = lockprog::generate(seed);
    let serial = lockprog::serial_schedule(&program);
    let detected = feed::detect(&program, &[serial], config(ALL));
    let chain: Vec<String> = cycle.iter().map(|l| format!("L{l}")).collect();
    println!(
        "{n}. seed {seed}: cycle {} -> {} is reported but unreachable",
        chain.join(" -> "),
        chain[0]
    );
    for line in program.to_string().lines() {
        println!("       {line}");
    }
    let finding = detected.findings.iter().find(|f| {
        let Detail::LockCycle { edges } = &f.detail else {
            return false;
        };
        let locks: Vec<usize> = edges
            .iter()
            .map(|e| f.objects[e.held].id as usize)
            .collect();
        f.kind == Kind::PotentialDeadlock && feed::normalise(&locks) == cycle
    });
    if let Some(finding) = finding {
        println!("     witnesses:");
        for edge in describe_edges(finding) {
            println!("       {edge}");
        }
    }
}

/// Up to [`EXAMPLES`] false positives that survive every rule, one per program, from the
/// smallest programs: some without a gate lock and some with one, so that both kinds show.
fn print_examples(outcomes: &[Outcome]) {
    let mut candidates: Vec<(usize, u64, &Vec<usize>, bool)> = outcomes
        .iter()
        .filter_map(|o| {
            o.false_positives
                .first()
                .map(|c| (o.size, o.seed, c, o.gated))
        })
        .collect();
    if candidates.is_empty() {
        return;
    }
    candidates.sort();
    let (gated, plain): (Vec<_>, Vec<_>) = candidates.iter().partition(|c| c.3);
    let from_gated = gated
        .len()
        .min(GATED_EXAMPLES.max(EXAMPLES.saturating_sub(plain.len())));
    let mut shown: Vec<_> = plain
        .iter()
        .take(EXAMPLES - from_gated)
        .chain(gated.iter().take(from_gated))
        .collect();
    shown.sort();
    println!(
        "## False positives with all rules on ({} programs have one; {} of the smallest shown)",
        candidates.len(),
        shown.len()
    );
    println!();
    println!(
        "Programs: L<l>x/L<l>s = lock exclusive/shared, U<l> = unlock, S<w>/J<w> = spawn/join \
         worker w (thread T<w+1>); T0 is main; op indices count from 0."
    );
    for (n, &&(_, seed, cycle, _)) in shown.into_iter().enumerate() {
        print_example(n + 1, seed, cycle);
    }
    println!();
}

fn main() -> ExitCode {
    let programs = match programs_from_env() {
        Ok(n) => n,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let (outcomes, workers) = measure_all(programs);
    let elapsed = started.elapsed();

    let mut totals = [Counts::default(); CONFIGS.len()];
    let (mut with_deadlock, mut deadlock_states) = (0, 0);
    let (mut reachable_cycles, mut reachable_cycles_reported) = (0, 0);
    let (mut explore_time, mut detect_time) = (Duration::ZERO, Duration::ZERO);
    for o in &outcomes {
        for (total, c) in totals.iter_mut().zip(&o.counts) {
            total.add(c);
        }
        with_deadlock += usize::from(o.deadlock_states > 0);
        deadlock_states += o.deadlock_states;
        reachable_cycles += o.reachable_cycles;
        reachable_cycles_reported += o.reachable_cycles_reported;
        explore_time += o.explore_time;
        detect_time += o.detect_time;
    }
    let on = totals[0];

    println!("# Lock-order precision over {programs} random programs (seeds 0..{programs})");
    println!();
    println!("programs with a reachable deadlock: {with_deadlock}");
    println!("reachable deadlock states: {deadlock_states}");
    println!(
        "unsound (reachable deadlock states with none of their cycles reported, all rules on): {}",
        on.unsound_states
    );
    println!(
        "reachable cycles reported (all rules on): {reachable_cycles_reported}/{reachable_cycles}"
    );
    println!();
    let header = |removed: &str| {
        println!(
            "| configuration | reported | really reachable | false positives | precision | {removed} |"
        );
        println!("|---|---:|---:|---:|---:|---|");
    };
    let row = |name: &str, c: &Counts, removed: String| {
        println!(
            "| {name} | {} | {} | {} | {} | {removed} |",
            c.reported,
            c.reachable,
            c.false_positives(),
            ratio(c.reachable, c.reported),
        );
    };
    let none = totals[NONE_INDEX];
    header("FPs removed by the rule");
    for ((name, rule, role, _), c) in CONFIGS.iter().zip(&totals) {
        match role {
            Role::Baseline => row(name, c, "—".to_owned()),
            Role::Without => row(
                name,
                c,
                format!("{} ({rule})", c.false_positives() - on.false_positives()),
            ),
            Role::Alone => {}
        }
    }
    println!();
    println!(
        "Each rule on its own (against all rules off; the rules overlap, so these add up to more \
         than all four together):"
    );
    println!();
    header("FPs removed by the rule alone");
    for ((name, rule, role, _), c) in CONFIGS.iter().zip(&totals) {
        if *role == Role::Alone {
            let removed = none.false_positives() - c.false_positives();
            row(name, c, format!("{removed} ({rule})"));
        }
    }
    println!();

    let mut ok = on.unsound_states == 0;
    for ((name, _, _, _), c) in CONFIGS.iter().zip(&totals).skip(1) {
        let monotone = c.lost_reports == 0;
        ok &= monotone && c.unsound_states == 0;
        println!(
            "{name}: loses {} true positive(s), {} report(s) of all rules on; {} unsound state(s){}",
            c.lost_true,
            c.lost_reports,
            c.unsound_states,
            if monotone { "" } else { "  <-- NOT MONOTONE" },
        );
    }
    println!();

    print_examples(&outcomes);

    println!(
        "precision: {} ({}/{})",
        ratio(on.reachable, on.reported),
        on.reachable,
        on.reported
    );
    println!(
        "time: {:.2} s on {workers} thread(s) (CPU: exploring {:.2} s, detecting {:.2} s for {} configurations)",
        elapsed.as_secs_f64(),
        explore_time.as_secs_f64(),
        detect_time.as_secs_f64(),
        CONFIGS.len(),
    );
    if ok {
        ExitCode::SUCCESS
    } else {
        eprintln!("error: a soundness or monotonicity check failed (see above)");
        ExitCode::FAILURE
    }
}
