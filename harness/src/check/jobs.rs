//! A check on several OS threads (`Config::jobs`): each runs executions with an engine of its
//! own, and whichever of them is free takes the finished executions' results in the
//! executions' order. A thread claims a block of consecutive executions at a time (up to
//! [`BLOCK`]), runs them, and hands their results over together.
//!
//! Only sampling strategies run here (random, PCT): execution `k` is drawn from the seed and `k`
//! alone (PCT also learns the length of executions from those numbered up to a power of two
//! below `k`, which the threads wait for), so it is the same execution whichever thread runs it.
//! DPOR stays on one thread: its next schedule depends on the races of every execution before.
//!
//! What makes the result independent of the number of threads:
//!
//! - The check's detector, which accumulates the lock-order graph, the stable identities and
//!   the races reported over executions, reads the executions' events in the executions' order,
//!   exactly as it would inside them on one thread: the same findings, ids and witnesses. It is
//!   not a thread of its own: a thread that hands over an execution's result takes, if no other
//!   thread is doing so, every result that is next in order, and goes back to running
//!   executions when the next one is not finished yet. So `jobs(n)` keeps `n` threads busy, not
//!   `n + 1`.
//! - Each thread analyses its executions as they run, with a detector of its own that does not
//!   stop them, and that has seen some of the thread's earlier executions and nothing else.
//!   When that detector made no finding in an execution and learnt nothing from it (no new
//!   identity, lock context, lock-order request or race: `Detector::kept_size`), the thread
//!   hands over only a count (and the execution's branching points, until the check's coverage
//!   gives up), keeps the execution's buffers, and the check's detector skips it: it has seen
//!   every execution before it, so knows at least what the thread's detector knew, and would
//!   neither learn nor find anything in it. Once a check's identities and lock contexts are
//!   known, that is nearly every execution, and the in-order work is little more than
//!   counting. A thread's detector that made a finding is
//!   dropped (the check may have stopped that execution sooner, and not seen its end). Under
//!   the weak memory model each execution has a fresh detector, which decides where it stops
//!   (it reads the detector's clocks), and the check's detector reads every execution.
//! - A finding that ends an execution on one thread (anything but a potential deadlock or an
//!   accepted race) did not end it on its thread: when the check's detector makes one before
//!   the execution's last event, the execution runs again, with a detector of its own inside,
//!   and stops where one thread would have (its schedule, path and coverage are those of the
//!   shorter execution). Whether a finding ends an execution depends on that execution alone,
//!   so this is rare: failing executions, and accepted findings.
//! - The coverage tree is built from each execution's logged branches, in order.
//! - The check stops at the lowest-numbered failing execution (or where the tree is complete):
//!   executions other threads ran past it are dropped.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crossbeam_utils::CachePadded;
use interleave_detector::{Detector, DetectorConfig};
use shuttle_engine::runtime::thread::continuation::{ContinuationPool, CONTINUATION_POOL};

use super::collect::Collected;
use super::runner::{Ran, Runner};
use super::{Plan, PlanError};
use crate::rt;
use crate::schedule::coverage::{Coverage, CoverageLog};
use crate::schedule::{pct, Strategy};

/// Makes the strategy of one thread.
pub(crate) type MakeStrategy<'a> = dyn Fn() -> Box<dyn Strategy> + Sync + 'a;

/// How long a check runs on one thread before it starts others: starting a thread, with its
/// engine and coroutine stacks, costs about as much as a few executions, which a check this
/// short would not win back.
const ALONE_FOR: Duration = Duration::from_millis(5);

/// The most detectors a thread keeps for its next executions (more are in flight when the check
/// takes its results late).
const SPARE_DETECTORS: usize = 4;

/// How many executions the threads may run ahead of the oldest one not yet taken, per thread:
/// bounds the events held waiting.
const AHEAD_PER_THREAD: u64 = 16;

/// How long a thread keeps looking for an execution it may start before it sleeps.
const SPIN_FOR: Duration = Duration::from_micros(50);

/// The most executions a thread claims at once, runs, and then hands over together: what the
/// threads share (the claims, the results waiting, the check's state) moves from one core's
/// cache to the other's once per block rather than once per execution. A thread running alone
/// claims one at a time, and blocks grow one execution per [`BLOCK_GROWS`] taken: a block
/// runs to its end before the check sees its results, so the executions a thread runs past
/// where the check stops (a small tree explored, a failure) stay few.
const BLOCK: u64 = 8;

/// See [`BLOCK`].
const BLOCK_GROWS: u64 = 64;

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
    /// Run these executions (the first and how many), with what PCT learns for them (the same
    /// for each: a block never spans two lengths learnt).
    Run(u64, u64, usize),
    /// Wait: earlier executions must be taken first.
    Wait,
    /// The check needs no more executions.
    Done,
}

/// What a thread hands over for one execution.
#[allow(
    clippy::large_enum_variant,
    reason = "a skipped execution's branches travel inline: boxed, the thread taking them would free what another allocated, at every execution"
)]
enum Result1 {
    /// Its thread's detector found nothing in it and learnt nothing from it: the check's
    /// detector skips it, and its buffers stayed with its thread. Its contested steps, its
    /// number of events, and its branching points (none once the check's coverage has given
    /// up).
    Skipped {
        steps: usize,
        events: u64,
        coverage: CoverageLog,
    },
    /// What it left (boxed: it is large, and moves several times), for the check to read.
    Ran(Result<Option<Box<Ran>>, PlanError>),
}

/// A result handed over, and the number of the thread that ran it.
type Handed1 = (usize, Result1);

/// What the check keeps while it takes executions in order.
struct Taking {
    detector: Detector,
    coverage: Coverage,
    collected: Collected,
    /// Other threads run executions too (execution 1, which runs alone, used no object made
    /// outside it).
    parallel: bool,
    /// An execution used an object made outside it: it is not the scenario's own, and one
    /// thread must run every execution.
    shared_object: bool,
}

/// How taking results in order ended.
enum Taken {
    /// The next execution is not finished yet.
    More,
    /// The check is done.
    Done,
    /// An execution used an object made outside it while other executions ran at once: the
    /// check runs again on one thread.
    Shared,
}

/// How the check ended: what was collected and whether no schedule is left, or `None` when
/// it must run on one thread.
type Outcome = Result<Option<(Collected, bool)>, PlanError>;

/// The results handed over and not taken yet, and who takes them.
struct Handed {
    /// Results by execution number: execution `k` in slot `k % ahead` (an execution runs only
    /// while it is within `ahead` of the next one to take, so no two share a slot).
    waiting: Vec<Option<Handed1>>,
    /// The check's state, while no thread is taking results (a thread taking them holds it
    /// outside the lock).
    taking: Option<Taking>,
    /// How the check ended, once it has.
    outcome: Option<Outcome>,
}

/// What the threads share. Each part that threads write at every execution is on a cache line
/// of its own (`CachePadded`): written by one core, a line is taken from the other's cache, so
/// parts sharing a line would slow each other down.
struct Shared {
    claims: CachePadded<Mutex<Claims>>,
    changed: Condvar,
    handed: CachePadded<Mutex<Handed>>,
    /// The last execution of the budget.
    last: u64,
    /// The strategy learns the length of executions from earlier ones (PCT): an execution
    /// starts once those it learns from are taken.
    learns: bool,
    ahead: u64,
    /// Per thread: what its executions left once the check took them (their events, decisions
    /// and detector), for it to reuse. Memory goes back to the thread that allocated it: freed
    /// by another, it would take a lock of the first thread's allocator arena each time, and
    /// the two threads would wait for each other.
    #[allow(
        clippy::vec_box,
        reason = "boxed since the thread ran it: moving out would copy it"
    )]
    returned: Vec<CachePadded<Mutex<Vec<Box<Ran>>>>>,
    /// The check's coverage tree has given up: skipped executions need not send their branches.
    coverage_gave_up: CachePadded<AtomicBool>,
    /// No execution is started any more (`Claims::stopped`, read between the executions of a
    /// block without taking the lock).
    stopped: CachePadded<AtomicBool>,
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    /// The next executions to run (at most `most` of them) and what PCT learns for them, once
    /// they may start (at once unless `block`); [`Claim::Done`] once the check needs no more.
    fn claim(&self, block: bool, most: u64) -> Claim {
        let mut claims = lock(&self.claims);
        let mut spin_until = None;
        loop {
            if claims.stopped || claims.next > self.last {
                return Claim::Done;
            }
            let execution = claims.next;
            let learned = if self.learns {
                pct::learned_from(execution)
            } else {
                0
            };
            if claims.longest.len() as u64 >= learned && execution <= claims.taken + self.ahead {
                let end = block_end(
                    execution,
                    most,
                    claims.taken,
                    self.last.min(claims.taken + self.ahead),
                    self.learns.then_some(learned),
                );
                claims.next = end + 1;
                let steps = match learned {
                    0 => 0,
                    n => claims.longest[n as usize - 1],
                };
                return Claim::Run(execution, end - execution + 1, steps);
            }
            if !block {
                return Claim::Wait;
            }
            // What it waits for is usually an execution running on another thread, which ends
            // within microseconds: sleeping and being woken would take longer. Look again for
            // a while first (the time decides how the thread waits, never what it runs).
            let until = *spin_until.get_or_insert_with(|| Instant::now() + SPIN_FOR);
            if Instant::now() < until {
                drop(claims);
                for _ in 0..16 {
                    std::hint::spin_loop();
                }
                claims = lock(&self.claims);
                continue;
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
        lock(&self.claims).stopped = true;
        self.stopped.store(true, Ordering::Relaxed);
        self.changed.notify_all();
    }

    /// Hands over `results` (by execution); then, unless another thread is taking results,
    /// takes every result that is next in order (`again`: this thread's runner for executions
    /// that must run again with a detector inside).
    fn hand_over(
        &self,
        results: &mut Vec<(u64, Handed1)>,
        again: &mut Again<'_, '_>,
        next: &mut Vec<Handed1>,
    ) {
        let slots = self.ahead;
        let slot = |execution: u64| (execution % slots) as usize;
        let mut handed = lock(&self.handed);
        for (execution, result) in results.drain(..) {
            debug_assert!(handed.waiting[slot(execution)].is_none());
            handed.waiting[slot(execution)] = Some(result);
        }
        loop {
            // Another thread is taking results (it will take this one), or the check is over.
            let Some(mut taking) = handed.taking.take() else {
                return;
            };
            let mut number = taking.collected.executions + 1;
            while let Some(result) = handed.waiting[slot(number)].take() {
                next.push(result);
                number += 1;
            }
            if next.is_empty() {
                handed.taking = Some(taking);
                return;
            }
            drop(handed);
            let taken = std::panic::catch_unwind(AssertUnwindSafe(|| {
                take_in_order(&mut taking, next, again, self)
            }))
            .unwrap_or_else(|payload| {
                Err(PlanError::Internal(rt::payload_message(payload.as_ref())))
            });
            handed = lock(&self.handed);
            let outcome = match taken {
                Ok(Taken::More) => {
                    handed.taking = Some(taking);
                    continue;
                }
                Ok(Taken::Done) => {
                    let complete = taking.collected.failure.is_none() && taking.coverage.complete();
                    Ok(Some((taking.collected, complete)))
                }
                Ok(Taken::Shared) => Ok(None),
                Err(error) => Err(error),
            };
            handed.outcome = Some(outcome);
            handed.waiting.iter_mut().for_each(|slot| *slot = None);
            next.clear();
            drop(handed);
            self.stop();
            return;
        }
    }
}

/// The last execution of the block starting at `execution`: at most `most`, fewer while few
/// are `taken` (see [`BLOCK`]), none past `last`, and (for PCT, which learns from the
/// executions up to `learned`) only those learning from the same executions: execution `k`
/// learns from those up to the power of two below it, so the ones after it learn from the
/// same up to twice that.
fn block_end(execution: u64, most: u64, taken: u64, last: u64, learned: Option<u64>) -> u64 {
    let most = most.min(1 + taken / BLOCK_GROWS);
    let end = (execution + most - 1).min(last);
    match learned {
        None => end,
        Some(0) => execution,
        Some(learned) => end.min(2 * learned),
    }
}

/// Runs again, with a detector inside, an execution a thread ran past where it should have
/// stopped (or that failed there): each thread makes its runner for this when it first needs
/// one.
struct Again<'p, 'm> {
    plan: &'p Plan,
    make: &'m MakeStrategy<'m>,
    f: &'p Arc<dyn Fn() + Send + Sync>,
    runner: Option<Runner>,
}

impl Again<'_, '_> {
    fn run(&mut self, execution: u64, steps: usize) -> Result<Box<Ran>, PlanError> {
        let (plan, make) = (self.plan, self.make);
        let runner = self
            .runner
            .get_or_insert_with(|| Runner::new(plan, make(), Coverage::logging(), usize::MAX));
        // Its own detector decides where it stops, as on one thread: the lock-order graph is
        // the check's detector's alone.
        let own = DetectorConfig {
            lock_order: false,
            ..plan.detector
        };
        runner
            .run(plan, execution, steps, Box::new(Detector::new(own)), self.f)?
            .map(|ran| {
                Box::new(Ran {
                    reusable: false,
                    ..ran
                })
            })
            .ok_or_else(|| {
                PlanError::Internal("a sampling strategy ran out of schedules".to_owned())
            })
    }
}

/// Runs the plan's executions on `plan.jobs` threads (this one among them); returns what was
/// collected and whether no schedule is left, or `None` if the check must run on one thread
/// (its executions used an object made outside them while others ran at once).
///
/// Executions run alone, on this thread, first: execution 1, and with the default number of
/// threads (not one the user asked for) those that start within [`ALONE_FOR`]. A short check
/// (a scenario with one thread, a small tree) starts no thread, and one whose executions use an
/// object made outside them (a `static`, or one made before the check) goes on alone. The time
/// only decides how many threads run the executions, never what they find.
pub(super) fn run(
    plan: &Plan,
    make: &MakeStrategy<'_>,
    f: &Arc<dyn Fn() + Send + Sync>,
) -> Outcome {
    let threads = plan
        .jobs
        .min(plan.executions.try_into().unwrap_or(usize::MAX));
    let shared = Shared {
        claims: CachePadded::new(Mutex::new(Claims {
            next: 1,
            taken: 0,
            longest: Vec::new(),
            stopped: false,
            waiting: 0,
        })),
        changed: Condvar::new(),
        handed: CachePadded::new(Mutex::new(Handed {
            waiting: (0..AHEAD_PER_THREAD * threads as u64)
                .map(|_| None)
                .collect(),
            taking: Some(Taking {
                detector: Detector::new(plan.detector),
                coverage: Coverage::default(),
                collected: Collected::default(),
                parallel: false,
                shared_object: false,
            }),
            outcome: None,
        })),
        last: plan.executions,
        learns: make().learns_lengths(),
        ahead: AHEAD_PER_THREAD * threads as u64,
        returned: (0..threads)
            .map(|_| CachePadded::new(Mutex::new(Vec::new())))
            .collect(),
        coverage_gave_up: CachePadded::new(AtomicBool::new(false)),
        stopped: CachePadded::new(AtomicBool::new(false)),
    };
    let mut here = Worker::new(plan, make, f, &shared, 0);
    let spawned = with_threads(
        plan,
        threads,
        |until| here.run(until),
        || {
            let mut handed = lock(&shared.handed);
            match handed.taking.as_mut() {
                Some(taking) if !taking.shared_object => {
                    taking.parallel = true;
                    false
                }
                _ => true,
            }
        },
        |thread| Worker::new(plan, make, f, &shared, thread).run(None),
        || shared.stop(),
    );
    let outcome = lock(&shared.handed).outcome.take();
    spawned?;
    outcome.unwrap_or_else(|| {
        Err(PlanError::Internal(
            "the threads running executions ended before the check did".to_owned(),
        ))
    })
}

/// `f` in an `Arc` of its own: each execution clones the `Arc` it runs, and threads running
/// executions side by side would otherwise write the reference count of the same one, on the
/// same cache line, at every execution.
pub(super) fn own_body(f: &Arc<dyn Fn() + Send + Sync>) -> Arc<dyn Fn() + Send + Sync> {
    let f = Arc::clone(f);
    Arc::new(move || f())
}

/// Keeps `detector` for a later execution, at most [`SPARE_DETECTORS`] of them.
#[expect(
    clippy::vec_box,
    reason = "a detector moves into and out of every execution boxed"
)]
pub(super) fn keep(spare: &mut Vec<Box<Detector>>, detector: Box<Detector>) {
    if spare.len() == SPARE_DETECTORS {
        spare.remove(0);
    }
    spare.push(detector);
}

/// Runs this thread's executions (`here`) alone until [`ALONE_FOR`] has passed (at once if the
/// number of threads was asked for); then, unless `stays_alone` (an execution used an object
/// made outside it, or the check is over), runs `work(1)` … `work(threads - 1)` on as many new
/// threads (named after the check, watched with it, each with coroutine stacks of its own)
/// while this thread goes on with `here`. Returns once all are done, or an error if a thread
/// could not start (after `stop`, which must make the others end).
pub(super) fn with_threads(
    plan: &Plan,
    threads: usize,
    mut here: impl FnMut(Option<Instant>),
    stays_alone: impl FnOnce() -> bool,
    work: impl Fn(usize) + Sync,
    stop: impl Fn(),
) -> Result<(), PlanError> {
    let until = Instant::now()
        + if plan.jobs_asked {
            Duration::ZERO
        } else {
            ALONE_FOR
        };
    let alone = rt::with_stacks(|| {
        here(Some(until));
        stays_alone()
    });
    let progress = rt::progress();
    let stack = rt::stack_size();
    std::thread::scope(|scope| {
        for thread in (1..threads).filter(|_| !alone) {
            let (work, progress) = (&work, progress.clone());
            let spawned = std::thread::Builder::new()
                // The check's own name: panic and overflow messages name the check by it.
                .name(plan.name.clone())
                .stack_size(stack.max(2 << 20))
                .spawn_scoped(scope, move || {
                    rt::join_check(&plan.name, progress, stack);
                    CONTINUATION_POOL.set(&ContinuationPool::new(), || work(thread));
                });
            if let Err(error) = spawned {
                stop();
                return Err(PlanError::Internal(format!(
                    "start a thread to run executions: {error}"
                )));
            }
        }
        // This thread runs executions too.
        rt::with_stacks(|| here(None));
        Ok(())
    })
}

/// One thread's executions: it runs those it claims and hands their results over.
struct Worker<'p, 'm> {
    shared: &'p Shared,
    /// Its number among the check's threads.
    thread: usize,
    runner: Runner,
    weak: bool,
    own: DetectorConfig,
    /// Detectors for its executions, back from the check (the latest last), boxed as they
    /// move into and out of every execution.
    #[expect(clippy::vec_box, reason = "see above")]
    spare: Vec<Box<Detector>>,
    again: Again<'p, 'm>,
    /// The scenario, in an `Arc` of this thread's own (see [`own_body`]).
    body: Arc<dyn Fn() + Send + Sync>,
    /// The check's coverage had given up when its last execution began: its runner's coverage
    /// logs no more branches.
    coverage_gave_up: bool,
    /// The results it takes in order, at each hand-over (kept to keep its capacity).
    next: Vec<Handed1>,
    /// The results of its block, by execution, until it hands them over (kept to keep its
    /// capacity).
    done: Vec<(u64, Handed1)>,
}

impl<'p, 'm> Worker<'p, 'm> {
    fn new(
        plan: &'p Plan,
        make: &'m MakeStrategy<'m>,
        f: &'p Arc<dyn Fn() + Send + Sync>,
        shared: &'p Shared,
        thread: usize,
    ) -> Self {
        // The check's detector may need every event.
        let runner = Runner::new(plan, make(), Coverage::logging(), usize::MAX);
        // Weak memory reads the detector's clocks as the execution runs: there the thread keeps
        // a fresh detector for each execution, which decides where it stops, and the check's
        // detector reads every execution. Otherwise findings do not stop the thread's
        // executions (the check's detector decides where they stop).
        let weak = plan.memory_model == crate::MemoryModel::Weak;
        runner.scheduler().keep_going = !weak || plan.keep_going;
        Worker {
            shared,
            thread,
            runner,
            weak,
            own: if weak {
                DetectorConfig {
                    lock_order: false,
                    ..plan.detector
                }
            } else {
                plan.detector
            },
            spare: Vec::new(),
            body: own_body(f),
            coverage_gave_up: false,
            next: Vec::new(),
            done: Vec::with_capacity(BLOCK as usize),
            again: Again {
                plan,
                make,
                f,
                runner: None,
            },
        }
    }

    /// Runs executions until the check needs no more, or (with `alone_until`) until that time
    /// has passed, unless an execution used an object made outside it.
    fn run(&mut self, alone_until: Option<Instant>) {
        let (plan, f) = (self.again.plan, &self.body);
        loop {
            // Alone, a thread runs executions in order, as one thread does.
            let most = if alone_until.is_some() { 1 } else { BLOCK };
            let claim = match self.shared.claim(false, most) {
                Claim::Wait => self.shared.claim(true, most),
                claim => claim,
            };
            let Claim::Run(first, count, steps) = claim else {
                break;
            };
            for mut ran in std::mem::take(&mut *lock(&self.shared.returned[self.thread])) {
                let reusable = ran.reusable && !self.weak;
                if let Some(detector) = self.runner.reuse(&mut ran).filter(|_| reusable) {
                    keep(&mut self.spare, detector);
                }
            }
            for execution in first..first + count {
                // The check may have ended at an execution before (the rest are dropped).
                if execution > first && self.shared.stopped.load(Ordering::Relaxed) {
                    break;
                }
                // Once the check's coverage has given up, branches are no longer logged.
                let coverage_gave_up = self.shared.coverage_gave_up.load(Ordering::Relaxed);
                if coverage_gave_up && !self.coverage_gave_up {
                    self.runner.scheduler().coverage.give_up();
                    self.coverage_gave_up = true;
                }
                let detector = self
                    .spare
                    .pop()
                    .unwrap_or_else(|| Box::new(Detector::new(self.own)));
                let runner = &mut self.runner;
                let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
                    runner.run(plan, execution, steps, detector, f)
                }))
                .unwrap_or_else(|payload| {
                    Err(PlanError::Internal(rt::payload_message(payload.as_ref())))
                });
                let result = match result {
                    // Nothing for the check's detector to read: its buffers and detector stay
                    // here.
                    Ok(Some(mut ran)) if !self.weak && skippable(&ran) => {
                        let coverage = std::mem::take(&mut ran.coverage);
                        let (steps, events) = (ran.steps, ran.outcome.events.len() as u64);
                        if let Some(detector) = self.runner.reuse(&mut ran) {
                            keep(&mut self.spare, detector);
                        }
                        Result1::Skipped {
                            steps,
                            events,
                            coverage,
                        }
                    }
                    // Boxed only now: a skipped execution's result stays where it is.
                    result => Result1::Ran(result.map(|ran| ran.map(Box::new))),
                };
                self.done.push((execution, (self.thread, result)));
            }
            self.shared
                .hand_over(&mut self.done, &mut self.again, &mut self.next);
            if alone_until.is_some_and(|until| Instant::now() >= until) {
                let handed = lock(&self.shared.handed);
                if handed.taking.as_ref().is_some_and(|t| !t.shared_object) {
                    break;
                }
            }
        }
    }
}

/// Takes `results` (the next executions' results, in order) into the check.
fn take_in_order(
    taking: &mut Taking,
    results: &mut Vec<Handed1>,
    again: &mut Again<'_, '_>,
    shared: &Shared,
) -> Result<Taken, PlanError> {
    let plan = again.plan;
    let Taking {
        detector,
        coverage,
        collected,
        parallel,
        shared_object,
    } = taking;
    // An execution that used an object made outside it may have shared it with executions
    // running at once (each of which used it too): its findings are not its own.
    let mut shared_check = |ran: &Ran| {
        *shared_object |= ran.outcome.shared_object;
        *shared_object && *parallel
    };
    for (thread, result) in results.drain(..) {
        if collected.executions >= plan.executions || coverage.complete() {
            return Ok(Taken::Done);
        }
        let next = collected.executions + 1;
        let steps = collected.steps_for(next);
        let mut ran = match result {
            Result1::Skipped {
                steps,
                events,
                coverage: log,
            } => {
                // Its thread's detector found nothing and learnt nothing: neither would the
                // check's (see the module's documentation).
                detector.skip_executions(next, 1, events);
                coverage.apply(&log);
                collected.take_skipped(steps);
                taken_one(coverage, collected, plan, shared);
                continue;
            }
            Result1::Ran(Ok(Some(ran))) => ran,
            // What went wrong may lie past where the execution should have stopped.
            Result1::Ran(_) => again.run(next, steps)?,
        };
        if shared_check(&ran) {
            return Ok(Taken::Shared);
        }
        // A detector that made a finding may know what the check's does not.
        ran.reusable &= ran.outcome.findings.is_empty();
        // The check's detector sees the execution as it would have inside it, up to the first
        // finding that ends it.
        detector.begin_execution(next);
        let (findings, stopped_at) = observe_until_stop(detector, &ran.outcome.events, plan)?;
        let last = ran.outcome.events.len().checked_sub(1);
        let stopped_there = ran.outcome.stop == Some(rt::Stop::Finding);
        let mut ran = match stopped_at {
            // The thread ran past that finding (its detector does not stop executions): run the
            // execution again here, stopping where one thread would have.
            Some(index) if !(stopped_there && Some(index) == last) => {
                let ran = again.run(next, steps)?;
                if shared_check(&ran) {
                    return Ok(Taken::Shared);
                }
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
        let failed = collected.take(plan, &mut ran, findings, witnesses);
        lock(&shared.returned[thread]).push(ran);
        if failed {
            return Ok(Taken::Done);
        }
        taken_one(coverage, collected, plan, shared);
    }
    Ok(
        if collected.executions >= plan.executions || coverage.complete() {
            Taken::Done
        } else {
            Taken::More
        },
    )
}

/// Whether nothing in `ran` is for the check's detector to read: its thread's detector made no
/// finding in it and learnt nothing from it (see the module's documentation), and it used no
/// object made outside it.
fn skippable(ran: &Ran) -> bool {
    ran.reusable
        && !ran.learned
        && ran.outcome.findings.is_empty()
        && ran.outcome.stop.is_none()
        && !ran.outcome.shared_object
}

/// After the check took an execution that ended in full: its coverage, and what the threads
/// waiting to start executions wait for.
fn taken_one(coverage: &mut Coverage, collected: &Collected, plan: &Plan, shared: &Shared) {
    coverage.end_execution(plan.executions - collected.executions);
    if coverage.gave_up() {
        shared.coverage_gave_up.store(true, Ordering::Relaxed);
    }
    let mut claims = lock(&shared.claims);
    claims.taken = collected.executions;
    claims.longest.push(collected.longest_so_far());
    let waiting = claims.waiting > 0;
    drop(claims);
    if waiting {
        shared.changed.notify_all();
    }
}

/// Feeds `events` to the check's detector up to the first finding that ends the execution;
/// returns the findings and the index of the event that ended it, if one did.
pub(super) fn observe_until_stop(
    detector: &mut Detector,
    events: &[interleave_detector::Event],
    plan: &Plan,
) -> Result<(Vec<interleave_detector::Finding>, Option<usize>), PlanError> {
    let mut findings = Vec::new();
    for (index, event) in events.iter().enumerate() {
        detector
            .observe(event)
            .map_err(|error| PlanError::Internal(error.to_string()))?;
        if detector.findings().is_empty() {
            continue;
        }
        let new = detector.take_findings();
        let ends = new.iter().any(|f| {
            rt::ends_execution(
                f,
                !plan.keep_going || plan.findings_cut,
                !plan.findings_cut,
                &plan.accepted,
            )
        });
        findings.extend(new);
        if ends {
            return Ok((findings, Some(index)));
        }
    }
    Ok((findings, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_grow_with_the_executions_taken_and_never_span_two_lengths_pct_learns() {
        // Few taken: one at a time (a small tree, a failure found early, run past by few).
        assert_eq!(block_end(2, BLOCK, 0, 1_000, None), 2);
        assert_eq!(block_end(65, BLOCK, 63, 1_000, None), 65);
        // One more per 64 taken, up to `BLOCK`.
        assert_eq!(block_end(65, BLOCK, 64, 1_000, None), 66);
        assert_eq!(block_end(300, BLOCK, 256, 1_000, None), 304);
        assert_eq!(block_end(500, BLOCK, 448, 1_000, None), 507);
        assert_eq!(block_end(900, BLOCK, 900, 10_000, None), 907);
        // Alone (`most` 1), and at the last execution allowed (the budget or `ahead`).
        assert_eq!(block_end(900, 1, 900, 10_000, None), 900);
        assert_eq!(block_end(998, BLOCK, 900, 1_000, None), 1_000);
        // PCT: executions 513..=1024 learn from the first 512; 1025 from the first 1024.
        assert_eq!(block_end(1_020, BLOCK, 900, 10_000, Some(512)), 1_024);
        assert_eq!(block_end(1_025, BLOCK, 1_024, 10_000, Some(1_024)), 1_032);
        assert_eq!(block_end(1, BLOCK, 0, 10_000, Some(0)), 1);
        for execution in 2..5_000 {
            let learned = pct::learned_from(execution);
            let end = block_end(execution, BLOCK, execution, 10_000, Some(learned));
            assert!(end >= execution && end - execution < BLOCK);
            assert!((execution..=end).all(|e| pct::learned_from(e) == learned));
        }
    }
}
