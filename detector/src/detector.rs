//! The detector: feeds each event to the analyses and collects their findings.

use crate::clock::VectorClock;
use crate::error::EventError;
use crate::event::{Event, EventKind, ObjectClass, ObjectId, ThreadId};
use crate::finding::Finding;
use crate::identity::Identities;
use crate::lock_order::{LockOrderGraph, Suppressions};
use crate::locks::Contexts;
use crate::state::{ObjectState, ThreadState};

/// What the detector analyses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DetectorConfig {
    /// Build the lock-order graph and report potential deadlocks.
    pub lock_order: bool,
    /// Which cycles the lock-order analysis suppresses.
    pub suppressions: Suppressions,
    /// Check tracked cells for data races.
    pub races: bool,
    /// A thread blocked without a timeout for longer than this much virtual time (in
    /// nanoseconds) is a missed timeout (`Config::max_block`).
    #[serde(default)]
    pub max_block_ns: Option<u64>,
    /// The events say when a thread blocks (a `Block` event, as interleave's runtime records):
    /// a wait for a thread's end is then judged when the waiting thread blocks, not when it is
    /// announced. An async task announces the join of a `select!` arm or of a `timeout` in the
    /// middle of its poll, and may arm a timer that ends it later in the same poll: judged at
    /// once, a cycle of joins that the timer would break looked like a deadlock. Off by
    /// default, for traces written without `Block` events (`TraceBuilder`); interleave's checks
    /// turn it on, and `interleave analyze` for a trace that has `Block` events.
    #[serde(default = "yes", skip_serializing_if = "is_yes")]
    pub blocks_recorded: bool,
}

fn yes() -> bool {
    true
}

#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if passes a reference"
)]
fn is_yes(value: &bool) -> bool {
    *value
}

impl Default for DetectorConfig {
    fn default() -> Self {
        DetectorConfig {
            lock_order: true,
            suppressions: Suppressions::default(),
            races: true,
            max_block_ns: None,
            blocks_recorded: false,
        }
    }
}

/// Counters, for benchmarks and the CLI.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Executions begun.
    pub executions: u64,
    /// Events observed.
    pub events: u64,
    /// Distinct `A → B` edges in the lock-order graph.
    pub lock_order_edges: usize,
    /// Witnesses of those edges (distinct contexts they were taken in) and writer contexts of
    /// RwLocks: what a cycle found later can depend on.
    pub lock_order_witnesses: usize,
}

/// Events in, findings out. One `Detector` serves one check: call
/// [`begin_execution`](Detector::begin_execution) before each execution, then
/// [`observe`](Detector::observe) each of its events in order. Realized deadlocks, races and
/// panics are per execution; the lock-order graph accumulates over all of them.
///
/// # Examples
///
/// ```
/// use interleave_detector::{Detector, Kind, TraceBuilder};
///
/// let mut trace = TraceBuilder::new();
/// let main = trace.main();
/// let a = trace.mutex(main);
/// let b = trace.mutex(main);
/// let t1 = trace.spawn(main);
/// let t2 = trace.spawn(main);
/// trace.lock(t1, a).lock(t1, b).unlock(t1, b).unlock(t1, a);
/// trace.lock(t2, b).lock(t2, a).unlock(t2, a).unlock(t2, b);
///
/// let mut detector = Detector::default();
/// detector.begin_execution(1);
/// for event in &trace.events() {
///     detector.observe(event).unwrap();
/// }
/// // Nothing deadlocked, yet the cycle a → b → a is reported.
/// let findings = detector.take_findings();
/// assert_eq!(findings.len(), 1);
/// assert_eq!(findings[0].kind(), Kind::PotentialDeadlock);
/// ```
#[derive(Debug)]
pub struct Detector {
    pub(crate) config: DetectorConfig,
    /// What the check learns across executions, boxed: a detector moves into and out of every
    /// execution.
    pub(crate) check: Box<CheckState>,
    #[expect(
        clippy::vec_box,
        reason = "a state is large, and moves between `threads` and `spare_threads`"
    )]
    pub(crate) threads: Vec<Box<ThreadState>>,
    /// The states of the previous execution's threads, reused for the next one's (no
    /// allocation per spawn).
    #[expect(clippy::vec_box, reason = "as `threads`")]
    spare_threads: Vec<Box<ThreadState>>,
    /// Boxed, as `threads`: a state is large, and moves between `objects` and
    /// `spare_objects`.
    pub(crate) objects: Vec<Option<Box<ObjectState>>>,
    /// The states of the previous execution's objects, reused for the next one's (no
    /// allocation per object).
    #[expect(clippy::vec_box, reason = "as `objects`")]
    spare_objects: Vec<Box<ObjectState>>,
    pub(crate) execution: u64,
    pub(crate) findings: Vec<Finding>,
    /// Races already reported in this check: (cell, earlier site, later site).
    pub(crate) reported_races: std::collections::BTreeSet<(u32, crate::Site, crate::Site)>,
    /// A realized deadlock was reported in this execution.
    pub(crate) deadlock_reported: bool,
    /// Virtual time of the current execution, in nanoseconds.
    pub(crate) now_ns: u64,
    pub(crate) stats: Stats,
}

/// The detector's state that lasts for the whole check: stable identities, the lock-order
/// graph and the interned lock contexts.
#[derive(Debug)]
pub(crate) struct CheckState {
    pub(crate) identities: Identities,
    pub(crate) lock_order: LockOrderGraph,
    pub(crate) contexts: Contexts,
}

impl Default for Detector {
    fn default() -> Self {
        Detector::new(DetectorConfig::default())
    }
}

impl Detector {
    /// A detector for one check.
    pub fn new(config: DetectorConfig) -> Self {
        Detector {
            config,
            check: Box::new(CheckState {
                identities: Identities::new(),
                lock_order: LockOrderGraph::new(config.suppressions),
                contexts: Contexts::default(),
            }),
            threads: Vec::new(),
            spare_threads: Vec::new(),
            objects: Vec::new(),
            spare_objects: Vec::new(),
            execution: 0,
            findings: Vec::new(),
            reported_races: std::collections::BTreeSet::new(),
            deadlock_reported: false,
            now_ns: 0,
            stats: Stats::default(),
        }
    }

    /// Starts execution number `execution` (1-based): forgets the previous execution's threads
    /// and objects, keeps what the check has learnt (identities, lock-order graph).
    pub fn begin_execution(&mut self, execution: u64) {
        self.execution = execution;
        self.stats.executions += 1;
        self.check.identities.begin_execution();
        // Last first, so that the next execution's threads get the states in the same order
        // (one pop and push each: cheaper than a reversed drain for the few there are).
        while let Some(state) = self.threads.pop() {
            self.spare_threads.push(state);
        }
        // As the threads', for the next execution's objects.
        while let Some(state) = self.objects.pop() {
            self.spare_objects.extend(state);
        }
        self.deadlock_reported = false;
        self.now_ns = 0;
        let mut main = self.fresh_thread(0);
        main.clock.tick(0);
        main.fork_join.tick(0);
        self.threads.push(main);
    }

    /// How much the detector keeps across executions: stable identities and their sites,
    /// interned lock contexts, the lock requests and RwLock writers recorded in the lock-order
    /// graph, and the races reported. Every part only grows, and an execution changes what is
    /// kept only by adding to it: an execution after which this is unchanged added nothing a
    /// later execution could depend on.
    ///
    /// A check on several OS threads uses it to skip, in its in-order detector, an execution
    /// that another detector (which has seen some of the executions before it, and nothing
    /// else) analysed without a finding and without learning anything: the in-order detector,
    /// which has seen all of them, would not learn anything from it nor find anything in it
    /// either (see [`skip_executions`](Self::skip_executions)).
    pub fn kept_size(&self) -> u64 {
        let contexts = &self.check.contexts;
        (self.check.identities.size() + contexts.size() + self.reported_races.len()) as u64
    }

    /// Counts `executions` executions, the last numbered `last`, of `events` events in all,
    /// without observing them: executions known to add nothing to what the detector keeps
    /// across executions and to have no finding (see [`kept_size`](Self::kept_size)).
    pub fn skip_executions(&mut self, last: u64, executions: u64, events: u64) {
        self.execution = last;
        self.stats.executions += executions;
        self.stats.events += events;
    }

    /// The state of a new thread of identity `stable`, with zero clocks: a spare one reset, or a
    /// new one.
    fn fresh_thread(&mut self, stable: u32) -> Box<ThreadState> {
        match self.spare_threads.pop() {
            Some(mut state) => {
                state.reset(stable);
                state
            }
            None => Box::new(ThreadState::new(
                stable,
                VectorClock::new(),
                VectorClock::new(),
            )),
        }
    }

    /// The happens-before clock of `thread` in the current execution (`None` before it is
    /// spawned): its own entry is the epoch of its latest event.
    pub fn thread_clock(&self, thread: ThreadId) -> Option<&VectorClock> {
        self.threads.get(thread.index()).map(|t| &t.clock)
    }

    /// The site of the latest event of `thread` in the current execution (`None` before its
    /// first, or for a thread not spawned yet). Inlined: the harness asks at every
    /// scheduling point.
    #[inline]
    pub fn last_site(&self, thread: ThreadId) -> Option<&crate::Site> {
        self.threads
            .get(thread.index())
            .filter(|t| t.events > 0)
            .map(|t| &t.last_site)
    }

    /// Findings made so far and not yet taken.
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// Takes the findings made so far.
    pub fn take_findings(&mut self) -> Vec<Finding> {
        std::mem::take(&mut self.findings)
    }

    /// Counters.
    pub fn stats(&self) -> Stats {
        Stats {
            lock_order_edges: self.check.lock_order.edge_count(),
            lock_order_witnesses: self.check.lock_order.witness_count(),
            ..self.stats
        }
    }

    /// The lock-order graph's edges so far, as (from, to, witnesses) with objects described by
    /// their stable identity, in the order they were first seen.
    pub fn lock_order_edges(&self) -> Vec<(crate::ObjectInfo, crate::ObjectInfo, usize)> {
        self.check
            .lock_order
            .edges()
            .map(|(a, b, n)| {
                (
                    self.check.identities.object(a).clone(),
                    self.check.identities.object(b).clone(),
                    n,
                )
            })
            .collect()
    }

    /// Analyses one event of the current execution.
    ///
    /// # Errors
    ///
    /// An event that contradicts the ones before it (an unknown thread or object, a lock
    /// released by a thread that does not hold it, …) is rejected with an [`EventError`]; the
    /// detector's state is unchanged by it and it can go on.
    pub fn observe(&mut self, event: &Event) -> Result<(), EventError> {
        if self.threads.is_empty() {
            self.begin_execution(1);
        }
        let t = event.thread;
        self.live_thread(event.step, t)?;
        self.stats.events += 1;
        if !matches!(event.kind, EventKind::Block) {
            let thread = &mut self.threads[t.index()];
            if thread.blocked_since.take().is_some() {
                thread.max_block_reported = false;
            }
        }
        match &event.kind {
            EventKind::Spawn { child, name } => self.spawn(event, *child, name.as_deref())?,
            EventKind::Exit => self.exit(event),
            EventKind::JoinRequest { child } => self.join_request(event, *child)?,
            EventKind::Joined { child } => self.joined(event, *child)?,
            EventKind::JoinCancel { child } => self.join_cancel(event, *child)?,
            EventKind::Park { timed } => self.park(event, *timed),
            EventKind::Unparked => self.unparked(t),
            EventKind::Unpark { target } => self.unpark(event, *target)?,
            EventKind::Create {
                object,
                class,
                name,
            } => self.create(event, *object, *class, name.as_deref())?,
            EventKind::LockRequest {
                lock,
                mode,
                attempt,
            } => self.lock_request(event, *lock, *mode, *attempt)?,
            EventKind::LockAcquired { lock, mode } => self.lock_acquired(event, *lock, *mode)?,
            EventKind::LockFailed { lock } => self.lock_failed(event, *lock)?,
            EventKind::LockReleased { lock } => self.lock_released(event, *lock)?,
            EventKind::CondvarWait {
                condvar,
                lock,
                timed,
            } => self.condvar_wait(event, *condvar, *lock, *timed)?,
            EventKind::CondvarWoken { condvar, timed_out } => {
                self.condvar_woken(event, *condvar, *timed_out)?
            }
            EventKind::CondvarNotify { condvar, .. } => self.condvar_notify(event, *condvar)?,
            EventKind::SendRequest { channel } => self.send_request(event, *channel)?,
            EventKind::Sent { channel, ok } => self.sent(event, *channel, *ok)?,
            EventKind::RecvRequest { channel, bounded } => {
                self.recv_request(event, *channel, *bounded)?
            }
            EventKind::Received { channel, ok } => self.received(event, *channel, *ok)?,
            EventKind::BarrierWait {
                barrier,
                generation,
            } => self.barrier_wait(event, *barrier, *generation)?,
            EventKind::BarrierLeave {
                barrier,
                generation,
            } => self.barrier_leave(event, *barrier, *generation)?,
            EventKind::OnceBegin { once } => self.once_begin(event, *once)?,
            EventKind::OnceWait { once } => self.once_wait(event, *once)?,
            EventKind::OnceComplete { once } => self.once_complete(event, *once)?,
            EventKind::OnceObserved { once } => self.once_observed(event, *once)?,
            EventKind::Atomic {
                object,
                op,
                ordering,
                reads,
            } => self.atomic(event, *object, *op, *ordering, *reads)?,
            EventKind::Fence { ordering } => self.fence(t, *ordering),
            EventKind::CellRead { cell } => self.cell_access(event, *cell, false)?,
            EventKind::CellWrite { cell } => self.cell_access(event, *cell, true)?,
            EventKind::TimerArm { timer, deadline_ns } => {
                self.object(event.step, *timer, ObjectClass::Timer)?;
                self.threads[t.index()].timer = Some(crate::state::ArmedTimer {
                    object: *timer,
                    deadline_ns: *deadline_ns,
                    armed_ns: self.now_ns,
                    site: event.site.clone(),
                    step: event.step,
                });
            }
            EventKind::TimerFire { timer } | EventKind::TimerCancel { timer } => {
                self.object(event.step, *timer, ObjectClass::Timer)?;
                for thread in &mut self.threads {
                    if thread
                        .timer
                        .as_ref()
                        .is_some_and(|armed| armed.object == *timer)
                    {
                        thread.timer = None;
                    }
                }
            }
            EventKind::ClockAdvance { now_ns, early } => self.clock_advance(event, *now_ns, *early),
            EventKind::Block => self.block(event),
            EventKind::DeadlineEnter { deadline_ns } => self.deadline_enter(event, *deadline_ns),
            EventKind::DeadlineExit => self.deadline_exit(event),
            EventKind::AsyncWait { object } => self.async_wait(event, *object)?,
            EventKind::AsyncReady { object } => self.async_ready(event, *object)?,
            EventKind::AsyncRelease { object } => self.async_release(event, *object)?,
            EventKind::AsyncAcquire { object } => self.async_acquire(event, *object)?,
            EventKind::LostWaker => self.lost_waker(event),
            EventKind::AwaitHolding { lock } => self.await_holding(event, *lock)?,
            EventKind::FutureHolds {
                object,
                held_at,
                granted,
            } => self.future_holds(event, *object, held_at, *granted)?,
            EventKind::Stuck => self.stuck(event),
            EventKind::StepLimit { max_steps } => self.step_limit(event, *max_steps),
            EventKind::Panic { message, backtrace } => {
                self.panic(event, message, backtrace.as_deref());
            }
            // The use that follows a free is what the harness reports.
            EventKind::MemoryFree { .. } => {}
            EventKind::MemoryError {
                error,
                size,
                freed_at,
            } => self.memory_error(event, *error, *size, freed_at.as_ref()),
        }
        let thread = &mut self.threads[t.index()];
        thread.events += 1;
        thread.last_site.clone_from(&event.site);
        thread.last_step = event.step;
        Ok(())
    }

    fn live_thread(&self, step: u64, thread: ThreadId) -> Result<(), EventError> {
        match self.threads.get(thread.index()) {
            None => Err(EventError::UnknownThread { step, thread }),
            Some(state) if !state.alive => Err(EventError::ThreadExited { step, thread }),
            Some(_) => Ok(()),
        }
    }

    /// The state of an object of class `class` (a lock accepts both lock classes).
    pub(crate) fn object(
        &self,
        step: u64,
        object: ObjectId,
        class: ObjectClass,
    ) -> Result<&ObjectState, EventError> {
        let state = self
            .objects
            .get(object.index())
            .and_then(Option::as_ref)
            .ok_or(EventError::UnknownObject { step, object })?;
        let fits = state.class == class
            || (class == ObjectClass::Mutex && state.class == ObjectClass::RwLock);
        if !fits {
            let expected = if class == ObjectClass::Mutex {
                "lock"
            } else {
                class.name()
            };
            return Err(EventError::WrongClass {
                step,
                object,
                expected,
                found: state.class,
            });
        }
        Ok(state)
    }

    fn create(
        &mut self,
        event: &Event,
        object: ObjectId,
        class: ObjectClass,
        name: Option<&str>,
    ) -> Result<(), EventError> {
        if matches!(self.objects.get(object.index()), Some(Some(_))) {
            return Err(EventError::DuplicateObject {
                step: event.step,
                object,
            });
        }
        let creator = self.threads[event.thread.index()].stable;
        let stable = self
            .check
            .identities
            .create(creator, class, &event.site, name);
        if self.objects.len() <= object.index() {
            self.objects.resize_with(object.index() + 1, || None);
        }
        let state = match self.spare_objects.pop() {
            Some(mut state) => {
                state.reset(stable, class);
                state
            }
            None => Box::new(ObjectState::new(stable, class)),
        };
        self.objects[object.index()] = Some(state);
        Ok(())
    }

    fn spawn(
        &mut self,
        event: &Event,
        child: ThreadId,
        name: Option<&str>,
    ) -> Result<(), EventError> {
        if child.index() < self.threads.len() {
            return Err(EventError::DuplicateThread {
                step: event.step,
                thread: child,
            });
        }
        if child.index() > self.threads.len() {
            return Err(EventError::SpawnOrder {
                step: event.step,
                thread: child,
                next: ThreadId(self.threads.len() as u32),
            });
        }
        let p = event.thread.index();
        let parent_stable = self.threads[p].stable;
        let stable = self
            .check
            .identities
            .spawn(parent_stable, &event.site, name);
        self.check
            .lock_order
            .set_threads_seen(self.check.identities.thread_count());
        let mut state = self.fresh_thread(stable);
        let parent = &mut self.threads[p];
        state.clock.copy_from(&parent.clock);
        state.clock.tick(child.index());
        parent.clock.tick(p);
        state.fork_join.copy_from(&parent.fork_join);
        state.fork_join.tick(stable as usize);
        parent.fork_join.tick(parent_stable as usize);
        self.threads.push(state);
        self.rebase_contexts(p);
        Ok(())
    }

    fn exit(&mut self, event: &Event) {
        let thread = &mut self.threads[event.thread.index()];
        thread.alive = false;
        thread.pending = None;
    }

    fn join_request(&mut self, event: &Event, child: ThreadId) -> Result<(), EventError> {
        if child.index() >= self.threads.len() {
            return Err(EventError::UnknownThread {
                step: event.step,
                thread: child,
            });
        }
        self.set_pending(event, crate::state::PendingOp::Join { child });
        // Judged when the thread blocks, if the events say when (see `blocks_recorded`).
        if self.threads[child.index()].alive && !self.config.blocks_recorded {
            self.check_wait_cycle(event);
        }
        Ok(())
    }

    fn join_cancel(&mut self, event: &Event, child: ThreadId) -> Result<(), EventError> {
        if child.index() >= self.threads.len() {
            return Err(EventError::UnknownThread {
                step: event.step,
                thread: child,
            });
        }
        let thread = &mut self.threads[event.thread.index()];
        let waits_for_child = |p: &crate::state::Pending| matches!(p.op, crate::state::PendingOp::Join { child: c } if c == child);
        if thread.pending.as_ref().is_some_and(waits_for_child) {
            thread.pending = None;
        }
        if thread.before_worker.as_ref().is_some_and(waits_for_child) {
            thread.before_worker = None;
        }
        Ok(())
    }

    fn joined(&mut self, event: &Event, child: ThreadId) -> Result<(), EventError> {
        let c = child.index();
        if c >= self.threads.len() {
            return Err(EventError::UnknownThread {
                step: event.step,
                thread: child,
            });
        }
        let t = event.thread.index();
        // A thread's clocks joined with themselves stay as they are.
        if c != t {
            let (thread, child_state) = if t < c {
                let (low, high) = self.threads.split_at_mut(c);
                (&mut low[t], &high[0])
            } else {
                let (low, high) = self.threads.split_at_mut(t);
                (&mut high[0], &low[c])
            };
            thread.clock.join(&child_state.clock);
            thread.fork_join.join(&child_state.fork_join);
        }
        self.threads[t].pending = None;
        self.rebase_contexts(t);
        Ok(())
    }

    /// A thread's fork/join clock changed: its lock contexts get a new root (interned when a
    /// context is first needed, see [`root_context`](Self::root_context)).
    fn rebase_contexts(&mut self, t: usize) {
        self.threads[t].root_context = 0;
        if self.threads[t].held.is_empty() {
            return;
        }
        let mut context = self.root_context(t);
        let thread = &mut self.threads[t];
        for held in &mut thread.held {
            context = self.check.contexts.child(context, held.stable, held.mode);
            held.context = context;
        }
    }

    /// The root of thread `t`'s lock contexts, interned on first use: most threads never take
    /// a lock. A context id is only a key of the detector's own sets (no finding, witness or
    /// count shows it), and a root never used is never looked up, so interning it lazily finds
    /// the same; [`kept_size`](Self::kept_size) then counts only roots a lock was taken under.
    pub(crate) fn root_context(&mut self, t: usize) -> u32 {
        let thread = &mut self.threads[t];
        if thread.root_context == 0 {
            thread.root_context = self.check.contexts.root(thread.stable, &thread.fork_join);
        }
        thread.root_context
    }

    /// The context id under which thread `t`'s next lock request is made.
    pub(crate) fn lock_context(&mut self, t: usize) -> u32 {
        match self.threads[t].held.last() {
            Some(held) => held.context,
            None => self.root_context(t),
        }
    }

    pub(crate) fn set_pending(&mut self, event: &Event, op: crate::state::PendingOp) {
        self.threads[event.thread.index()].pending = Some(crate::state::Pending {
            op,
            site: event.site.clone(),
            step: event.step,
            since_ns: self.now_ns,
        });
    }
}
