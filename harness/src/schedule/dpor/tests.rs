//! The DPOR strategy driven over hand-written programs: each thread a list of steps (what each
//! touches), every thread enabled until it has taken them all, run under the strategy's
//! decisions until it says nothing is left.

use super::tree::Reduction;
use super::*;
use crate::rt::{Access, Key};
use interleave_detector::ObjectId;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn touch(accesses: &[(u32, bool)]) -> Footprint {
    let mut footprint = Footprint::default();
    for &(object, write) in accesses {
        let access = if write { Access::WRITE } else { Access::READ };
        footprint.touch(Key::object(ObjectId(object)), access);
    }
    footprint
}

fn w(object: u32) -> Footprint {
    touch(&[(object, true)])
}

fn r(object: u32) -> Footprint {
    touch(&[(object, false)])
}

/// Runs `threads` under DPOR (with `bound`); returns the orders of steps it ran, as thread
/// numbers.
fn explore(threads: &[Vec<Footprint>], bound: Option<u32>) -> Vec<Vec<u32>> {
    let reduction = bound.map_or(Reduction::Optimal, Reduction::Bounded);
    explore_reads(threads, &[], reduction)
        .0
        .into_iter()
        .map(|(order, _)| order)
        .collect()
}

/// As [`explore`], where the steps `loads` lists ((thread, step), options) are loads choosing
/// among that many stores: returns each execution's order and the stores its loads read.
/// An execution: its order of steps (thread numbers) and the stores its loads read.
type Run = (Vec<u32>, Vec<usize>);

/// Also returns how many executions were sleep-set blocked (their orders are listed too).
fn explore_reads(
    threads: &[Vec<Footprint>],
    loads: &[((u32, usize), usize)],
    reduction: Reduction,
) -> (Vec<Run>, usize) {
    let mut dpor = DporStrategy::with(reduction);
    let mut runs = Vec::new();
    let mut blocked = 0;
    while dpor.next_execution() {
        let mut next = vec![0; threads.len()];
        let mut order = Vec::new();
        let mut read = Vec::new();
        loop {
            let enabled: Vec<u32> = (0..threads.len())
                .filter(|&t| next[t] < threads[t].len())
                .map(|t| t as u32)
                .collect();
            if enabled.is_empty() {
                break;
            }
            let running = order.last().copied().filter(|t| enabled.contains(t));
            let node = Node {
                enabled: &enabled,
                clock: false,
                fire: None,
                running,
                waiting: &[],
                clock_waits: false,
            };
            let Actor::Thread(t) = dpor.decide(&node).unwrap() else {
                panic!("no clock here");
            };
            let footprint = &threads[t as usize][next[t as usize]];
            if let Some(&(_, options)) = loads.iter().find(|(at, _)| *at == (t, next[t as usize])) {
                read.push(dpor.read_from(options).unwrap());
            }
            next[t as usize] += 1;
            dpor.step(&Step {
                actor: Actor::Thread(t),
                footprint,
                woken: &[],
                natural_fires: &[],
            });
            order.push(t);
        }
        blocked += usize::from(dpor.redundant);
        runs.push((order, read));
    }
    (runs, blocked)
}

#[test]
fn every_store_a_load_may_read_is_explored_in_each_order() {
    // A load of object 1 with two stores to choose from, and an independent write: one order,
    // both stores.
    let load = ((0, 0), 2);
    let runs = explore_reads(&[vec![r(1)], vec![w(2)]], &[load], Reduction::Optimal).0;
    assert_eq!(runs, [(vec![0, 1], vec![0]), (vec![0, 1], vec![1])]);
    // A conflicting write: the load before it (both stores), and after it (both stores).
    let runs = explore_reads(&[vec![r(1)], vec![w(1)]], &[load], Reduction::Optimal).0;
    assert_eq!(
        runs,
        [
            (vec![0, 1], vec![0]),
            (vec![0, 1], vec![1]),
            (vec![1, 0], vec![0]),
            (vec![1, 0], vec![1]),
        ]
    );
    // Two loads in one thread: every pair of choices, 2 · 3.
    let runs = explore_reads(
        &[vec![r(1), r(1)]],
        &[((0, 0), 2), ((0, 1), 3)],
        Reduction::Optimal,
    )
    .0;
    assert_eq!(runs.len(), 6, "{runs:?}");
}

#[test]
fn independent_threads_run_once() {
    let runs = explore(&[vec![w(1), w(2)], vec![w(3), r(4)]], None);
    assert_eq!(runs.len(), 1, "{runs:?}");
    // A read of what the other thread writes: before the write, or after.
    let runs = explore(&[vec![w(1), w(2)], vec![w(3), r(1)]], None);
    assert_eq!(runs, [vec![0, 0, 1, 1], vec![1, 1, 0, 0]]);
}

#[test]
fn conflicting_steps_run_in_every_order_once() {
    // Two threads writing one object twice each: the orders of four writes, 4! / 2!·2! = 6.
    let runs = explore(&[vec![w(1), w(1)], vec![w(1), w(1)]], None);
    assert_eq!(runs.len(), 6);
    let mut distinct = runs.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 6, "no order twice: {runs:?}");
}

#[test]
fn reads_commute_with_each_other_not_with_a_write() {
    // Two readers and a writer of one object: the write before both reads, between them (two
    // ways) or after both: 4.
    let runs = explore(&[vec![r(1)], vec![r(1)], vec![w(1)]], None);
    assert_eq!(runs.len(), 4, "{runs:?}");
}

#[test]
fn a_step_touching_nothing_is_never_a_branch() {
    // Steps touching nothing (a thread's start, a lock request) interleave freely.
    let runs = explore(
        &[
            vec![Footprint::default(), w(1), Footprint::default()],
            vec![Footprint::default(), w(1)],
        ],
        None,
    );
    assert_eq!(runs.len(), 2, "{runs:?}");
}

#[test]
fn a_preemption_bound_of_zero_runs_each_thread_to_its_end_once_started() {
    // Without the bound, 4!/2!·2! = 6 orders; with none allowed, only the two that switch
    // when a thread ends.
    let threads = [vec![w(1), w(1)], vec![w(1), w(1)]];
    let runs = explore(&threads, Some(0));
    assert_eq!(runs, [vec![0, 0, 1, 1], vec![1, 1, 0, 0]]);
    let one = explore(&threads, Some(1));
    assert_eq!(one.len(), 4, "{one:?}");
}

/// A trace's canonical order: the steps of `order` (as thread numbers) sorted as the lowest
/// thread first among those whose earlier conflicting steps have all run. Two orders of one
/// trace give the same.
fn canonical(threads: &[Vec<Footprint>], order: &[u32]) -> Vec<u32> {
    // The steps as (thread, index in the thread), in the order they ran.
    let mut next = vec![0; threads.len()];
    let steps: Vec<(u32, usize)> = order
        .iter()
        .map(|&t| {
            next[t as usize] += 1;
            (t, next[t as usize] - 1)
        })
        .collect();
    let footprint = |(t, i): (u32, usize)| &threads[t as usize][i];
    let before = |a: usize, b: usize| {
        a < b && (steps[a].0 == steps[b].0 || footprint(steps[a]).conflicts(footprint(steps[b])))
    };
    let mut done = vec![false; steps.len()];
    let mut canonical = Vec::new();
    while canonical.len() < steps.len() {
        let ready = (0..steps.len())
            .filter(|&b| !done[b] && (0..steps.len()).all(|a| done[a] || !before(a, b)))
            .min_by_key(|&b| steps[b])
            .expect("a step is ready");
        done[ready] = true;
        canonical.push(steps[ready].0);
    }
    canonical
}

#[test]
fn wakeup_trees_run_one_execution_per_trace_where_source_dpor_is_blocked() {
    // A writes x, then reads it; B takes a step touching nothing, then writes x; C reads x,
    // then takes a step touching nothing. The traces are the orders of the four accesses to x
    // with A's in program order, 4!/2 = 12, except that two reads next to each other commute:
    // A's and C's are adjacent, in either order, in 3 arrangements (W_a W_b RR, W_b W_a RR,
    // W_a RR W_b), so 12 − 3 = 9 traces.
    let e = Footprint::default;
    let threads = [vec![w(1), r(1)], vec![e(), w(1)], vec![r(1), e()]];
    let traces = |runs: &[Run]| {
        let mut traces: Vec<Vec<u32>> = runs.iter().map(|(o, _)| canonical(&threads, o)).collect();
        traces.sort();
        traces.dedup();
        traces.len()
    };
    // Source-DPOR runs 10: reversing C's read with B's write, it schedules B's first step at
    // the root (an initial of the reversal), and the execution that follows runs into every
    // thread asleep.
    let (source, blocked) = explore_reads(&threads, &[], Reduction::Source);
    assert_eq!((source.len(), blocked, traces(&source)), (10, 1, 9));
    // The wakeup tree schedules the whole reversal (B's steps, then C's read): 9, none blocked.
    let (optimal, blocked) = explore_reads(&threads, &[], Reduction::Optimal);
    assert_eq!((optimal.len(), blocked, traces(&optimal)), (9, 0, 9));
}

#[test]
fn wakeup_trees_never_block_nor_repeat_a_trace_on_random_programs() {
    // 2,000 programs of 2 or 3 threads, each 1 to 3 reads or writes of 3 objects: optimal
    // DPOR runs each trace once, never a blocked execution, and the same traces as
    // source-DPOR.
    let steps = [r(1), w(1), r(2), w(2), r(3), w(3)];
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let (mut source_runs, mut source_blocked, mut optimal_runs) = (0, 0, 0);
    for _ in 0..2_000 {
        let threads: Vec<Vec<Footprint>> = (0..rng.random_range(2..=3))
            .map(|_| {
                (0..rng.random_range(1..=3))
                    .map(|_| steps[rng.random_range(0..steps.len())].clone())
                    .collect()
            })
            .collect();
        let traces = |runs: &[Run]| {
            let mut traces: Vec<Vec<u32>> =
                runs.iter().map(|(o, _)| canonical(&threads, o)).collect();
            traces.sort();
            traces.dedup();
            traces
        };
        let (source, blocked) = explore_reads(&threads, &[], Reduction::Source);
        let (optimal, none) = explore_reads(&threads, &[], Reduction::Optimal);
        assert_eq!(none, 0, "{threads:?}");
        let optimal_traces = traces(&optimal);
        assert_eq!(
            optimal_traces.len(),
            optimal.len(),
            "a trace twice: {threads:?}"
        );
        assert_eq!(traces(&source), optimal_traces, "{threads:?}");
        source_runs += source.len();
        source_blocked += blocked;
        optimal_runs += optimal.len();
    }
    println!(
        "source-DPOR {source_runs} executions ({source_blocked} blocked), optimal {optimal_runs}"
    );
    assert_eq!(source_runs - source_blocked, optimal_runs);
}
