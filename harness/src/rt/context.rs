//! The execution context: a thread-local that exists while an execution runs on this OS thread.
//!
//! The engine runs every thread of a scenario as a coroutine on the OS thread that called
//! `check`, so one thread-local per OS thread is one context per running check: parallel tests
//! never see each other's context.
#![expect(
    unsafe_code,
    reason = "the context is reached through a raw pointer in a thread-local without a destructor: \
              every primitive reaches it, several times per operation"
)]

use std::cell::{Cell, RefCell};

use interleave_detector::{Detector, Event, EventKind, Finding, Kind, Site, ThreadId};

/// Why an execution ends early.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    /// A finding that ends the execution (anything but a potential deadlock).
    Finding,
    /// A replayed schedule does not fit the program.
    Diverged(String),
    /// An exploring strategy saw the program take another path under a schedule prefix it had
    /// run before.
    Nondeterministic(String),
    /// interleave itself went wrong (its events contradicted each other, or the engine failed
    /// the execution on its own): reported as interleave's bug, never as the user's.
    Internal(String),
    /// A check was started inside the scenario, at this site: the user's misuse.
    Nested(Site),
}

/// One thread of the scenario, as the runtime tracks it.
#[derive(Debug)]
pub(crate) struct ThreadSlot {
    /// The engine's task id (an index).
    pub(crate) task: usize,
    pub(crate) name: Option<String>,
    pub(crate) blocked: bool,
    pub(crate) finished: bool,
    /// Threads waiting in `join` for this one.
    pub(crate) joiners: Vec<ThreadId>,
    /// `unpark` was called and not yet consumed by `park`.
    pub(crate) park_token: bool,
    /// Blocked in `park` (so `unpark` wakes it).
    pub(crate) parked: bool,
    /// The thread's timer fired and it has not looked yet (see `rt::take_timeout`).
    pub(crate) timer_fired: bool,
    /// A task waiting to be woken between two polls of its future (`future`): a timer of
    /// its futures that fires wakes it.
    pub(crate) idle: bool,
    /// A timer of its futures (armed with `arm_timer_until`) fired since it last looked.
    pub(crate) future_timer_fired: bool,
    /// The sync locks (`sync::Mutex`, `RwLock`) it holds: a task that awaits holding one is
    /// reported.
    pub(crate) sync_held: Vec<interleave_detector::ObjectId>,
    /// The site of its last event: the interleave call it is in while others run (for the
    /// watchdog's report). Kept only while the detector does not see events as they happen
    /// (`Context::detect` off): otherwise the detector keeps it (see [`Context::last_site`]).
    pub(crate) last_site: Option<Site>,
    /// The atomics it touched last, for the spin rule.
    pub(crate) observed: super::progress::Observed,
    /// Set by the panic hook: the message and location of the thread's panic. Each thread's
    /// own: a thread that switches out while unwinding (a destructor at a scheduling point) may
    /// let another one panic before its panic is reported.
    pub(crate) last_panic: Option<(String, Site)>,
    /// The backtrace of that panic, when backtraces are asked for.
    pub(crate) last_backtrace: Option<String>,
}

/// Everything the runtime knows about the running execution.
#[derive(Debug)]
pub(crate) struct Context {
    /// Boxed: it moves into and out of every execution.
    pub(crate) detector: Box<Detector>,
    /// A process-unique number for this execution: objects created in another one are stale.
    pub(crate) generation: u64,
    /// The execution used an object made outside it (before the check, in a `static`, or by
    /// another execution): executions running at once on several threads would share it.
    pub(crate) shared_object: bool,
    pub(crate) step: u64,
    pub(crate) current: ThreadId,
    /// Boxed: a slot is large, and moves between `threads` and `spare_slots`.
    #[expect(clippy::vec_box, reason = "a slot is large")]
    pub(crate) threads: Vec<Box<ThreadSlot>>,
    /// Engine task index → thread.
    pub(crate) task_thread: Vec<Option<ThreadId>>,
    pub(crate) next_object: u32,
    pub(crate) events: Vec<Event>,
    pub(crate) findings: Vec<Finding>,
    pub(crate) stop: Option<Stop>,
    /// Virtual time, in nanoseconds since the execution started.
    pub(crate) now_ns: u64,
    /// How many times the virtual clock moved (the spin rule's version of the clock).
    pub(crate) clock_moves: u32,
    /// Armed timers, in arming order.
    pub(crate) timers: Vec<super::time::Timer>,
    /// The scheduler, for decisions taken outside the engine's scheduling (firing a timer early).
    pub(crate) scheduler:
        Option<std::rc::Rc<std::cell::RefCell<crate::schedule::InterleaveScheduler>>>,
    /// Where the watchdog watching this check reads its progress.
    pub(crate) progress: Option<std::sync::Arc<super::watchdog::Progress>>,
    /// How many times the execution made progress (see `rt::progress`): the step bound counts
    /// decisions since it last changed.
    pub(crate) progressed: u64,
    /// Per object id: how many writes changed the atomic's value (the spin rule's versions).
    pub(crate) atomic_versions: Vec<u32>,
    /// The digest of `events`, which a replay compares with the recorded path.
    pub(crate) path: crate::schedule::digest::PathDigest,
    /// What exhaustive exploration learns of each step (`None` under other strategies).
    pub(crate) steps: Option<Box<super::steps::StepLog>>,
    /// Whether a finding ends the execution (not when a check explores on past findings: only
    /// a stuck, panicking or step-bounded execution ends then).
    pub(crate) findings_stop: bool,
    /// Whether a data race ends the execution when findings do (not in the oracle tests that
    /// explore past findings that end executions: as an accepted race, see `accepted`).
    pub(crate) races_stop: bool,
    /// The fingerprints of the findings the check's baseline accepts. An accepted data race
    /// never ends an execution: the detector reports a race once per check, so whether it
    /// ended one would depend on the executions before (and on which ran on the same thread).
    pub(crate) accepted: std::sync::Arc<std::collections::BTreeSet<String>>,
    /// At most this many events are kept for the trace; past it, none are (the trace of a
    /// failing execution is rebuilt by replaying its schedule).
    pub(crate) events_cap: usize,
    /// The execution went past `events_cap`: `events` is empty.
    pub(crate) events_dropped: bool,
    /// Whether the detector sees events as they happen (and its findings stop the execution).
    /// Off on the threads of a parallel check: the check's detector reads their events after,
    /// and has an execution that should have stopped earlier run again.
    pub(crate) detect: bool,
    /// Whether the strategy may fire a timer early at every scheduling point (a thread that
    /// blocks or exits included), not only where a thread switches.
    pub(crate) fire_everywhere: bool,
    /// The weak memory model's state (`None` under the sequentially consistent model).
    pub(crate) memory: Option<Box<super::memory::Memory>>,
    /// Slots of an earlier execution's threads, for this one's (see [`Context::push_thread`]).
    #[expect(clippy::vec_box, reason = "as `threads`")]
    spare_slots: Vec<Box<ThreadSlot>>,
}

/// What an execution left behind.
#[derive(Debug)]
pub(crate) struct ExecutionOutcome {
    /// The detector the execution ran with, until it is taken back (see `Runner::reuse`).
    pub(crate) detector: Option<Box<Detector>>,
    pub(crate) events: Vec<Event>,
    pub(crate) findings: Vec<Finding>,
    pub(crate) stop: Option<Stop>,
    /// The digest of `events`.
    pub(crate) digest: u64,
    /// The execution had more events than it kept (see `Context::events_cap`): `events` is
    /// empty.
    pub(crate) events_dropped: bool,
    /// The execution used an object made outside it (see `Context::shared_object`).
    pub(crate) shared_object: bool,
}

impl ExecutionOutcome {
    /// The detector the execution ran with (taken back only once the check is done with the
    /// execution).
    pub(crate) fn detector(&self) -> &Detector {
        self.detector
            .as_deref()
            .expect("the execution's detector is there until taken back")
    }
}

thread_local! {
    /// The installed context, and whether it is borrowed: as cheap as a thread-local gets (no
    /// destructor, no lazy initialisation), as every primitive reaches it.
    static CONTEXT: Installed = const {
        Installed {
            context: Cell::new(std::ptr::null_mut()),
            borrowed: Cell::new(false),
            wakes_deferred: Cell::new(false),
        }
    };
    /// Wakes asked for while `CONTEXT` was borrowed (a waker woken by a destructor that runs
    /// inside the runtime's own work): delivered at the next scheduling point, never lost.
    static DEFERRED_WAKES: RefCell<Vec<ThreadId>> = const { RefCell::new(Vec::new()) };
    /// The previous execution's context, emptied, for the next one to fill: its buffers and
    /// its threads' slots serve the next execution's (no allocation per execution or spawn).
    static PARKED: RefCell<Parked> = const {
        RefCell::new(Parked {
            context: None,
            detector: None,
        })
    };
    /// An empty set of accepted fingerprints, shared until the scheduler gives the check's.
    static NONE_ACCEPTED: std::sync::Arc<std::collections::BTreeSet<String>> =
        std::sync::Arc::default();
}

/// The context installed on an OS thread.
struct Installed {
    /// A context of `Box::into_raw` while installed (its owner), else null.
    context: Cell<*mut Context>,
    /// `with` lends the context out right now.
    borrowed: Cell<bool>,
    /// `DEFERRED_WAKES` may hold some: what every scheduling point asks first.
    wakes_deferred: Cell<bool>,
}

/// Gives the context back when `with`'s closure returns or unwinds.
struct Lent<'a>(&'a Cell<bool>);

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        self.0.set(false);
    }
}

/// What one execution's context leaves for the next one on the same OS thread.
#[derive(Debug)]
struct Parked {
    context: Option<Box<Context>>,
    /// What the parked context's `detector` was while it ran (the execution's detector goes
    /// back to the check): a placeholder, made once per OS thread, never used.
    detector: Option<Box<Detector>>,
}

/// Defers a wake of `thread` to the next scheduling point.
pub(crate) fn defer_wake(thread: ThreadId) {
    DEFERRED_WAKES.with(|d| d.borrow_mut().push(thread));
    CONTEXT.with(|c| c.wakes_deferred.set(true));
}

/// Whether some wakes may be deferred (see [`take_deferred_wakes`]): almost always not, and
/// one look says so.
#[inline]
pub(crate) fn wakes_deferred() -> bool {
    CONTEXT.with(|c| c.wakes_deferred.get())
}

/// The wakes deferred so far, in the order they were asked for.
pub(crate) fn take_deferred_wakes() -> Option<Vec<ThreadId>> {
    if !CONTEXT.with(|c| c.wakes_deferred.replace(false)) {
        return None;
    }
    Some(DEFERRED_WAKES.with(|d| std::mem::take(&mut *d.borrow_mut())))
}

impl ThreadSlot {
    pub(crate) fn new(task: usize, name: Option<String>) -> Self {
        ThreadSlot {
            task,
            name,
            blocked: false,
            finished: false,
            joiners: Vec::new(),
            park_token: false,
            parked: false,
            timer_fired: false,
            idle: false,
            future_timer_fired: false,
            sync_held: Vec::new(),
            last_site: None,
            observed: super::progress::Observed::default(),
            last_panic: None,
            last_backtrace: None,
        }
    }

    /// Makes this slot what [`ThreadSlot::new`] builds, keeping its allocations.
    fn reset(&mut self, task: usize, name: Option<String>) {
        // Every field named: a field added later must be reset here too.
        let ThreadSlot {
            task: own_task,
            name: own_name,
            blocked,
            finished,
            joiners,
            park_token,
            parked,
            timer_fired,
            idle,
            future_timer_fired,
            sync_held,
            last_site,
            observed,
            last_panic,
            last_backtrace,
        } = self;
        *own_task = task;
        *own_name = name;
        *blocked = false;
        *finished = false;
        joiners.clear();
        *park_token = false;
        *parked = false;
        *timer_fired = false;
        *idle = false;
        *future_timer_fired = false;
        sync_held.clear();
        *last_site = None;
        *observed = super::progress::Observed::default();
        *last_panic = None;
        *last_backtrace = None;
    }
}

impl Context {
    pub(crate) fn install(detector: Box<Detector>, generation: u64, events: Vec<Event>) {
        let accepted = NONE_ACCEPTED.with(std::sync::Arc::clone);
        let progress = super::watchdog::progress();
        let mut context = PARKED.with(|parked| {
            let mut parked = parked.borrow_mut();
            match parked.context.take() {
                Some(mut context) => {
                    let placeholder = context.reset(detector, generation, events);
                    parked.detector = Some(placeholder);
                    context.accepted = accepted;
                    context.progress = progress;
                    context
                }
                None => Box::new(Context {
                    detector,
                    generation,
                    shared_object: false,
                    step: 0,
                    current: ThreadId::MAIN,
                    threads: Vec::new(),
                    task_thread: Vec::new(),
                    next_object: 0,
                    events,
                    findings: Vec::new(),
                    stop: None,
                    now_ns: 0,
                    clock_moves: 0,
                    timers: Vec::new(),
                    scheduler: None,
                    progress,
                    progressed: 0,
                    atomic_versions: Vec::new(),
                    path: crate::schedule::digest::PathDigest::default(),
                    steps: None,
                    findings_stop: true,
                    races_stop: true,
                    accepted,
                    events_cap: usize::MAX,
                    events_dropped: false,
                    detect: true,
                    fire_everywhere: false,
                    memory: None,
                    spare_slots: Vec::new(),
                }),
            }
        });
        context.push_thread(0, None);
        context.task_thread.push(Some(ThreadId::MAIN));
        CONTEXT.with(|c| {
            assert!(!c.borrowed.get(), "the execution context is not borrowed");
            let old = c.context.replace(Box::into_raw(context));
            if !old.is_null() {
                // SAFETY: `old` came from `Box::into_raw`, and nothing borrows it (see above).
                drop(unsafe { Box::from_raw(old) });
            }
        });
        DEFERRED_WAKES.with(|d| d.borrow_mut().clear());
        CONTEXT.with(|c| c.wakes_deferred.set(false));
    }

    /// Makes a parked context what `install` builds for a new execution (but for `accepted`
    /// and `progress`, which it sets), keeping its buffers, its threads' slots and its
    /// digest's cached file hashes. Returns the placeholder detector it held.
    fn reset(
        &mut self,
        detector: Box<Detector>,
        generation: u64,
        events: Vec<Event>,
    ) -> Box<Detector> {
        // Every field named: a field added later must be reset here too.
        let Context {
            detector: own_detector,
            generation: own_generation,
            shared_object,
            step,
            current,
            threads,
            task_thread,
            next_object,
            events: own_events,
            findings,
            stop,
            now_ns,
            clock_moves,
            timers,
            scheduler,
            progress: _,
            progressed,
            atomic_versions,
            path,
            steps,
            findings_stop,
            races_stop,
            accepted: _,
            events_cap,
            events_dropped,
            detect,
            fire_everywhere,
            memory,
            spare_slots,
        } = self;
        *own_generation = generation;
        *shared_object = false;
        *step = 0;
        *current = ThreadId::MAIN;
        // Last first, so that the next execution's threads get the slots in the same order (one
        // pop and push each: cheaper than a reversed drain for the few there are).
        while let Some(slot) = threads.pop() {
            spare_slots.push(slot);
        }
        task_thread.clear();
        *next_object = 0;
        *own_events = events;
        findings.clear();
        *stop = None;
        *now_ns = 0;
        *clock_moves = 0;
        timers.clear();
        *scheduler = None;
        *progressed = 0;
        atomic_versions.clear();
        path.restart();
        *steps = None;
        *findings_stop = true;
        *races_stop = true;
        *events_cap = usize::MAX;
        *events_dropped = false;
        *detect = true;
        *fire_everywhere = false;
        *memory = None;
        std::mem::replace(own_detector, detector)
    }

    pub(crate) fn uninstall() -> ExecutionOutcome {
        let mut context = CONTEXT.with(|c| {
            assert!(!c.borrowed.get(), "the execution context is not borrowed");
            let context = c.context.replace(std::ptr::null_mut());
            assert!(!context.is_null(), "an execution context is installed");
            // SAFETY: it came from `Box::into_raw` in `install`, and nothing borrows it (see
            // above); the thread-local no longer points to it.
            unsafe { Box::from_raw(context) }
        });
        // What would keep the check's scheduler, its watchdog or the weak memory model's state
        // alive goes now; the rest waits for the next execution's `reset`.
        context.scheduler = None;
        context.progress = None;
        context.memory = None;
        context.steps = None;
        PARKED.with(|parked| {
            let mut parked = parked.borrow_mut();
            let placeholder = parked.detector.take().unwrap_or_default();
            let outcome = ExecutionOutcome {
                detector: Some(std::mem::replace(&mut context.detector, placeholder)),
                events: std::mem::take(&mut context.events),
                findings: std::mem::take(&mut context.findings),
                stop: context.stop.take(),
                digest: context.path.value(),
                events_dropped: context.events_dropped,
                shared_object: context.shared_object,
            };
            parked.context = Some(context);
            outcome
        })
    }

    /// Records an event of the current thread and lets the detector analyse it.
    pub(crate) fn emit(&mut self, kind: EventKind, site: Site) {
        // Once the execution is stopping, what threads still do (destructors run while it is
        // torn down) is not part of it.
        if self.stop.is_some() {
            return;
        }
        self.step += 1;
        if super::progress::is_progress(&kind) {
            self.progressed += 1;
        }
        let event = Event {
            step: self.step,
            thread: self.current,
            site,
            kind,
        };
        if self.detect {
            if let Err(error) = self.detector.observe(&event) {
                // The runtime produced events that contradict each other: a bug of interleave's.
                // Stop the execution and say so (a panic here, inside the context, could not even
                // be reported).
                self.stop.get_or_insert(Stop::Internal(error.to_string()));
                return;
            }
            if !self.detector.findings().is_empty() {
                for finding in self.detector.take_findings() {
                    if ends_execution(
                        &finding,
                        self.findings_stop,
                        self.races_stop,
                        &self.accepted,
                    ) {
                        self.stop.get_or_insert(Stop::Finding);
                    }
                    self.findings.push(finding);
                }
            }
        }
        if let Some(progress) = &self.progress {
            progress.record(self.current, self.step, Some(&event.site));
        }
        if !self.detect {
            let current = self.current;
            self.thread_mut(current).last_site = Some(event.site.clone());
        }
        if let Some(steps) = &mut self.steps {
            steps.observe(&event);
        }
        self.path.add(&event);
        if self.events.len() < self.events_cap {
            self.events.push(event);
        } else if !self.events_dropped {
            self.events_dropped = true;
            self.events = Vec::new();
        }
    }

    /// Adds a thread of engine task `task`: a spare slot reset, or a new one.
    pub(crate) fn push_thread(&mut self, task: usize, name: Option<String>) {
        let slot = match self.spare_slots.pop() {
            Some(mut slot) => {
                slot.reset(task, name);
                slot
            }
            None => Box::new(ThreadSlot::new(task, name)),
        };
        self.threads.push(slot);
    }

    /// The site of the last event of `thread` in this execution (`None` before its first):
    /// the detector's, when it sees the events, else the thread slot's.
    pub(crate) fn last_site(&self, thread: ThreadId) -> Option<&Site> {
        if self.detect {
            self.detector.last_site(thread)
        } else {
            self.thread(thread).last_site.as_ref()
        }
    }

    pub(crate) fn thread(&self, thread: ThreadId) -> &ThreadSlot {
        &self.threads[thread.0 as usize]
    }

    pub(crate) fn thread_mut(&mut self, thread: ThreadId) -> &mut ThreadSlot {
        &mut self.threads[thread.0 as usize]
    }

    /// Makes `thread` runnable again in the runtime's view, if it is blocked and alive: returns
    /// its engine task, which the caller unblocks in the engine.
    pub(crate) fn unblock_thread(&mut self, thread: ThreadId) -> Option<usize> {
        let slot = self.thread_mut(thread);
        if !slot.blocked || slot.finished {
            return None;
        }
        slot.blocked = false;
        let task = slot.task;
        if let Some(steps) = self.steps.as_deref_mut() {
            steps.woken.push(thread);
        }
        Some(task)
    }

    /// Whether some thread other than the current one can still run.
    pub(crate) fn others_runnable(&self) -> bool {
        self.threads
            .iter()
            .enumerate()
            .any(|(i, t)| i != self.current.0 as usize && !t.finished && !t.blocked)
    }

    /// Whether some thread other than the current one has not finished.
    pub(crate) fn others_alive(&self) -> bool {
        self.threads
            .iter()
            .enumerate()
            .any(|(i, t)| i != self.current.0 as usize && !t.finished)
    }

    /// Whether some thread other than the current one has not finished, and every such
    /// thread is blocked: `others_alive() && !others_runnable()`, in one pass.
    pub(crate) fn others_all_blocked(&self) -> bool {
        let mut alive = false;
        for (i, t) in self.threads.iter().enumerate() {
            if i != self.current.0 as usize && !t.finished {
                if !t.blocked {
                    return false;
                }
                alive = true;
            }
        }
        alive
    }

    /// A fresh object id of this execution.
    pub(crate) fn next_object(&mut self) -> interleave_detector::ObjectId {
        let id = interleave_detector::ObjectId(self.next_object);
        self.next_object += 1;
        id
    }
}

/// Whether `finding` ends the execution it was made in: anything but a potential deadlock,
/// unless findings do not stop executions (`findings_stop` off) or it is an accepted race (or
/// races do not stop them, `races_stop` off).
pub(crate) fn ends_execution(
    finding: &Finding,
    findings_stop: bool,
    races_stop: bool,
    accepted: &std::collections::BTreeSet<String>,
) -> bool {
    let race_goes_on =
        finding.kind == Kind::DataRace && (!races_stop || accepted.contains(&finding.fingerprint));
    finding.kind != Kind::PotentialDeadlock && findings_stop && !race_goes_on
}

/// Runs `f` on the context, if an execution runs on this OS thread (and the context is not
/// already borrowed: a panic hook or destructor during the runtime's own work).
#[inline]
pub(crate) fn with<T>(f: impl FnOnce(&mut Context) -> T) -> Option<T> {
    let c = installed();
    let context = c.context.get();
    if context.is_null() || c.borrowed.get() {
        return None;
    }
    c.borrowed.set(true);
    let _lent = Lent(&c.borrowed);
    // SAFETY: a non-null pointer is the installed context, owned by this thread-local
    // (`install`), which only `uninstall` frees, and neither while it is lent. It is lent once
    // at a time (`borrowed`), so this is the only reference to it until `_lent` goes.
    Some(f(unsafe { &mut *context }))
}

/// This OS thread's `CONTEXT`, reached directly: `f` of [`with`] then runs in its caller's
/// frame, not in a closure `LocalKey::with` makes a call of.
#[inline]
fn installed() -> &'static Installed {
    let installed = CONTEXT.with(std::ptr::from_ref);
    // SAFETY: a thread-local without a destructor lives as long as its thread, and only this
    // thread reaches it (`Installed` is neither `Send` nor `Sync`, as it holds `Cell`s).
    unsafe { &*installed }
}

/// Whether an execution runs on this OS thread and its context is borrowed right now (by the
/// runtime's own work, further up this stack).
pub(crate) fn borrowed() -> bool {
    CONTEXT.with(|c| !c.context.get().is_null() && c.borrowed.get())
}

/// Whether an execution runs on this OS thread.
#[inline]
pub(crate) fn in_execution() -> bool {
    CONTEXT.with(|c| !c.context.get().is_null())
}

/// Records an event of the current thread, if inside an execution.
pub(crate) fn emit(kind: EventKind, site: Site) {
    with(|c| c.emit(kind, site));
}
