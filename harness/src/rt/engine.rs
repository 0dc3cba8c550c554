//! Glue to shuttle-engine: scheduling points, blocking and waking, spawning and exiting threads.
//!
//! Every thread of a scenario is one engine task. The runtime keeps its own view of which
//! threads are blocked or finished (all blocking goes through [`block_current`]), so it can see
//! a deadlock coming *before* it blocks the last runnable thread: it then reports it and stops
//! the execution, instead of letting the engine detect it and print its own failure report.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe, Location};
use std::rc::Rc;

use interleave_detector::{EventKind, Site, ThreadId};
use shuttle_engine::runtime::execution::{Execution, ExecutionState};
use shuttle_engine::runtime::task::TaskId;
use shuttle_engine::runtime::thread::continuation::{ContinuationPool, CONTINUATION_POOL};
use shuttle_engine::scheduler::{Schedule, Scheduler, Task};

use super::context::with;

/// The default stack size of a scenario thread: std's for spawned threads. It is reserved,
/// not committed: pages are only backed by memory once touched.
pub(crate) const DEFAULT_STACK_SIZE: usize = 2 << 20;

thread_local! {
    /// The stack size of the scenario threads of the check running on this OS thread.
    static STACK_SIZE: std::cell::Cell<usize> = const { std::cell::Cell::new(DEFAULT_STACK_SIZE) };
}

thread_local! {
    /// The engine's stacks for scenario threads on this OS thread, and their size: kept from
    /// one check to the next (a check of another stack size gets a pool of its own), so that a
    /// worker running check after check allocates them once.
    static STACKS: RefCell<Option<(usize, Rc<ContinuationPool>)>> = const { RefCell::new(None) };
}

/// Runs `f` with this OS thread's pool of stacks for the scenario threads of its check.
pub(crate) fn with_stacks<T>(f: impl FnOnce() -> T) -> T {
    let size = stack_size();
    let pool = STACKS.with(|stacks| {
        let mut stacks = stacks.borrow_mut();
        match &*stacks {
            Some((kept, pool)) if *kept == size => Rc::clone(pool),
            _ => {
                let pool = Rc::new(ContinuationPool::new());
                *stacks = Some((size, Rc::clone(&pool)));
                pool
            }
        }
    });
    CONTINUATION_POOL.set(&pool, f)
}

/// Sets the stack size of the scenario threads of the checks on this OS thread.
pub(crate) fn set_stack_size(size: usize) {
    STACK_SIZE.with(|s| s.set(size));
}

/// The stack size of the scenario threads of the check on this OS thread.
pub(crate) fn stack_size() -> usize {
    STACK_SIZE.with(std::cell::Cell::get)
}

/// Delivers the wakes deferred while the context was borrowed.
#[inline]
fn deliver_deferred_wakes() {
    // Almost always none: one look, inlined, and no call.
    if super::context::wakes_deferred() {
        deliver_wakes_deferred();
    }
}

/// [`deliver_deferred_wakes`] once some may be deferred: out of line, so that the scheduling
/// points do not pay for it.
#[cold]
#[inline(never)]
fn deliver_wakes_deferred() {
    if let Some(wakes) = super::context::take_deferred_wakes() {
        for thread in wakes {
            unblock(thread);
        }
    }
}

/// A scheduling point: the strategy may switch to another thread here (or fire a timer early).
pub(crate) fn switch() {
    if !super::in_execution() && !engine_runs() {
        outside_a_check("this interleave primitive", None);
    }
    deliver_deferred_wakes();
    super::time::maybe_fire_early();
    shuttle_engine::runtime::thread::switch();
    note_progress(false);
}

/// Whether the engine runs an execution on this OS thread (also while one is being torn down).
fn engine_runs() -> bool {
    !matches!(
        ExecutionState::try_with(|_| ()),
        Err(shuttle_engine::runtime::execution::ExecutionStateBorrowError::NotSet)
    )
}

/// Panics (see [`outside_a_check`]) unless this thread runs a check.
pub(crate) fn require_check(what: &str, site: &Site) {
    if !super::in_execution() {
        outside_a_check(what, Some(site));
    }
}

/// Panics for `what`, used at `site` on a thread that runs no check (a test that is not a
/// check, under a real runtime): what only works inside a check says so, instead of failing
/// inside the engine.
#[cold]
pub(crate) fn outside_a_check(what: &str, site: Option<&Site>) -> ! {
    let at = site.map_or_else(String::new, |site| format!(", at {site}"));
    panic!(
        "{what} was used outside an interleave check{at}: interleave's async primitives, tasks \
         and timers run inside `interleave::check`, `explore` or `replay` only (with \
         interleave-tokio, inside its `#[tokio::test]`); a test that is not a check needs the \
         real ones (docs/tokio.md, \"Tests that are not checks\")"
    )
}

/// Tells the watchdog which thread runs on from a scheduling point, and the interleave call it
/// is in (none if it is `starting`). Stops the execution if the watchdog has given up on it.
fn note_progress(starting: bool) {
    let abandoned = with(|c| {
        if let Some(steps) = c.steps.as_deref_mut() {
            steps.resumed(c.current);
        }
        let Some(progress) = &c.progress else {
            return false;
        };
        let site = if starting {
            None
        } else {
            c.last_site(c.current)
        };
        progress.record(c.current, c.step, site)
    });
    if abandoned == Some(true) {
        with(|c| {
            c.stop.get_or_insert(super::Stop::Internal(
                "the watchdog gave up on this check".to_owned(),
            ));
        });
    }
}

/// A scheduling point after which the strategy should prefer another thread.
pub(crate) fn yield_now() {
    ExecutionState::request_yield();
    super::steps::note_yield();
    switch();
}

/// A random value decided by the strategy and recorded in the schedule (0 under exhaustive
/// exploration, which does not branch on values).
pub(crate) fn random_u64() -> u64 {
    deliver_deferred_wakes();
    ExecutionState::next_u64()
}

/// The thread the runtime is running now.
pub(crate) fn current_thread() -> ThreadId {
    with(|c| c.current).unwrap_or(ThreadId::MAIN)
}

/// What `block_current` does once it has looked at the other threads.
enum Blocking {
    /// Block until woken.
    Block,
    /// Block, after waking the thread a timer fired for.
    BlockAfterWaking(usize),
    /// Do not block: the thread's own timer fired.
    Return,
    /// The execution is stopping.
    Stop,
}

/// Blocks the current thread until another thread calls [`unblock`] for it, or its timer fires.
///
/// If no other thread can run, the next timer fires first (virtual time jumps to it); if there
/// is no timer either, nothing could ever wake anyone: the deadlock is reported (`stuck`) and
/// the execution stops here instead of blocking. `site` is where the thread waits.
pub(crate) fn block_current(site: &Site) {
    deliver_deferred_wakes();
    let action = with(|c| {
        if c.stop.is_some() {
            return Blocking::Stop;
        }
        let me = c.current;
        while !c.others_runnable() {
            match c.fire_next_timer(false) {
                Some((thread, _)) if thread == me => return Blocking::Return,
                Some((_, Some(task))) => {
                    c.emit(EventKind::Block, site.clone());
                    c.thread_mut(me).blocked = true;
                    return Blocking::BlockAfterWaking(task);
                }
                // A timer of a thread that was not blocked: look again.
                Some((_, None)) => {}
                None => {
                    c.emit(EventKind::Stuck, site.clone());
                    c.stop.get_or_insert(super::Stop::Finding);
                    return Blocking::Stop;
                }
            }
        }
        c.emit(EventKind::Block, site.clone());
        c.thread_mut(me).blocked = true;
        Blocking::Block
    })
    .unwrap_or(Blocking::Stop);
    match action {
        Blocking::Return => return,
        // While the engine tears a stopped execution down, a destructor that waits must really
        // block (the engine then leaves it): switching would return at once and spin.
        Blocking::Stop if ExecutionState::should_stop() => {
            ExecutionState::with(|s| s.current_mut().block(false));
        }
        Blocking::Stop => {}
        Blocking::BlockAfterWaking(task) => {
            super::time::wake_task(Some(task));
            ExecutionState::with(|s| s.current_mut().block(false));
            super::time::maybe_fire_early_elsewhere();
        }
        Blocking::Block => {
            ExecutionState::with(|s| s.current_mut().block(false));
            super::time::maybe_fire_early_elsewhere();
        }
    }
    // With a stop pending, the scheduler ends the execution at this switch.
    shuttle_engine::runtime::thread::switch();
    note_progress(false);
}

/// Makes a blocked thread runnable again. Asked while the context is borrowed, the wake is
/// deferred to the next scheduling point rather than lost.
pub(crate) fn unblock(thread: ThreadId) {
    if super::context::borrowed() {
        super::context::defer_wake(thread);
        return;
    }
    let task = with(|c| c.unblock_thread(thread)).flatten();
    unblock_task(task);
}

/// Makes engine task `task` runnable (for the engine), if any.
fn unblock_task(task: Option<usize>) {
    if let Some(task) = task {
        ExecutionState::with(|s| s.get_mut(TaskId::from(task)).unblock());
    }
}

/// Spawns `body` as a new thread of the scenario, with a stack of at least `stack_size` bytes
/// (the check's size if larger); returns its id.
#[track_caller]
pub(crate) fn spawn(
    body: Box<dyn FnOnce() + 'static>,
    name: Option<String>,
    site: Site,
    requested: Option<usize>,
) -> ThreadId {
    let caller = Location::caller();
    let check_size = stack_size();
    let size = requested.map_or(check_size, |s| s.max(check_size));
    let spawn = || ExecutionState::spawn_thread(body, size, name.clone(), None, caller);
    let task = if size > check_size {
        // The engine's pool hands out whatever stack it has, whatever the size asked for: a
        // larger stack comes from a pool of its own (not reused; the thread asked for it).
        CONTINUATION_POOL.set(&ContinuationPool::new(), spawn)
    } else {
        spawn()
    };
    let task = usize::from(task);
    with(|c| {
        let child = ThreadId(c.threads.len() as u32);
        super::overflow::spawned(child.0, size, name.as_deref());
        // The context holds the progress of the check it runs for (see `Context::install`).
        if let Some(progress) = &c.progress {
            progress.spawned(child.0, name.as_deref());
        }
        c.push_thread(task, name.clone());
        if c.task_thread.len() <= task {
            c.task_thread.resize(task + 1, None);
        }
        c.task_thread[task] = Some(child);
        c.emit(EventKind::Spawn { child, name }, site);
        child
    })
    .expect("spawn inside an execution")
}

/// The body of every scenario thread (the main closure included): runs `f`, turns a panic into
/// a finding, then exits the thread.
pub(crate) fn run_thread<T>(f: impl FnOnce() -> T, keep: impl FnOnce(T)) {
    let top = 0u8;
    super::overflow::started(current_thread().0, std::ptr::from_ref(&top) as usize);
    note_progress(true);
    match panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(value) => {
            // Stored for a joiner, or dropped, while the thread is still alive: dropping it may
            // be an operation of its own (the last `Sender` of a channel, say).
            keep(value);
            // Its thread-locals go while it still runs; the last thread also takes the
            // execution's lazies, then checks that no memory leaked.
            let last = with(|c| !c.others_alive()).unwrap_or(false);
            crate::local::thread_ending(last);
            if last {
                crate::alloc::check_leaks();
            }
            exit_current();
        }
        Err(payload) => {
            let recorded = with(|c| {
                let current = c.current;
                let (message, site, recorded) =
                    c.thread_mut(current).last_panic.take().map_or_else(
                        || {
                            (
                                super::payload_message(payload.as_ref()),
                                Site::unknown(),
                                false,
                            )
                        },
                        |(message, site)| (message, site, true),
                    );
                let backtrace = c.thread_mut(current).last_backtrace.take();
                c.emit(EventKind::Panic { message, backtrace }, site);
                c.stop.get_or_insert(super::Stop::Finding);
                recorded
            });
            if recorded == Some(false) {
                // No hook of interleave's saw the panic (one that replaced it keeps it without
                // calling it): its site is lost; the check runs again.
                super::hook::unrecorded();
            }
            // The scheduler ends the execution at this switch, unless another thread has to
            // finish unwinding a panic first (see `InterleaveScheduler::finish_unwinding`): then
            // this thread ends, and its joiners wake.
            switch();
            exit_current();
        }
    }
}

/// The current thread finishes: joiners wake; if every other thread is blocked for good, that
/// is a deadlock.
pub(crate) fn exit_current() {
    let exited = with(|c| {
        let current = c.current;
        let slot = c.thread_mut(current);
        slot.finished = true;
        let mut woken_joiners: smallvec::SmallVec<[usize; 4]> = smallvec::SmallVec::new();
        if !slot.joiners.is_empty() {
            let mut joiners = std::mem::take(&mut slot.joiners);
            woken_joiners.extend(
                joiners
                    .iter()
                    .filter_map(|&joiner| c.unblock_thread(joiner)),
            );
            // The slot keeps its buffer for the thread that gets it in a later execution.
            joiners.clear();
            c.thread_mut(current).joiners = joiners;
        }
        // Every other thread that is alive is blocked (asked again only if a timer fired).
        let mut others_blocked = c.others_all_blocked();
        let woken = if c.stop.is_none() && others_blocked {
            let woken = c.fire_next_timer(false).and_then(|(_, task)| task);
            others_blocked = c.others_all_blocked();
            woken
        } else {
            None
        };
        let mut stuck = None;
        if others_blocked {
            if c.stop.is_none() {
                // The thread is still alive for the detector until its exit event.
                c.emit(EventKind::Stuck, Site::unknown());
                c.stop = Some(super::Stop::Finding);
            }
            let current = c.current.0 as usize;
            stuck = c
                .threads
                .iter()
                .enumerate()
                .find(|&(i, t)| i != current && !t.finished)
                .map(|(_, t)| t.task);
        }
        c.emit(EventKind::Exit, Site::unknown());
        (woken_joiners, woken, stuck, c.fire_everywhere)
    });
    let Some((woken_joiners, woken, stuck, fire_everywhere)) = exited else {
        return;
    };
    for task in woken_joiners {
        unblock_task(Some(task));
    }
    super::time::wake_task(woken);
    // With every other thread blocked, the engine would find nothing to run once this one has
    // exited and fail the execution with its own deadlock report. One blocked task made
    // runnable (for the engine only) lets it ask the scheduler, which ends the execution.
    if stuck.is_some() {
        unblock_task(stuck);
    } else if fire_everywhere {
        super::time::maybe_fire_early_elsewhere();
    }
}

/// Runs one trivial execution, so that the engine initialises its once-per-process state (its
/// panic hook) at a moment interleave chooses.
pub(crate) fn run_empty_execution() {
    #[derive(Debug)]
    struct Once;
    impl Scheduler for Once {
        fn new_execution(&mut self) -> Option<Schedule> {
            Some(Schedule::new(0))
        }
        fn next_task(
            &mut self,
            runnable: &[&Task],
            _current: Option<TaskId>,
            _yielding: bool,
        ) -> Option<TaskId> {
            runnable.first().map(|t| t.id())
        }
        fn next_u64(&mut self) -> u64 {
            0
        }
    }
    let scheduler: Rc<RefCell<dyn Scheduler>> = Rc::new(RefCell::new(Once));
    let config = super::super::check::engine_config();
    shuttle_engine::runtime::thread::continuation::CONTINUATION_POOL.set(
        &shuttle_engine::runtime::thread::continuation::ContinuationPool::new(),
        || Execution::new(scheduler, Schedule::new(0)).run(&config, || {}, Location::caller()),
    );
}
