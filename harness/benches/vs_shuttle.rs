//! Executions per second: interleave (random strategy, every detector on) against raw shuttle's
//! `check_random`, on the same programs, in one run: 2 threads × 10 lock/unlock of one shared
//! mutex, and 2 threads that do nothing (the fixed cost of spawn, join and an execution). Then
//! the fixed cost of a check: checks of a one-thread scenario one after the other (each is one
//! execution), against raw shuttle's.
//!
//! A second table: the same program's random and PCT checks on one OS thread and on two
//! (`Config::jobs`), and the speedup; and naive DFS exploring the whole tree of 2 threads × 4
//! lock/unlock, which it splits among the threads. Each row also runs two independent
//! checks on one OS thread at once, on two OS threads: the ceiling, what this machine's cores
//! give two programs that share nothing, against which jobs(2)'s speedup is read. The three
//! take turns, so that the machine's speed drifting during the bench moves each alike.
//!
//! A third: the peak memory (resident set) of one execution of 2 threads × 1,000,000 lock/unlock,
//! each tool in a child process of its own (the bench binary, run again with `--peak-memory`).
//!
//! `cargo bench -p interleave-check --bench vs_shuttle` (set `VS_SHUTTLE_EXECUTIONS` to change the
//! number of executions per measurement, default 20,000; and `VS_SHUTTLE_ROUNDS`, the number of
//! measurements each median is taken over, default 5: on a machine whose speed moves within
//! seconds, many short rounds give steadier ratios than a few long ones). With `--profile=interleave` (or
//! `=shuttle`) the bench binary only runs that many executions of the 2 threads × 0 ops
//! program, for a profiler (`valgrind --tool=callgrind target/release/deps/vs_shuttle-…
//! --profile=interleave`); `--profile=jobs1` and `--profile=shuttle-locks` run the 2 threads ×
//! 10 lock/unlock program's random check (interleave on one OS thread, raw shuttle);
//! `--profile=jobs2` runs it on two OS threads, and `--profile=side-by-side` runs two
//! independent checks of half the executions each at once, on two OS threads.

use std::hint::black_box;
use std::time::{Duration, Instant};

const LOCKS_PER_THREAD: usize = 10;

fn interleave_program<const LOCKS_PER_THREAD: usize>() {
    use interleave::sync::{Arc, Mutex};
    let counter = Arc::new(Mutex::new(0u64));
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let counter = Arc::clone(&counter);
            interleave::thread::spawn(move || {
                for _ in 0..LOCKS_PER_THREAD {
                    *counter.lock().unwrap() += 1;
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    assert_eq!(*counter.lock().unwrap(), 2 * LOCKS_PER_THREAD as u64);
}

fn shuttle_program<const LOCKS_PER_THREAD: usize>() {
    use shuttle::sync::{Arc, Mutex};
    let counter = Arc::new(Mutex::new(0u64));
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let counter = Arc::clone(&counter);
            shuttle::thread::spawn(move || {
                for _ in 0..LOCKS_PER_THREAD {
                    *counter.lock().unwrap() += 1;
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    assert_eq!(*counter.lock().unwrap(), 2 * LOCKS_PER_THREAD as u64);
}

fn one_thread_interleave() {
    let m = interleave::sync::Mutex::new(0u64);
    *m.lock().unwrap() += 1;
}

fn one_thread_shuttle() {
    let m = shuttle::sync::Mutex::new(0u64);
    *m.lock().unwrap() += 1;
}

/// The median of `values` (the upper one of an even number).
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn time(f: impl FnOnce()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

/// Explores the interleave program under `config`, which must find nothing.
fn run(config: interleave::Config) {
    run_program(config, interleave_program::<LOCKS_PER_THREAD>);
}

/// Explores `program` under `config`, which must find nothing; returns how many executions ran.
fn run_program(config: interleave::Config, program: fn()) -> u64 {
    let report = config
        .seed(7)
        .name("vs_shuttle")
        .write_artifact(false)
        .explore(program);
    assert!(report.is_clean(), "{report}");
    black_box(report).executions
}

/// Random checks of `program` until `executions` have run: a check stops early once it has
/// explored every schedule (2 threads doing nothing have a handful), so checks follow one
/// another, each paying its own fixed cost too.
fn run_executions(executions: u64, program: fn()) -> u64 {
    let mut done = 0;
    let mut checks = 0;
    while done < executions {
        done += run_program(
            interleave::Config::random(executions - done).jobs(1),
            program,
        );
        checks += 1;
    }
    checks
}

/// CPU time this process has used so far, user and system (Linux: `/proc/self/stat`, in clock
/// ticks of 10 ms), or `None` elsewhere.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// How to run one check of the program (or two at once): returns the executions run.
type Way<'a> = &'a (dyn Fn() -> u64 + Sync);

/// The ways to compare jobs(1) and jobs(2) by: one check under `config(1)`, one under
/// `config(2)`, and two independent checks under `config(1)` at once on two OS threads, which
/// is what the machine's two cores give without interleave's coordination (its rate is the
/// ceiling of jobs(2)'s).
fn compared(
    program: fn(),
    config: &(dyn Fn(usize) -> interleave::Config + Sync),
) -> [Box<dyn Fn() -> u64 + Sync + '_>; 3] {
    [
        Box::new(move || run_program(config(1), program)),
        Box::new(move || run_program(config(2), program)),
        Box::new(move || {
            std::thread::scope(|s| {
                let other = s.spawn(|| run_program(config(1), program));
                run_program(config(1), program) + other.join().unwrap()
            })
        }),
    ]
}

/// `rounds` runs of each of `ways`, taking turns (the first, the second, …, the first again,
/// so that the machine's speed drifting during the bench moves each alike): for each way, the
/// median of its executions per second (wall clock) and the CPU time its rounds took per 1,000
/// executions (ms), and the executions of the first way's run.
fn rates(rounds: usize, ways: &[Way<'_>]) -> (u64, Vec<(f64, f64)>) {
    let mut first = 0;
    // Per way: its rates, its executions, and its CPU time (`None` where it cannot be read).
    let mut measured: Vec<(Vec<f64>, u64, Option<Duration>)> = ways
        .iter()
        .map(|_| (Vec::new(), 0, Some(Duration::ZERO)))
        .collect();
    for _ in 0..rounds {
        for (i, (way, (rates, total, cpu))) in ways.iter().zip(&mut measured).enumerate() {
            let cpu_before = cpu_time();
            let mut executions = 0;
            let elapsed = time(|| executions = way());
            *cpu = match (*cpu, cpu_before, cpu_time()) {
                (Some(cpu), Some(before), Some(after)) => Some(cpu + (after - before)),
                _ => None,
            };
            rates.push(executions as f64 / elapsed.as_secs_f64());
            *total += executions;
            if i == 0 {
                first = executions;
            }
        }
    }
    let rates = measured
        .into_iter()
        .map(|(rates, total, cpu)| {
            let cpu = cpu.map_or(f64::NAN, |cpu| cpu.as_secs_f64() * 1e6 / total as f64);
            (median(rates), cpu)
        })
        .collect();
    (first, rates)
}

/// Lock/unlock operations per thread of the program naive DFS explores in full.
const DFS_LOCKS: usize = 4;

/// Lock/unlock operations per thread of the peak-memory program.
const LONG_LOCKS: usize = 1_000_000;

/// One execution of 2 threads × [`LONG_LOCKS`] lock/unlock under `tool`; prints this process's
/// peak resident set (`VmHWM`, Linux) in KiB.
fn peak_memory_child(tool: &str) {
    fn program<M: Send + Sync + 'static>(
        new: impl Fn() -> M,
        spawn: impl Fn(Box<dyn FnOnce() + Send>) -> Box<dyn FnOnce()>,
        lock: fn(&M),
    ) where
        std::sync::Arc<M>: Send,
    {
        let m = std::sync::Arc::new(new());
        let m2 = std::sync::Arc::clone(&m);
        let join = spawn(Box::new(move || {
            for _ in 0..LONG_LOCKS {
                lock(&m2);
            }
        }));
        for _ in 0..LONG_LOCKS {
            lock(&m);
        }
        join();
    }
    match tool {
        "interleave" => {
            let report = interleave::Config::random(1)
                .seed(7)
                .jobs(1)
                .max_steps(100_000_000)
                .name("vs_shuttle_memory")
                .write_artifact(false)
                .explore(|| {
                    program(
                        || interleave::sync::Mutex::new(0u64),
                        |f| {
                            let t = interleave::thread::spawn(f);
                            Box::new(move || t.join().unwrap())
                        },
                        |m| *m.lock().unwrap() += 1,
                    );
                });
            assert!(report.is_clean(), "{report}");
        }
        _ => {
            let mut config = shuttle::Config::new();
            config.max_steps = shuttle::MaxSteps::None;
            let scheduler = shuttle::scheduler::RandomScheduler::new_from_seed(7, 1);
            shuttle::Runner::new(scheduler, config).run(|| {
                program(
                    || shuttle::sync::Mutex::new(0u64),
                    |f| {
                        let t = shuttle::thread::spawn(f);
                        Box::new(move || t.join().unwrap())
                    },
                    |m| *m.lock().unwrap() += 1,
                );
            });
        }
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let peak = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .map_or("?".to_owned(), |v| {
            v.trim().trim_end_matches(" kB").to_owned()
        });
    println!("{peak}");
}

/// The peak memory of [`peak_memory_child`] under `tool`, in MiB, from a child process.
fn peak_memory(tool: &str) -> Option<f64> {
    let exe = std::env::current_exe().ok()?;
    let out = std::process::Command::new(exe)
        .arg(format!("--peak-memory={tool}"))
        .output()
        .ok()?;
    let kib: f64 = String::from_utf8_lossy(&out.stdout).trim().parse().ok()?;
    Some(kib / 1024.0)
}

/// The positive number in the environment variable `name`, or `default` if it is not set;
/// exits with an error if it is set to anything else.
fn positive_env(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Err(_) => default,
        Ok(text) => match text.parse() {
            Ok(n) if n > 0 => n,
            _ => {
                eprintln!("error: {name}={text:?} is not a positive number");
                std::process::exit(2);
            }
        },
    }
}

fn main() {
    if let Some(tool) =
        std::env::args().find_map(|a| a.strip_prefix("--peak-memory=").map(str::to_owned))
    {
        peak_memory_child(&tool);
        return;
    }
    let executions = positive_env("VS_SHUTTLE_EXECUTIONS", 20_000);
    // Raw shuttle seeds from the OS unless told otherwise; fix it so runs are comparable.
    std::env::set_var("SHUTTLE_RANDOM_SEED", "7");
    if let Some(tool) =
        std::env::args().find_map(|a| a.strip_prefix("--profile=").map(str::to_owned))
    {
        match tool.as_str() {
            "interleave" => {
                let checks = run_executions(executions, interleave_program::<0>);
                eprintln!("{executions} executions in {checks} checks");
            }
            // The 10-op program's random check on `n` OS threads (`--profile=jobs1`, `jobs2`).
            jobs if jobs.starts_with("jobs") => {
                let n = jobs["jobs".len()..].parse().unwrap_or(1);
                run(interleave::Config::random(executions).jobs(n));
            }
            // Two independent `jobs1` checks at once, each of half the executions: the
            // ceiling of `jobs2` (`--profile=side-by-side`).
            "side-by-side" => std::thread::scope(|s| {
                s.spawn(|| run(interleave::Config::random(executions / 2).jobs(1)));
                run(interleave::Config::random(executions - executions / 2).jobs(1));
            }),
            // The 10-op program under raw shuttle, the reference for `jobs1`.
            "shuttle-locks" => {
                shuttle::check_random(shuttle_program::<LOCKS_PER_THREAD>, executions as usize)
            }
            _ => shuttle::check_random(shuttle_program::<0>, executions as usize),
        }
        return;
    }
    let rounds = positive_env("VS_SHUTTLE_ROUNDS", 5) as usize;
    println!("{executions} executions per measurement, median of {rounds}:");
    println!();
    println!("| program | raw shuttle `check_random` executions/s | interleave random, all detectors, one thread | ratio |");
    println!("|---|---:|---:|---:|");
    for (name, shuttle_program, interleave_program) in [
        (
            "2 threads x 10 lock/unlock of one Mutex",
            shuttle_program::<LOCKS_PER_THREAD> as fn(),
            interleave_program::<LOCKS_PER_THREAD> as fn(),
        ),
        (
            "2 threads x 0 ops",
            shuttle_program::<0>,
            interleave_program::<0>,
        ),
    ] {
        let mut shuttle_rates = Vec::new();
        let mut interleave_rates = Vec::new();
        let mut checks = 0;
        for _ in 0..rounds {
            let shuttle = time(|| shuttle::check_random(shuttle_program, executions as usize));
            let interleave = time(|| checks = run_executions(executions, interleave_program));
            shuttle_rates.push(executions as f64 / shuttle.as_secs_f64());
            interleave_rates.push(executions as f64 / interleave.as_secs_f64());
        }
        let (s, i) = (median(shuttle_rates), median(interleave_rates));
        println!(
            "| {name} | {s:.0} | {i:.0} ({checks} checks) | {:.2} |",
            i / s
        );
    }
    println!();
    // The fixed cost of a check: a test whose scenario has one thread runs one execution, so a
    // suite of such tests pays mostly this.
    let checks = (executions / 4).max(1);
    let mut shuttle_costs = Vec::new();
    let mut interleave_costs = Vec::new();
    for _ in 0..rounds {
        let shuttle = time(|| {
            for _ in 0..checks {
                shuttle::check_random(one_thread_shuttle, 1);
            }
        });
        let interleave = time(|| {
            for _ in 0..checks {
                let report = interleave::Config::default()
                    .name("vs_shuttle_one_thread")
                    .write_artifact(false)
                    .explore(one_thread_interleave);
                assert!(report.is_clean() && report.executions == 1, "{report}");
            }
        });
        shuttle_costs.push(shuttle.as_secs_f64() * 1e6 / checks as f64);
        interleave_costs.push(interleave.as_secs_f64() * 1e6 / checks as f64);
    }
    println!("{checks} checks of a one-thread scenario (one lock/unlock) one after the other, median of {rounds}:");
    println!();
    println!("| | µs per check |");
    println!("|---|---:|");
    println!(
        "| raw shuttle `check_random(f, 1)` | {:.1} |",
        median(shuttle_costs)
    );
    println!(
        "| interleave `Config::default().explore(f)` (1 execution: every schedule) | {:.1} |",
        median(interleave_costs)
    );
    println!();
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    println!("2 threads x {LOCKS_PER_THREAD} lock/unlock on one and on two OS threads (`Config::jobs`), {cores} cores; the ceiling is two independent jobs(1) checks at once, on two OS threads:");
    println!();
    println!("| strategy | jobs(1) executions/s | jobs(2) executions/s | speedup | ceiling: executions/s, speedup | CPU ms per 1,000 executions, jobs(1) / jobs(2) / ceiling |");
    println!("|---|---:|---:|---:|---:|---:|");
    let row = |name: &str, (executions, rates): (u64, Vec<(f64, f64)>)| {
        let [(one, cpu_one), (two, cpu_two), (ceiling, cpu_ceiling)] = rates[..] else {
            unreachable!("three ways")
        };
        let name = name.replace("{executions}", &executions.to_string());
        println!(
            "| {name} | {one:.0} | {two:.0} | {:.2}x | {ceiling:.0}, {:.2}x | {cpu_one:.0} / {cpu_two:.0} / {cpu_ceiling:.0} |",
            two / one,
            ceiling / one
        );
    };
    for (name, strategy) in [
        ("random", interleave::Strategy::Random),
        ("pct:3", interleave::Strategy::Pct { depth: 3 }),
    ] {
        let config = move |jobs| {
            interleave::Config::random(executions)
                .strategy(strategy)
                .jobs(jobs)
        };
        let ways = compared(interleave_program::<LOCKS_PER_THREAD>, &config);
        let ways: Vec<Way<'_>> = ways.iter().map(|w| &**w as Way<'_>).collect();
        row(name, rates(rounds, &ways));
    }
    // Naive DFS splits the tree among the threads: the whole tree of 2 threads x 4 lock/unlock.
    let dfs = |jobs| {
        interleave::Config::exhaustive()
            .strategy(interleave::Strategy::ExhaustiveNaive)
            .executions(10_000_000)
            .jobs(jobs)
    };
    let ways = compared(interleave_program::<DFS_LOCKS>, &dfs);
    let ways: Vec<Way<'_>> = ways.iter().map(|w| &**w as Way<'_>).collect();
    row(
        &format!("exhaustive-naive, 2 threads x {DFS_LOCKS} lock/unlock, every one of its {{executions}} executions"),
        rates(3, &ways),
    );
    println!();
    println!("one execution of 2 threads x {LONG_LOCKS} lock/unlock, peak resident set:");
    println!();
    println!("| engine | peak MiB |");
    println!("|---|---:|");
    let (i, s) = (peak_memory("interleave"), peak_memory("shuttle"));
    let show = |m: Option<f64>| m.map_or("?".to_owned(), |m| format!("{m:.0}"));
    println!("| raw shuttle | {} |", show(s));
    println!("| interleave random, all detectors | {} |", show(i));
    if let (Some(i), Some(s)) = (i, s) {
        println!();
        println!("ratio interleave / shuttle: {:.2}", i / s);
    }
}
