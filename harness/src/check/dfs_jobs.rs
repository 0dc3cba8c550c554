//! Naive exhaustive exploration (`Strategy::ExhaustiveNaive`) on several OS threads
//! (`Config::jobs`): the threads explore disjoint subtrees of the schedule tree, and the check
//! takes their executions in the order one thread explores them.
//!
//! One thread explores the tree depth-first, the first option first at every branching point:
//! its executions come in the lexicographic order of their choices. A *subtree* is the part of
//! the tree under a prefix of choices. Each thread explores one subtree at a time, depth-first;
//! while another thread has nothing to explore, it hands over the options it has not begun at
//! its deepest open branching point, a subtree each (`DfsStrategy::split`): the executions that
//! come next in that order, so that a budget that cuts the tree leaves no thread exploring past
//! it for long. Subtrees are kept by their prefixes, which sort in the order one thread explores
//! them; what the splitting thread has left comes after what it handed over, and from then on
//! goes under a key of its own (the next option of the deepest open point above). So the
//! executions, taken subtree by subtree in key order, are one thread's executions in one
//! thread's order. They are numbered
//! as the check takes them, and taken as in [`jobs`](super::jobs): the check's detector reads
//! them in order, skips those in which their thread's detector found nothing and learnt
//! nothing, and runs again (replaying its schedule, with a detector inside) an execution that a
//! finding should have ended before its last event. The report and the artifact are those of
//! one thread.
//!
//! The executions of a subtree wait until every subtree before it is taken. One that the
//! check's detector skips waits as a count of its events; one it must read waits with its
//! events. Once [`WAITING_READ`] of those wait in all, a thread that explores a subtree other
//! than the first in order stops: it waits for them to be taken, or, if no thread explores
//! the first subtree (the others are busy with later ones), leaves its own subtree where it is
//! for another thread to go on with, and explores the first. The thread exploring the first
//! subtree never waits, so the executions waiting are taken. A thread starts an execution in
//! a subtree after the first only once it has seen fewer than [`WAITING_READ`] waiting (when
//! it hands one over, claims a subtree, or splits its own: what it runs next then comes after
//! the parts it hands over), so behind the first subtree, never more than
//! `WAITING_READ - 1` plus one per thread wait with their events.
//!
//! Not under the weak memory model (a load's choice of store is a branch of the tree, and each
//! execution's own detector decides where it stops): there one thread explores the tree.

use std::collections::{BTreeMap, VecDeque};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use crossbeam_utils::CachePadded;
use interleave_detector::{Detector, DetectorConfig};

use super::collect::Collected;
use super::jobs::{keep, lock, observe_until_stop, own_body, with_threads};
use super::runner::{Ran, Runner};
use super::{replay_once, Plan, PlanError};
use crate::rt;
use crate::schedule::coverage::Coverage;
use crate::schedule::dfs::DfsStrategy;
use crate::schedule::replay::{Recorded, RecordedPath, ReplayStrategy};
use crate::schedule::{digest, Strategy};

/// How many executions the check's detector must read may wait, with their events, for the
/// subtrees before theirs, in all: past that, threads exploring subtrees other than the first
/// stop (see the module's documentation).
const WAITING_READ: usize = if cfg!(test) { 8 } else { 1024 };

/// How many executions the check takes at once, outside the lock.
const BATCH: usize = 64;

/// What a thread hands over for one execution.
enum Handed {
    /// Consecutive executions in which their thread's detector found nothing and learnt
    /// nothing: the check's detector skips them. How many, and their events in all.
    Skipped { executions: u64, events: u64 },
    /// The check's detector reads it (the number of the thread that ran it, to give its
    /// buffers back to).
    Read(usize, Result<Box<Ran>, PlanError>),
}

/// A subtree and the results of its executions not taken yet.
struct Subtree {
    /// The strategy that explores it, until a thread takes it.
    strategy: Option<Box<dyn Strategy + Send>>,
    /// Its thread has explored all of it (or stopped in it, on an error).
    done: bool,
    results: VecDeque<Handed>,
}

impl Subtree {
    fn new(strategy: Box<dyn Strategy + Send>) -> Self {
        Subtree {
            strategy: Some(strategy),
            done: false,
            results: VecDeque::new(),
        }
    }
}

/// What the check keeps while it takes executions in order.
struct Taking {
    detector: Detector,
    collected: Collected,
    /// Other threads explore too (the executions before used no object made outside them).
    parallel: bool,
    /// An execution used an object made outside it.
    shared_object: bool,
}

/// How the check ended: what was collected and whether every schedule was explored, or
/// `None` when it must run on one thread.
type Outcome = Result<Option<(Collected, bool)>, PlanError>;

/// What a thread does after handing over an execution.
#[derive(Debug, PartialEq, Eq)]
enum Next {
    /// Goes on with its subtree.
    Go,
    /// Leaves its subtree for another thread, and explores the first, which no thread does.
    Explore,
    /// The check is over.
    Stop,
}

/// How taking a batch of executions ended.
enum Taken {
    More,
    /// The check is done: whether the tree was explored in full.
    Done(bool),
    /// An execution used an object made outside it while other threads explored.
    Shared,
}

struct Board {
    /// The subtrees not taken in full yet, by their prefixes' choices.
    subtrees: BTreeMap<Vec<u32>, Subtree>,
    /// How many of their results are [`Handed::Read`], in all.
    read: usize,
    /// The check's state, while no thread is taking executions.
    taking: Option<Taking>,
    outcome: Option<Outcome>,
    stopped: bool,
}

/// What the threads share: as in [`jobs`](super::jobs), what they use at every execution is on
/// a cache line of its own.
struct Shared {
    board: CachePadded<Mutex<Board>>,
    changed: Condvar,
    /// Threads waiting on `changed`.
    waiting: AtomicUsize,
    /// Threads waiting for a subtree to explore: the others split theirs.
    hungry: CachePadded<AtomicUsize>,
    /// Per thread: executions the check has read, for the thread to reuse their buffers and
    /// detector.
    #[allow(
        clippy::vec_box,
        reason = "boxed since the thread ran it: moving out would copy it"
    )]
    returned: Vec<CachePadded<Mutex<Vec<Box<Ran>>>>>,
    /// A preemption bound limits the tree: never complete.
    bounded: bool,
}

impl Shared {
    fn wait<'a>(&self, board: MutexGuard<'a, Board>) -> MutexGuard<'a, Board> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let board = self
            .changed
            .wait(board)
            .unwrap_or_else(PoisonError::into_inner);
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        board
    }

    fn notify(&self) {
        if self.waiting.load(Ordering::SeqCst) > 0 {
            self.changed.notify_all();
        }
    }
}

/// Explores the plan's tree (whose root `strategy` explores) on `plan.jobs` threads, this one
/// among them; returns what was collected and whether the tree was explored in full, or `None`
/// if the check must run on one thread (its executions used an object made outside them while
/// others ran at once). As [`jobs::run`](super::jobs::run), this thread explores alone first.
pub(super) fn run(
    plan: &Plan,
    strategy: Box<dyn Strategy>,
    f: &Arc<dyn Fn() + Send + Sync>,
) -> Outcome {
    let threads = plan.jobs;
    let bounded = strategy.bounded();
    // The whole tree, which this thread explores first.
    let root = Subtree {
        strategy: None,
        ..Subtree::new(Box::new(DfsStrategy::default()))
    };
    let shared = Shared {
        board: CachePadded::new(Mutex::new(Board {
            subtrees: BTreeMap::from([(Vec::new(), root)]),
            read: 0,
            taking: Some(Taking {
                detector: Detector::new(plan.detector),
                collected: Collected::default(),
                parallel: false,
                shared_object: false,
            }),
            outcome: None,
            stopped: false,
        })),
        changed: Condvar::new(),
        waiting: AtomicUsize::new(0),
        hungry: CachePadded::new(AtomicUsize::new(0)),
        returned: (0..threads)
            .map(|_| CachePadded::new(Mutex::new(Vec::new())))
            .collect(),
        bounded,
    };
    let mut here = Worker::new(plan, f, &shared, 0);
    here.explore(Vec::new(), strategy);
    let spawned = with_threads(
        plan,
        threads,
        |until| here.run(until),
        || {
            let mut board = lock(&shared.board);
            match board.taking.as_mut() {
                Some(taking) if !taking.shared_object => {
                    taking.parallel = true;
                    false
                }
                _ => true,
            }
        },
        |thread| Worker::new(plan, f, &shared, thread).run(None),
        || shared.stop(),
    );
    let outcome = lock(&shared.board).outcome.take();
    spawned?;
    outcome.unwrap_or_else(|| {
        Err(PlanError::Internal(
            "the threads exploring the tree ended before the check did".to_owned(),
        ))
    })
}

/// The key of the first subtree in order that is not explored and taken in full (those before
/// it are dropped at the next hand-over).
fn first_open(subtrees: &BTreeMap<Vec<u32>, Subtree>) -> Option<&Vec<u32>> {
    subtrees
        .iter()
        .find(|(_, s)| !(s.done && s.results.is_empty()))
        .map(|(key, _)| key)
}

impl Shared {
    fn stop(&self) {
        lock(&self.board).stopped = true;
        self.changed.notify_all();
    }

    /// Ends the check with an internal error (`message`): every thread stops.
    fn fail(&self, board: &mut Board, message: String) {
        board.outcome = Some(Err(PlanError::Internal(message)));
        board.stopped = true;
        board.subtrees.clear();
        board.read = 0;
        self.changed.notify_all();
    }

    /// A subtree to explore, once there is one (at once unless `block`): the first in order
    /// that no thread has taken, and one after the first only while fewer than
    /// [`WAITING_READ`] executions to read wait. `None` once the check needs no more.
    fn claim(&self, block: bool) -> Option<(Vec<u32>, Box<dyn Strategy + Send>)> {
        let mut board = lock(&self.board);
        loop {
            if board.stopped {
                return None;
            }
            let Board { subtrees, read, .. } = &mut *board;
            let first = first_open(subtrees).cloned();
            let free = subtrees
                .iter_mut()
                .find(|(_, subtree)| subtree.strategy.is_some());
            let blocked = match free {
                Some((key, subtree)) if *read < WAITING_READ || Some(key) == first.as_ref() => {
                    let strategy = subtree.strategy.take().expect("free");
                    return Some((key.clone(), strategy));
                }
                Some(_) => true,
                None => false,
            };
            // Every subtree is explored or being explored: one may split. (Not while many
            // executions to read wait: the first subtree's are taken first.)
            if !block || board.subtrees.values().all(|s| s.done) {
                return None;
            }
            if blocked {
                board = self.wait(board);
                continue;
            }
            self.hungry.fetch_add(1, Ordering::SeqCst);
            board = self.wait(board);
            self.hungry.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Hands over the result of an execution of subtree `key` (if any), and whether its thread
    /// is done with it; then, unless another thread is taking executions, takes every one that
    /// is next in order. Returns once the thread may go on: its subtree is the first in order,
    /// or fewer than [`WAITING_READ`] executions to read wait, or no thread explores the first
    /// subtree.
    fn hand_over(
        &self,
        key: &[u32],
        handed: Option<Handed>,
        done: bool,
        again: &mut Again<'_>,
    ) -> Next {
        let mut board = lock(&self.board);
        let Board { subtrees, read, .. } = &mut *board;
        if let Some(subtree) = subtrees.get_mut(key) {
            match (handed, subtree.results.back_mut()) {
                // A run of skipped executions waits as two numbers.
                (
                    Some(Handed::Skipped { executions, events }),
                    Some(Handed::Skipped {
                        executions: run,
                        events: run_events,
                    }),
                ) => {
                    *run += executions;
                    *run_events += events;
                }
                (Some(handed), _) => {
                    *read += usize::from(matches!(handed, Handed::Read(..)));
                    subtree.results.push_back(handed);
                }
                (None, _) => {}
            }
            if done {
                subtree.done = true;
                self.notify();
            }
        }
        #[cfg(test)]
        tests::measure(subtrees);
        let mut batch = Vec::new();
        while let Some(mut taking) = board.taking.take() {
            let budget = taking.collected.executions >= again.plan.executions;
            // Results next in order, subtree by subtree (none past the budget), and the
            // subtrees before them that are done.
            let mut read = 0;
            while let Some(mut first) = board.subtrees.first_entry() {
                let subtree = first.get_mut();
                if subtree.results.is_empty() {
                    if !subtree.done {
                        break;
                    }
                    first.remove();
                    continue;
                }
                if budget || batch.len() == BATCH {
                    break;
                }
                let handed = subtree.results.pop_front().expect("not empty");
                read += usize::from(matches!(handed, Handed::Read(..)));
                batch.push(handed);
            }
            board.read -= read;
            let explored = board.subtrees.is_empty();
            let more = board
                .subtrees
                .first_key_value()
                .is_some_and(|(_, s)| !s.results.is_empty());
            let taken = if budget {
                // One thread stops at its budget; it is complete if no execution is left.
                if more {
                    Ok(Taken::Done(false))
                } else if explored {
                    Ok(Taken::Done(
                        !self.bounded && taking.collected.failure.is_none(),
                    ))
                } else {
                    // Whether the tree has more is not known yet.
                    board.taking = Some(taking);
                    break;
                }
            } else if batch.is_empty() {
                if explored {
                    Ok(Taken::Done(
                        !self.bounded && taking.collected.failure.is_none(),
                    ))
                } else {
                    board.taking = Some(taking);
                    break;
                }
            } else {
                drop(board);
                let taken = std::panic::catch_unwind(AssertUnwindSafe(|| {
                    take_in_order(&mut taking, &mut batch, again, self)
                }))
                .unwrap_or_else(|payload| {
                    Err(PlanError::Internal(rt::payload_message(payload.as_ref())))
                });
                board = lock(&self.board);
                taken
            };
            let outcome = match taken {
                Ok(Taken::More) => {
                    board.taking = Some(taking);
                    self.notify();
                    continue;
                }
                Ok(Taken::Done(complete)) => Ok(Some((taking.collected, complete))),
                Ok(Taken::Shared) => Ok(None),
                Err(error) => Err(error),
            };
            // A check that failed already keeps its error.
            board.outcome.get_or_insert(outcome);
            board.stopped = true;
            board.subtrees.clear();
            board.read = 0;
            self.changed.notify_all();
            return Next::Stop;
        }
        // Many executions to read wait, and this thread's subtree is not the first: wait for
        // them to be taken, unless no thread explores the first.
        loop {
            if board.stopped {
                return Next::Stop;
            }
            let Some((first, subtree)) = board.subtrees.first_key_value() else {
                return Next::Go;
            };
            if board.read < WAITING_READ || first.as_slice() == key {
                return Next::Go;
            }
            if subtree.strategy.is_some() {
                return Next::Explore;
            }
            board = self.wait(board);
        }
    }

    /// Leaves the subtree `key` (`strategy`: what is left of it) for another thread to go on
    /// with.
    fn leave(&self, key: Vec<u32>, strategy: Box<dyn Strategy + Send>) {
        let mut board = lock(&self.board);
        if let Some(subtree) = board.subtrees.get_mut(&key) {
            subtree.strategy = Some(strategy);
        }
        drop(board);
        self.notify();
    }
}

/// Takes `batch` (the next executions' results, in order) into the check.
fn take_in_order(
    taking: &mut Taking,
    batch: &mut Vec<Handed>,
    again: &mut Again<'_>,
    shared: &Shared,
) -> Result<Taken, PlanError> {
    let plan = again.plan;
    let Taking {
        detector,
        collected,
        parallel,
        shared_object,
    } = taking;
    for handed in batch.drain(..) {
        if collected.executions >= plan.executions {
            // There is at least this execution more.
            return Ok(Taken::Done(false));
        }
        let next = collected.executions + 1;
        let (thread, result) = match handed {
            Handed::Skipped { executions, events } => {
                // Past the budget, the check stops with executions left (it counted them all).
                let taken = executions.min(plan.executions - collected.executions);
                detector.skip_executions(collected.executions + taken, taken, events);
                for _ in 0..taken {
                    collected.take_skipped(0);
                }
                if taken < executions {
                    return Ok(Taken::Done(false));
                }
                continue;
            }
            Handed::Read(thread, result) => (thread, result),
        };
        let mut ran = result?;
        *shared_object |= ran.outcome.shared_object;
        if *shared_object && *parallel {
            return Ok(Taken::Shared);
        }
        ran.reusable &= ran.outcome.findings.is_empty();
        detector.begin_execution(next);
        let (findings, stopped_at) = observe_until_stop(detector, &ran.outcome.events, plan)?;
        if let Some(index) = stopped_at {
            // Its thread ran past that finding (or ended there without stopping): run it
            // again, stopping where one thread would.
            let shorter = again.run(&ran, next, index + 1)?;
            if shorter.outcome.events.len() != index + 1 {
                return Err(PlanError::Internal(format!(
                    "execution {next} ran again stopped after {} events, not {}",
                    shorter.outcome.events.len(),
                    index + 1
                )));
            }
            lock(&shared.returned[thread]).push(ran);
            ran = shorter;
        }
        ran.execution = next;
        ran.outcome.findings.clear();
        let witnesses = detector.stats().lock_order_witnesses;
        let failed = collected.take(plan, &mut ran, findings, witnesses);
        lock(&shared.returned[thread]).push(ran);
        if failed {
            return Ok(Taken::Done(false));
        }
    }
    Ok(Taken::More)
}

/// Runs an execution again, replaying its schedule with a detector inside that stops it at
/// the first finding that ends it.
struct Again<'p> {
    plan: &'p Plan,
    f: &'p Arc<dyn Fn() + Send + Sync>,
}

impl Again<'_> {
    /// Runs `ran` again as execution `execution`; it should stop after `events` events (the
    /// finding's), so its path ends with the digest of those, not of all of `ran`'s: a
    /// deadlock it ran past, say, went on with its threads' `stuck` events.
    fn run(&mut self, ran: &Ran, execution: u64, events: usize) -> Result<Box<Ran>, PlanError> {
        let mut digests = ran.digests.clone();
        let end = ran
            .outcome
            .events
            .get(..events)
            .map_or(ran.outcome.digest, |prefix| {
                let mut end = digest::PathDigest::default();
                prefix.iter().for_each(|event| end.add(event));
                end.value()
            });
        digests.push(digest::short(end));
        let path = RecordedPath::digests(&digest::encode(&digests)).map_err(PlanError::Internal)?;
        let replay = ReplayStrategy::up_to(Recorded {
            schedule: ran.decisions.schedule(),
            path,
        });
        let own = DetectorConfig {
            lock_order: false,
            ..self.plan.detector
        };
        let ran = replay_once(self.plan, replay, execution, Detector::new(own), self.f)?;
        Ok(Box::new(Ran {
            reusable: false,
            ..ran
        }))
    }
}

/// One thread's exploration: the subtrees it claims, one at a time.
struct Worker<'p> {
    shared: &'p Shared,
    thread: usize,
    /// Its runner, made with the first subtree it claims.
    runner: Option<Runner>,
    /// The subtree it explores, if any.
    current: Option<Vec<u32>>,
    /// Its executions so far (for the watchdog and the detector's numbering, never recorded).
    executions: u64,
    /// Detectors for its executions (the latest last), boxed as they move into and out of
    /// every execution.
    #[expect(clippy::vec_box, reason = "see above")]
    spare: Vec<Box<Detector>>,
    again: Again<'p>,
    /// The scenario, in an `Arc` of this thread's own (see [`own_body`](super::jobs::own_body)).
    body: Arc<dyn Fn() + Send + Sync>,
}

impl<'p> Worker<'p> {
    fn new(
        plan: &'p Plan,
        f: &'p Arc<dyn Fn() + Send + Sync>,
        shared: &'p Shared,
        thread: usize,
    ) -> Self {
        Worker {
            shared,
            thread,
            runner: None,
            current: None,
            executions: 0,
            spare: Vec::new(),
            body: own_body(f),
            again: Again { plan, f },
        }
    }

    /// Explores the subtree `key` with `strategy` from now on.
    fn explore(&mut self, key: Vec<u32>, strategy: Box<dyn Strategy>) {
        match &mut self.runner {
            Some(runner) => runner.scheduler().strategy = strategy,
            None => {
                // The tree tells when it is explored in full: no coverage is kept.
                let mut coverage = Coverage::logging();
                coverage.give_up();
                let runner = Runner::new(self.again.plan, strategy, coverage, usize::MAX);
                // The check's detector decides where executions stop.
                runner.scheduler().keep_going = true;
                self.runner = Some(runner);
            }
        }
        self.current = Some(key);
    }

    /// Explores until the check needs no more, or (with `alone_until`) until that time has
    /// passed, unless an execution used an object made outside it; a subtree begun is kept.
    fn run(&mut self, alone_until: Option<Instant>) {
        let (plan, f) = (self.again.plan, Arc::clone(&self.body));
        loop {
            let key = match &self.current {
                Some(key) => key.clone(),
                None => {
                    let Some((key, strategy)) = self.shared.claim(alone_until.is_none()) else {
                        return;
                    };
                    self.explore(key.clone(), strategy);
                    key
                }
            };
            let runner = self.runner.as_mut().expect("made with the first subtree");
            let mut key = key;
            // A thread waits for a subtree: split this one, unless many executions to read
            // wait (what this thread runs next would then join them unchecked, once its own
            // executions come after the parts it hands over).
            if self.shared.hungry.load(Ordering::SeqCst) > 0
                && lock(&self.shared.board).read < WAITING_READ
            {
                let (parts, rest) = runner.scheduler().strategy.split();
                if !parts.is_empty() {
                    let mut board = lock(&self.shared.board);
                    if !board.stopped {
                        // Keys are new (`DfsStrategy::split`): one already there would lose its
                        // subtree's executions, so the check fails instead.
                        let mut twice = false;
                        for (part, strategy) in parts {
                            twice |= board
                                .subtrees
                                .insert(part, Subtree::new(strategy))
                                .is_some();
                        }
                        // What this thread has left comes after them: its executions are
                        // handed over under a key of their own from now on.
                        if let Some(subtree) = board.subtrees.get_mut(&key) {
                            subtree.done = true;
                        }
                        if let Some(rest) = rest {
                            let was = board.subtrees.insert(
                                rest.clone(),
                                Subtree {
                                    strategy: None,
                                    ..Subtree::new(Box::new(DfsStrategy::default()))
                                },
                            );
                            twice |= was.is_some();
                            self.current = Some(rest.clone());
                            key = rest;
                        }
                        if twice {
                            self.shared.fail(
                                &mut board,
                                "naive DFS handed over a subtree under a key already in use"
                                    .to_owned(),
                            );
                            return;
                        }
                    }
                    drop(board);
                    self.shared.notify();
                }
            }
            for mut ran in std::mem::take(&mut *lock(&self.shared.returned[self.thread])) {
                let reusable = ran.reusable;
                if let Some(detector) = runner.reuse(&mut ran).filter(|_| reusable) {
                    keep(&mut self.spare, detector);
                }
            }
            let detector = self
                .spare
                .pop()
                .unwrap_or_else(|| Box::new(Detector::new(plan.detector)));
            self.executions += 1;
            let number = self.executions;
            let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
                runner.run(plan, number, 0, detector, &f)
            }))
            .unwrap_or_else(|payload| {
                Err(PlanError::Internal(rt::payload_message(payload.as_ref())))
            });
            let (handed, done) = match result {
                Ok(Some(mut ran)) => {
                    let skip = ran.reusable
                        && !ran.learned
                        && ran.outcome.findings.is_empty()
                        && ran.outcome.stop.is_none()
                        && !ran.outcome.shared_object;
                    if skip {
                        // Nothing for the check to read: its buffers and detector stay here.
                        let events = ran.outcome.events.len() as u64;
                        if let Some(detector) = runner.reuse(&mut ran) {
                            keep(&mut self.spare, detector);
                        }
                        (
                            Some(Handed::Skipped {
                                executions: 1,
                                events,
                            }),
                            false,
                        )
                    } else {
                        // The check reads its events, not its detector, which stays here
                        // unless it made a finding (it may know what the check's does not):
                        // the read may wait long, behind the subtrees before this one.
                        let detector = ran.outcome.detector.take();
                        if let Some(detector) = detector.filter(|_| ran.outcome.findings.is_empty())
                        {
                            keep(&mut self.spare, detector);
                        }
                        ran.reusable = false;
                        (Some(Handed::Read(self.thread, Ok(Box::new(ran)))), false)
                    }
                }
                Ok(None) => (None, true),
                // Nothing after it in this subtree is taken: the check stops there.
                Err(error) => (Some(Handed::Read(self.thread, Err(error))), true),
            };
            if done {
                self.current = None;
            }
            match self.shared.hand_over(&key, handed, done, &mut self.again) {
                Next::Go => {}
                Next::Stop => return,
                Next::Explore => {
                    #[cfg(test)]
                    tests::LEFT.fetch_add(1, Ordering::Relaxed);
                    if let Some(key) = self.current.take() {
                        let strategy = runner.scheduler().strategy.detach();
                        let strategy = strategy.expect("naive DFS hands over what it has left");
                        self.shared.leave(key, strategy);
                    }
                }
            }
            if alone_until.is_some_and(|until| Instant::now() >= until) {
                let board = lock(&self.shared.board);
                if board.taking.as_ref().is_some_and(|t| !t.shared_object) {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::{Handed, Subtree, WAITING_READ};
    use crate::cell::UnsafeCell;
    use crate::sync::{Arc, Mutex};
    use crate::{thread, Config, Strategy};

    /// The most executions to read that waited in subtrees other than the first, and how many
    /// times a thread left its subtree to explore the first (over every check of this test
    /// binary: only the test below splits trees).
    static MOST_WAITING: AtomicUsize = AtomicUsize::new(0);
    pub(super) static LEFT: AtomicUsize = AtomicUsize::new(0);

    pub(super) fn measure(subtrees: &std::collections::BTreeMap<Vec<u32>, Subtree>) {
        let first = super::first_open(subtrees);
        let waiting = subtrees
            .iter()
            .filter(|(key, _)| Some(*key) > first)
            .flat_map(|(_, s)| &s.results)
            .filter(|h| matches!(h, Handed::Read(..)))
            .count();
        MOST_WAITING.fetch_max(waiting, Ordering::Relaxed);
    }

    struct Shared(UnsafeCell<u32>);

    // SAFETY: an execution runs one thread at a time on one OS thread, and the test never
    // dereferences the cell's pointer.
    #[expect(
        unsafe_code,
        reason = "a tracked cell shared between threads, as users share them"
    )]
    unsafe impl Sync for Shared {}

    /// Per execution of [`racy`] run so far, the order in which its threads wrote the cell
    /// and took the lock (only the test below runs it).
    static ORDERS: std::sync::Mutex<Vec<Vec<u32>>> = std::sync::Mutex::new(Vec::new());

    /// Two threads write a cell unsynchronized (a race in every execution, which a fresh
    /// detector reports), then take a lock twice each; the order of the threads' steps (247
    /// orders among the 3,425 executions) goes to [`ORDERS`] (through a std mutex: no
    /// scheduling point).
    fn racy() {
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        let cell = Arc::new(Shared(UnsafeCell::new(0)));
        let lock = Arc::new(Mutex::new(0));
        let mark = |at: u32| order.lock().unwrap().push(at);
        let handles: Vec<_> = (0..2)
            .map(|i: u32| {
                let (cell, lock, order) =
                    (Arc::clone(&cell), Arc::clone(&lock), Arc::clone(&order));
                let handle = thread::spawn(move || {
                    let mark = |at: u32| order.lock().unwrap().push(at);
                    mark(20 + i);
                    cell.0.with_mut(|_| i);
                    mark(10 + i);
                    for _ in 0..2 {
                        *lock.lock().unwrap() += 1;
                        mark(i);
                    }
                });
                mark(30 + i);
                handle
            })
            .collect();
        for (i, handle) in (0..).zip(handles) {
            handle.join().unwrap();
            mark(40 + i);
        }
        let order = std::mem::take(&mut *order.lock().unwrap());
        ORDERS.lock().unwrap().push(order);
    }

    #[test]
    fn executions_to_read_wait_in_bounded_number_and_the_result_is_one_threads() {
        // With `keep_going`, a thread's detector that reported the race is dropped, and the
        // next execution's fresh detector reports it again: every execution is read, so later
        // subtrees pile up executions to read behind the first.
        let explore = |jobs| {
            let report = Config::exhaustive()
                .strategy(Strategy::ExhaustiveNaive)
                .keep_going()
                .write_artifact(false)
                .env_overrides(false)
                .watchdog(None)
                .jobs(jobs)
                .name("executions_to_read_wait")
                .explore(racy);
            let findings: Vec<String> = report
                .findings
                .iter()
                .map(|f| f.fingerprint.clone())
                .collect();
            // What the executions did, as a multiset: the same executions ran, each once.
            let mut orders = std::mem::take(&mut *ORDERS.lock().unwrap());
            orders.sort();
            (report.executions, report.complete, findings, orders)
        };
        let one = explore(1);
        assert!(one.1, "the tree is explored in full");
        assert_eq!(one.2.len(), 1, "one race: {:?}", one.2);
        assert_eq!(one.3.len() as u64, one.0, "one order per execution");
        for jobs in [2, 3] {
            let other = explore(jobs);
            assert_eq!(
                (other.0, other.1, &other.2),
                (one.0, one.1, &one.2),
                "jobs({jobs})"
            );
            // Not a count that a lost execution and one run twice could make up: the same
            // executions (the order of the lock's holders and of the writes).
            assert!(other.3 == one.3, "jobs({jobs}) ran other executions");
        }
        // A thread starts an execution behind the first subtree only once it has seen fewer
        // than the limit waiting: at most the limit - 1, plus one per thread (three).
        let most = MOST_WAITING.load(Ordering::Relaxed);
        println!(
            "{} executions; at most {most} to read waited behind the first subtree; a thread left its subtree {} times",
            one.0,
            LEFT.load(Ordering::Relaxed)
        );
        assert!(most < WAITING_READ + 3, "{most} executions to read waited");
    }
}
