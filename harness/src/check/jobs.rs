//! A check on several OS threads (`Config::jobs`): each runs executions with an engine of its
//! own, and this thread takes their results in the executions' order.
//!
//! Only sampling strategies run here (random, PCT): execution `k` is drawn from the seed and `k`
//! alone (PCT also learns the length of executions from those numbered up to a power of two
//! below `k`, which the threads wait for), so it is the same execution whichever thread runs it.
//! DPOR stays on one thread: its next schedule depends on the races of every execution before.
//!
//! What makes the result independent of the number of threads:
//!
//! - The threads run executions without a detector. The check's detector, which accumulates
//!   the lock-order graph, the stable identities and the races reported over executions, reads
//!   every execution's events here, in the executions' order, exactly as it would inside them on
//!   one thread: the same findings, ids and witnesses.
//! - A finding that ends an execution on one thread (anything but a potential deadlock or an
//!   accepted race) did not end it on its thread: when the check's detector makes one before
//!   the execution's last event, the execution runs again here, with a detector of its own
//!   inside, and stops where one thread would have (its schedule, path and coverage are those
//!   of the shorter execution). Whether a finding ends an execution depends on that execution
//!   alone, so this is rare: failing executions, and accepted findings.
//! - The coverage tree is built from each execution's logged branches, in order.
//! - The check stops at the lowest-numbered failing execution (or where the tree is complete):
//!   executions other threads ran past it are dropped.

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::sync::{mpsc, Arc, Condvar, Mutex, PoisonError};

use interleave_detector::{Detector, DetectorConfig};
use shuttle_engine::runtime::thread::continuation::{ContinuationPool, CONTINUATION_POOL};

use super::collect::Collected;
use super::runner::{Ran, Runner};
use super::{Plan, PlanError};
use crate::rt;
use crate::schedule::coverage::Coverage;
use crate::schedule::{pct, Strategy};

/// Makes the strategy of one thread.
pub(crate) type MakeStrategy<'a> = dyn Fn() -> Box<dyn Strategy> + Sync + 'a;

/// How many executions' results a thread hands over at once: waking this thread for every
/// execution would cost about as much as a small execution.
const BATCH: usize = 8;

/// How many executions the threads may run ahead of the oldest one not yet taken, per thread:
/// bounds the events held waiting (at least two batches, so that no thread waits for a batch
/// another thread has not handed over yet).
const AHEAD_PER_THREAD: u64 = 2 * BATCH as u64;

/// Which executions the threads may start.
#[derive(Debug)]
struct Claims {
    /// The next execution to start.
    next: u64,
    /// Executions taken so far (in order).
    taken: u64,
    /// Per execution taken: the most contested steps of it and those before.
    longest: Vec<usize>,
    /// No execution is started any more.
    stopped: bool,
    /// Threads waiting for `changed`.
    waiting: usize,
}

/// What a thread may do next.
enum Claim {
    /// Run this execution, with what PCT learns for it.
    Run(u64, usize),
    /// Wait: earlier executions must be taken first.
    Wait,
    /// The check needs no more executions.
    Done,
}

#[derive(Debug)]
struct Shared {
    claims: Mutex<Claims>,
    changed: Condvar,
    /// The last execution of the budget.
    last: u64,
    ahead: u64,
    /// Event buffers the check has read, for the threads to fill again (their capacity is what
    /// an execution needs, so an execution rarely grows one).
    buffers: Mutex<Vec<Vec<interleave_detector::Event>>>,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Claims> {
        self.claims.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The next execution to run and what PCT learns for it, once it may start (at once
    /// unless `block`); [`Claim::Done`] once the check needs no more.
    fn claim(&self, block: bool) -> Claim {
        let mut claims = self.lock();
        loop {
            if claims.stopped || claims.next > self.last {
                return Claim::Done;
            }
            let execution = claims.next;
            let learned = pct::learned_from(execution);
            if claims.longest.len() as u64 >= learned && execution <= claims.taken + self.ahead {
                claims.next += 1;
                let steps = match learned {
                    0 => 0,
                    n => claims.longest[n as usize - 1],
                };
                return Claim::Run(execution, steps);
            }
            if !block {
                return Claim::Wait;
            }
            claims.waiting += 1;
            claims = self
                .changed
                .wait(claims)
                .unwrap_or_else(PoisonError::into_inner);
            claims.waiting -= 1;
        }
    }

    fn stop(&self) {
        self.lock().stopped = true;
        self.changed.notify_all();
    }
}

/// What a thread hands back for one execution.
type Result1 = Result<Option<Ran>, PlanError>;

/// Runs the plan's executions on `plan.jobs` threads; returns what was collected and whether
/// no schedule is left.
pub(super) fn run(
    plan: &Plan,
    make: &MakeStrategy<'_>,
    f: &Arc<dyn Fn() + Send + Sync>,
) -> Result<(Collected, bool), PlanError> {
    let threads = plan
        .jobs
        .min(plan.executions.try_into().unwrap_or(usize::MAX));
    let shared = Shared {
        claims: Mutex::new(Claims {
            next: 1,
            taken: 0,
            longest: Vec::new(),
            stopped: false,
            waiting: 0,
        }),
        changed: Condvar::new(),
        last: plan.executions,
        ahead: AHEAD_PER_THREAD * threads as u64,
        buffers: Mutex::new(Vec::new()),
    };
    let (sender, receiver) = mpsc::channel::<Vec<(u64, Result1)>>();
    let progress = rt::progress();
    let stack = rt::stack_size();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let sender = sender.clone();
            let (shared, progress) = (&shared, progress.clone());
            let spawned = std::thread::Builder::new()
                // The check's own name: panic and overflow messages name the check by it.
                .name(plan.name.clone())
                .stack_size(stack.max(2 << 20))
                .spawn_scoped(scope, move || {
                    rt::join_check(&plan.name, progress, stack);
                    // The check's detector needs every event, and is the only one to see them.
                    let mut runner = Runner::new(plan, make(), Coverage::logging(), usize::MAX);
                    // Weak memory reads the detector's clocks as the execution runs: there the
                    // thread keeps a detector of its own, which decides where it stops.
                    let weak = plan.memory_model == crate::MemoryModel::Weak;
                    runner.scheduler().detect = weak;
                    let own = DetectorConfig {
                        lock_order: false,
                        ..plan.detector
                    };
                    let mut batch = Vec::with_capacity(BATCH);
                    let hand_over = |batch: &mut Vec<(u64, Result1)>| {
                        batch.is_empty() || sender.send(std::mem::take(batch)).is_ok()
                    };
                    CONTINUATION_POOL.set(&ContinuationPool::new(), || loop {
                        let claim = match shared.claim(false) {
                            // Hand over what is done before waiting: it may be what others wait for.
                            Claim::Wait if hand_over(&mut batch) => shared.claim(true),
                            Claim::Wait => Claim::Done,
                            claim => claim,
                        };
                        let Claim::Run(execution, steps) = claim else {
                            break;
                        };
                        let buffer = shared
                            .buffers
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .pop();
                        if let Some(buffer) = buffer {
                            runner.recycle(buffer);
                        }
                        let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
                            runner.run(plan, execution, steps, Detector::new(own), f)
                        }))
                        .unwrap_or_else(|payload| {
                            Err(PlanError::Internal(rt::payload_message(payload.as_ref())))
                        });
                        let failed = result.is_err();
                        batch.push((execution, result));
                        if failed || batch.len() >= BATCH && !hand_over(&mut batch) {
                            break;
                        }
                    });
                    hand_over(&mut batch);
                });
            if let Err(error) = spawned {
                shared.stop();
                return Err(PlanError::Internal(format!(
                    "start a thread to run executions: {error}"
                )));
            }
        }
        drop(sender);
        let result = rt::with_stacks(|| take_in_order(plan, make, f, &shared, &receiver));
        shared.stop();
        result
    })
}

/// Takes the executions' results in their order, as they arrive, until the check is done.
fn take_in_order(
    plan: &Plan,
    make: &MakeStrategy<'_>,
    f: &Arc<dyn Fn() + Send + Sync>,
    shared: &Shared,
    receiver: &mpsc::Receiver<Vec<(u64, Result1)>>,
) -> Result<(Collected, bool), PlanError> {
    let mut detector = Detector::new(plan.detector);
    let mut coverage = Coverage::default();
    let mut collected = Collected::default();
    let mut waiting: BTreeMap<u64, Result1> = BTreeMap::new();
    // Runs here, with the detector inside, an execution a thread ran past where it should have
    // stopped (or that failed there).
    let mut here: Option<Runner> = None;
    let mut again = |execution: u64, steps: usize| -> Result<Ran, PlanError> {
        let runner =
            here.get_or_insert_with(|| Runner::new(plan, make(), Coverage::logging(), usize::MAX));
        // Its own detector decides where it stops, as on one thread: the lock-order graph is
        // the check's detector's alone.
        let own = DetectorConfig {
            lock_order: false,
            ..plan.detector
        };
        runner
            .run(plan, execution, steps, Detector::new(own), f)?
            .ok_or_else(|| {
                PlanError::Internal("a sampling strategy ran out of schedules".to_owned())
            })
    };
    while collected.executions < plan.executions && !coverage.complete() {
        let next = collected.executions + 1;
        let Some(result) = waiting.remove(&next) else {
            match receiver.recv() {
                Ok(batch) => {
                    waiting.extend(batch);
                    continue;
                }
                Err(_) => {
                    return Err(PlanError::Internal(
                        "the threads running executions ended early".to_owned(),
                    ))
                }
            }
        };
        let steps = collected.steps_for(next);
        let ran = match result {
            Ok(Some(ran)) => ran,
            // What went wrong may lie past where the execution should have stopped.
            _ => again(next, steps)?,
        };
        // The check's detector sees the execution as it would have inside it, up to the first
        // finding that ends it.
        detector.begin_execution(next);
        let mut findings = Vec::new();
        let mut stopped_at = None;
        for (index, event) in ran.outcome.events.iter().enumerate() {
            detector
                .observe(event)
                .map_err(|error| PlanError::Internal(error.to_string()))?;
            let new = detector.take_findings();
            let ends = new
                .iter()
                .any(|f| rt::ends_execution(f, !plan.keep_going, &plan.accepted));
            findings.extend(new);
            if ends {
                stopped_at = Some(index);
                break;
            }
        }
        let last = ran.outcome.events.len().checked_sub(1);
        let stopped_there = ran.outcome.stop == Some(rt::Stop::Finding);
        let mut ran = match stopped_at {
            // The thread ran past that finding (its detector was off): run the execution again
            // here, stopping where one thread would have.
            Some(index) if !(stopped_there && Some(index) == last) => {
                let ran = again(next, steps)?;
                if ran.outcome.events.len() != index + 1 {
                    return Err(PlanError::Internal(format!(
                        "execution {next} ran again stopped after {} events, not {}",
                        ran.outcome.events.len(),
                        index + 1
                    )));
                }
                ran
            }
            _ => ran,
        };
        ran.outcome.findings.clear();
        let witnesses = detector.stats().lock_order_witnesses;
        coverage.apply(&ran.coverage);
        let (failed, events) = collected.take(plan, ran, findings, witnesses);
        if let Some(mut events) = events {
            events.clear();
            let mut buffers = shared
                .buffers
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if buffers.len() < 2 * shared.ahead as usize {
                buffers.push(events);
            }
        }
        if failed {
            break;
        }
        coverage.end_execution();
        let mut claims = shared.lock();
        claims.taken = collected.executions;
        claims.longest.push(collected.longest_so_far());
        let waiting = claims.waiting > 0;
        drop(claims);
        if waiting {
            shared.changed.notify_all();
        }
    }
    let complete = collected.failure.is_none() && coverage.complete();
    Ok((collected, complete))
}
