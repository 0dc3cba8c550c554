//! The engine's `Scheduler`, implemented by asking a strategy and recording every decision.

use interleave_detector::{EventKind, Site, ThreadId};
use shuttle_engine::runtime::task::TaskId;
use shuttle_engine::scheduler::{Schedule as EngineSchedule, Scheduler, Task};

use super::coverage::Coverage;
use super::{digest, Actor, Decision, Node, PathSoFar, Step, Strategy};
use crate::rt::{self, Access, Footprint, Key, Stop};

/// Asks the strategy at every scheduling point, records the decision, tells the runtime which
/// thread runs, and ends the execution when the runtime asks to stop or the step bound is hit.
#[derive(Debug)]
pub(crate) struct InterleaveScheduler {
    pub(crate) strategy: Box<dyn Strategy>,
    pub(crate) max_steps: usize,
    /// The decisions of the current execution.
    pub(crate) recorded: super::recorded::Recorded,
    /// The short path digest at each decision of `recorded` (see [`digest`]).
    pub(crate) digests: Vec<u16>,
    /// Decisions with more than one runnable thread since the last progress (see
    /// `rt::progress`): what the step bound counts (a single thread running a long loop is not
    /// livelocked, nor are threads that keep getting somewhere).
    contested: usize,
    /// The execution stopped at a decision, between steps (the step bound), not inside one.
    stopped_between_steps: bool,
    /// This OS thread was unwinding a panic when the execution began (a check in a destructor
    /// during a panic): `std::thread::panicking()` then tells nothing about the execution.
    panicking_at_start: bool,
    /// Scheduling points run after the execution stopped, for a thread to finish unwinding a
    /// panic (see `next_task`).
    unwinding_steps: usize,
    /// The threads a finding's stop cut off, and whether a timer could still fire, as they
    /// were when the execution stopped (see `end_execution`): taken before the threads run on
    /// to finish unwinding, which changes what they are blocked on, and which thread runs.
    cut_at_stop: Option<(Vec<u32>, bool)>,
    /// The thread that was running when the execution stopped: it is again once the others
    /// have finished unwinding.
    current_at_stop: Option<ThreadId>,
    /// The runtime's progress count when `contested` was last reset.
    progress: u64,
    runnable: Vec<u32>,
    /// The branching points of every execution so far: whether any schedule is left.
    pub(crate) coverage: Coverage,
    /// The exhaustive model's bookkeeping (`None` under other strategies).
    model: Option<ModelState>,
    /// Findings do not stop executions (see `Plan::keep_going`).
    pub(crate) keep_going: bool,
    /// Races do not stop executions (see `Plan::findings_cut`).
    pub(crate) races_go_on: bool,
    /// The fingerprints of accepted findings (an accepted race never stops an execution).
    pub(crate) accepted: std::sync::Arc<std::collections::BTreeSet<String>>,
    /// At most this many events of an execution are kept (see `Context::events_cap`).
    pub(crate) events_cap: usize,
    /// Whether the detector runs inside executions (see `Context::detect`).
    pub(crate) detect: bool,
    /// How many events the execution had at the previous decision's path check, and at the
    /// latest one: a divergence found at a decision names the events since the previous one.
    events_checked: (usize, usize),
    /// The strategy checks the path at every decision (`Strategy::checks_path`), as asked when
    /// the execution began.
    checks_path: bool,
}

/// What the scheduler keeps for an exhaustive strategy: who takes the step in progress, which
/// threads have yielded, and a choice made where a timer could fire early (for the engine's
/// scheduling right after).
#[derive(Debug, Default)]
struct ModelState {
    actor: Option<Actor>,
    /// The latest thread to take a step (clock steps aside).
    last_thread: Option<u32>,
    /// Its latest step ended by yielding: switching away from it is no preemption.
    last_yielded: bool,
    /// Per engine task: it yielded (or re-read an atomic under the spin rule), and waits for
    /// another thread's visible step before it is enabled again (see `end_step`: a step that
    /// only looked and yielded lets it go on once between two changes).
    yielded: Vec<bool>,
    planned: Option<u32>,
    runnable: Vec<u32>,
    enabled: Vec<u32>,
    woken: Vec<u32>,
    footprint: Footprint,
    /// What firing the next timer would touch, where it may fire.
    fire: Footprint,
    /// The threads whose timer the clock fired early since the execution last made progress:
    /// none of theirs fires early again before (a thread polling with a timeout would
    /// otherwise time out for ever while the thread it waits for never runs), while another
    /// thread's timer still may (one thread oversleeping while another's timer fires).
    fired_early: Vec<u32>,
    /// The owner of the next timer at the current point.
    timer_owner: Option<u32>,
    /// The actor of the step `end_step` ended, until `report_step` reports it.
    ended: Option<Actor>,
    /// At the current point: the threads that only wait after a yield.
    waiting: Vec<u32>,
    /// Per runnable thread: whether its announced operation cannot go on.
    disabled: Vec<bool>,
    /// What the timers that fired naturally in the step that ended touched.
    natural_fires: Vec<Footprint>,
    /// The runtime's progress count when the step in progress began.
    progress_before: u64,
    /// How many steps so far changed something (`changes_something`): what a thread that
    /// yielded can see is the same between two of them.
    changes: u64,
    /// Per engine task: the value of `changes` when a step that looked and yielded (and
    /// changed nothing) last let it go on after a yield.
    released: Vec<Option<u64>>,
}

impl InterleaveScheduler {
    pub(crate) fn new(strategy: Box<dyn Strategy>, max_steps: usize) -> Self {
        InterleaveScheduler {
            strategy,
            max_steps,
            recorded: super::recorded::Recorded::default(),
            digests: Vec::new(),
            contested: 0,
            stopped_between_steps: false,
            panicking_at_start: false,
            unwinding_steps: 0,
            cut_at_stop: None,
            current_at_stop: None,
            progress: 0,
            runnable: Vec::new(),
            coverage: Coverage::default(),
            model: None,
            keep_going: false,
            races_go_on: false,
            accepted: std::sync::Arc::default(),
            events_cap: usize::MAX,
            detect: true,
            events_checked: (0, 0),
            checks_path: false,
        }
    }

    /// Connects the running execution's context to this scheduler (the execution's first
    /// step): exhaustive strategies get the runtime's model of the execution.
    pub(crate) fn attach(scheduler: &std::rc::Rc<std::cell::RefCell<Self>>) {
        let (exhaustive, everywhere, (keep_going, races_go_on), accepted, events_cap, detect) = {
            let s = scheduler.borrow();
            (
                s.strategy.exhaustive(),
                s.strategy.fires_everywhere(),
                (s.keep_going, s.races_go_on),
                std::sync::Arc::clone(&s.accepted),
                s.events_cap,
                s.detect,
            )
        };
        rt::with(|c| {
            c.scheduler = Some(std::rc::Rc::clone(scheduler));
            c.fire_everywhere = everywhere;
            c.findings_stop = !keep_going;
            c.races_stop = !races_go_on;
            c.accepted = accepted;
            c.events_cap = events_cap;
            c.detect = detect;
            if exhaustive {
                c.steps = Some(Box::default());
            }
        });
    }

    /// Forgets the previous execution.
    pub(crate) fn begin_execution(&mut self) {
        self.recorded.clear();
        self.digests.clear();
        self.events_checked = (0, 0);
        self.contested = 0;
        self.stopped_between_steps = false;
        self.panicking_at_start = std::thread::panicking();
        self.unwinding_steps = 0;
        self.cut_at_stop = None;
        self.current_at_stop = None;
        self.progress = 0;
        self.coverage.begin_execution();
        self.model = self.strategy.exhaustive().then(ModelState::default);
        self.checks_path = self.strategy.checks_path();
    }

    /// The execution ended (before its context goes): the last step ends too.
    pub(crate) fn end_execution(&mut self) {
        if self.model.is_some() {
            self.end_step();
        }
        let (runnable, clock) = match self.cut_at_stop.take() {
            Some(cut) => cut,
            None if self.model.is_some() => self.cut(),
            None => (Vec::new(), false),
        };
        if let Some(model) = &mut self.model {
            model.report_step(self.strategy.as_mut());
            // A finding that ended the execution while threads could still run cut their
            // futures off: the strategy must explore them elsewhere (an accepted deadlock of
            // two threads hides no bug of a third). As they were when it stopped.
            if !runnable.is_empty() || clock {
                model.runnable = runnable;
                self.strategy.cut(&model.runnable, clock);
            }
        }
    }

    /// The threads a finding's stop cuts off now (by engine task, sorted), and whether a timer
    /// could still fire.
    fn cut(&self) -> (Vec<u32>, bool) {
        let mut runnable = Vec::new();
        let mut clock = false;
        // Not at the step bound, which stops between steps (a livelock: the threads' futures
        // are more of the same; exploring them would run executions of the bound's length
        // each, and DPOR does not, a limit `docs/guide.md` states).
        if self.stopped_between_steps {
            return (runnable, clock);
        }
        rt::with(|c| {
            let (Some(Stop::Finding), Some(steps)) = (&c.stop, c.steps.as_deref()) else {
                return;
            };
            // Not the thread whose step ended it: in any order it ends there again, before
            // that thread's next step (and in a stuck execution, the others all wait). Nor a
            // thread whose announced operation cannot go on.
            let current = c.current;
            runnable.extend(
                c.threads
                    .iter()
                    .enumerate()
                    .filter(|&(i, t)| {
                        let thread = ThreadId(i as u32);
                        thread != current
                            && !t.blocked
                            && !t.finished
                            && !steps.model.disabled(thread)
                    })
                    .map(|(_, t)| t.task as u32),
            );
            // A timer that could still fire (early) and wake its thread.
            clock = c.timers.iter().any(|t| t.thread != current);
        });
        runnable.sort_unstable();
        (runnable, clock)
    }

    /// Before a decision: lets the strategy check the path so far, and returns its digest (to
    /// record with the decision), or `None` when the execution stops here.
    fn check_path(&mut self) -> Option<u64> {
        let decision = self.recorded.len();
        let strategy = &mut self.strategy;
        let events_checked = &mut self.events_checked;
        rt::with(|c| {
            let digest = c.path.value();
            *events_checked = (events_checked.1, c.events.len());
            let path = PathSoFar {
                digest,
                events: &c.events,
            };
            match strategy.check_path(decision, &path) {
                Ok(()) => Some(digest),
                Err(message) => {
                    c.stop = Some(strategy.divergence(message));
                    None
                }
            }
        })
        .flatten()
    }

    #[inline]
    fn record(&mut self, decision: Decision, digest: u64) {
        self.recorded.push(decision);
        self.digests.push(digest::short(digest));
    }

    /// For a divergence found at a decision (the path or the choices there differ from the
    /// first time the prefix ran): what the program did this time since the previous decision,
    /// where the path still matched (so the first difference is among these events), e.g.
    /// `; this time step 2 ran: thread 0 {"event":"lock_request",…} at src/bank.rs:33:12`. Its
    /// last few events, after how many came before them; nothing if the execution keeps no
    /// events.
    fn events_since_previous_decision(&self) -> String {
        /// At most this many events are named.
        const NAMED: usize = 4;
        let (from, to) = self.events_checked;
        let previous = self.recorded.len();
        rt::with(|c| {
            let since = c.events.get(from..to.min(c.events.len()))?;
            let (earlier, named) = since.split_at(since.len().saturating_sub(NAMED));
            if named.is_empty() {
                return None;
            }
            let named: Vec<String> = named.iter().map(digest::describe).collect();
            let earlier = match earlier.len() {
                0 => String::new(),
                n => format!("{n} events, then "),
            };
            let ran = match previous {
                0 => "before step 1 it ran".to_owned(),
                n => format!("step {n} ran"),
            };
            Some(format!("; this time {ran}: {earlier}{}", named.join(", ")))
        })
        .flatten()
        .unwrap_or_default()
    }

    fn diverged(&self, message: String) {
        let stop = self.strategy.divergence(message);
        rt::with(|c| c.stop = Some(stop));
    }

    /// Asks the strategy whether to fire the next timer early; records a yes.
    pub(crate) fn fire_early(&mut self) -> bool {
        let Some(digest) = self.check_path() else {
            return false;
        };
        if self.model.is_some() {
            return match self.decide(None, true) {
                Some(Actor::Clock) => {
                    self.record(Decision::Fire, digest);
                    true
                }
                Some(Actor::Thread(task)) => {
                    if let Some(model) = &mut self.model {
                        model.planned = Some(task);
                    }
                    false
                }
                None => false,
            };
        }
        let branches = if self.strategy.fires_early() { 2 } else { 1 };
        match self.strategy.fire_early() {
            Ok(true) => {
                self.coverage.branch(branches, 1);
                self.record(Decision::Fire, digest);
                true
            }
            Ok(false) => {
                self.coverage.branch(branches, 0);
                false
            }
            Err(divergence) => {
                self.diverged(divergence);
                false
            }
        }
    }
}

impl InterleaveScheduler {
    /// Under the weak memory model: which of `options` stores (newest first, at least two) a
    /// load reads. Records the choice; `0` (the latest store) when the execution stops here.
    pub(crate) fn read_from(&mut self, options: usize) -> usize {
        let Some(digest) = self.check_path() else {
            return 0;
        };
        match self.strategy.read_from(options) {
            Ok(index) if index < options => {
                self.coverage.branch(options, index);
                self.record(Decision::Read(index as u32), digest);
                index
            }
            Ok(index) => {
                self.diverged(format!(
                    "internal: the strategy chose store {index} of {options}"
                ));
                0
            }
            Err(divergence) => {
                self.diverged(divergence);
                0
            }
        }
    }

    /// The exhaustive model's decision at a scheduling point: ends the step in progress, works
    /// out who is enabled (`runnable`: the engine's runnable tasks, or, where a timer may fire
    /// early, the runtime's view of them) and asks the strategy. `None` when the execution
    /// stops here.
    fn decide(&mut self, runnable: Option<&[&Task]>, clock: bool) -> Option<Actor> {
        self.end_step();
        let mut model = self.model.take()?;
        model.runnable.clear();
        match runnable {
            Some(runnable) => model
                .runnable
                .extend(runnable.iter().map(|t| usize::from(t.id()) as u32)),
            None => {
                let runnable = &mut model.runnable;
                rt::with(|c| {
                    runnable.extend(
                        c.threads
                            .iter()
                            .filter(|t| !t.blocked && !t.finished)
                            .map(|t| t.task as u32),
                    );
                });
                runnable.sort_unstable();
            }
        }
        let released = enabled_threads(&mut model);
        if let Some(Actor::Thread(actor)) = model.ended {
            // A step after which its thread cannot go on (it blocked, ended or yielded) while
            // others still wait after a yield: in another order, had the thread that can still
            // run yielded first, nobody could run and they would all go on. It reads which
            // threads yielded. (Marking the step after which they do all go on as well, read
            // or write, orders it after the yields and hides the races of what it does: the
            // oracle's programs that yield lose schedules then.)
            let stopped = || model.enabled.binary_search(&actor).is_err();
            let waits = || {
                model.runnable.iter().any(|&t| {
                    model.yielded.get(t as usize).copied().unwrap_or(false)
                        && model.enabled.binary_search(&t).is_err()
                })
            };
            if !released && stopped() && waits() {
                model.footprint.read(Key::YIELDS);
            }
            // A step after which its thread cannot run (it blocked or ended) and only one other
            // thread can: that thread's timers can no longer fire early (no timer fires early
            // ahead of its owner alone), as they could before it, or once armed had it come
            // after the arming. It reads that thread's timer: it races with an arming after
            // it, and with the fire pending at its node (a `try_lock_for` of a free lock whose
            // timer fired before the other thread blocked at a barrier, then read the clock).
            // Nothing before it orders it (`UNORDERED`): moved before an arming, cancelling
            // or fire, it only takes away early fires.
            if let [sole] = model.runnable[..] {
                if sole != actor {
                    let owner =
                        rt::with(|c| c.task_thread.get(sole as usize).copied().flatten()).flatten();
                    if let Some(owner) = owner {
                        let timer = Key::timer(owner);
                        model
                            .footprint
                            .touch(timer, Access::READ | Access::UNORDERED);
                    }
                }
            }
        }
        model.report_step(self.strategy.as_mut());
        let running = model
            .last_thread
            .filter(|t| !model.last_yielded && model.enabled.binary_search(t).is_ok());
        let fire = &mut model.fire;
        model.timer_owner = rt::with(|c| {
            let (Some(next), Some(steps)) = (c.next_timer(), c.steps.as_deref()) else {
                return None;
            };
            let timer = &c.timers[next];
            *fire = steps
                .model
                .fire_footprint(timer.thread, timer.deadline_ns > c.now_ns);
            Some(timer.thread.0)
        })
        .flatten();
        let armed = model.timer_owner.is_some();
        let fired_before = model
            .timer_owner
            .is_some_and(|owner| model.fired_early.contains(&owner));
        let clock_waits = clock && armed && fired_before;
        let clock = clock && armed && !fired_before;
        model.waiting.clear();
        let ModelState {
            runnable,
            enabled,
            yielded,
            waiting,
            ..
        } = &mut model;
        waiting.extend(runnable.iter().copied().filter(|&t| {
            yielded.get(t as usize).copied().unwrap_or(false) && enabled.binary_search(&t).is_err()
        }));
        let node = Node {
            enabled: &model.enabled,
            clock,
            fire: armed.then_some(&model.fire),
            running,
            waiting: &model.waiting,
            clock_waits,
        };
        let options = node.options();
        if options > 1 {
            self.contested += 1;
        }
        let decided = self.strategy.decide(&node).and_then(|actor| {
            if node.allows(actor) {
                Ok(actor)
            } else {
                Err(format!(
                    "internal: the strategy chose {actor:?}, which cannot run here"
                ))
            }
        });
        let actor = match decided {
            Ok(actor) => actor,
            Err(divergence) => {
                self.model = Some(model);
                let ran = self.events_since_previous_decision();
                self.diverged(divergence + &ran);
                return None;
            }
        };
        let index = match actor {
            Actor::Thread(t) => node.enabled.binary_search(&t).unwrap_or(0),
            Actor::Clock => node.enabled.len(),
        };
        self.coverage.branch(options, index);
        model.actor = Some(actor);
        match actor {
            Actor::Thread(t) => model.last_thread = Some(t),
            Actor::Clock => model.fired_early.extend(model.timer_owner),
        }
        self.model = Some(model);
        Some(actor)
    }

    /// Ends the step in progress: takes what it touched from the runtime, lets the threads
    /// that yielded go on after a visible step, and reports it to the strategy.
    fn end_step(&mut self) {
        let Some(model) = &mut self.model else {
            return;
        };
        model.woken.clear();
        model.natural_fires.clear();
        let (woken, footprint, natural) = (
            &mut model.woken,
            &mut model.footprint,
            &mut model.natural_fires,
        );
        let mut progress_now = model.progress_before;
        let yielding = rt::with(|c| {
            progress_now = c.progressed;
            let steps = c.steps.as_deref_mut()?;
            for thread in steps.woken.drain(..) {
                if let Some(slot) = c.threads.get(thread.0 as usize) {
                    woken.push(slot.task as u32);
                }
            }
            std::mem::swap(footprint, &mut steps.footprint);
            steps.footprint.clear();
            std::mem::swap(natural, &mut steps.natural_fires);
            steps.natural_fires.clear();
            Some(std::mem::take(&mut steps.yielding))
        })
        .flatten()
        .unwrap_or(false);
        let step_progressed = progress_now != model.progress_before;
        model.progress_before = progress_now;
        let Some(actor) = model.actor.take() else {
            return;
        };
        // A visible step of another thread lets the threads that yielded go on. One that ended
        // by yielding itself and changed nothing (another spinner's look) does so only once
        // for each thread between two changes: two threads spinning on one flag would
        // otherwise let each other go on for ever, and exhaustive exploration would follow them
        // down a branch without end; once still lets a thread that yielded run between
        // another's look and a third thread's step (a retry loop giving up). Any progress lets
        // timers fire early again. Which step comes first after a yield (or an early fire)
        // matters: they conflict on `YIELDS` (`PROGRESS`). Any of several steps could have
        // done it: no happens-before edge from this one in particular.
        let visible = !model.footprint.is_empty() || !model.natural_fires.is_empty();
        let changes = changes_something(&model.footprint) || !model.natural_fires.is_empty();
        if changes {
            model.changes += 1;
        }
        if visible {
            let ModelState {
                yielded,
                released,
                changes: epoch,
                ..
            } = model;
            let looked_only = yielding && !changes;
            let mut releases = false;
            for (task, yielded) in yielded.iter_mut().enumerate() {
                if !*yielded || actor == Actor::Thread(task as u32) {
                    continue;
                }
                if looked_only {
                    if released.len() <= task {
                        released.resize(task + 1, None);
                    }
                    if released[task] == Some(*epoch) {
                        continue;
                    }
                    released[task] = Some(*epoch);
                }
                *yielded = false;
                releases = true;
            }
            // It reads which threads wait after a yield (a step that looked and yielded, also
            // whether it let them go before): it conflicts with the yields. One that let a
            // thread go on changed that: it conflicts with the other threads' visible steps
            // too, since whichever of two comes first lets the thread run between them (which
            // of them came first is a choice to explore, not two orders of one trace).
            if releases {
                model.footprint.write(Key::YIELDS);
            } else {
                model.footprint.read(Key::YIELDS);
            }
        }
        if yielding {
            // Two yields that touch nothing commute (both threads wait, in either order); a
            // yield and a visible step, which may end it, do not.
            model.footprint.touch(Key::YIELDS, Access::UPDATE);
        }
        if step_progressed {
            model.fired_early.clear();
            model.footprint.read(Key::PROGRESS);
        }
        if actor == Actor::Clock {
            model.footprint.write(Key::PROGRESS);
        }
        model.ended = Some(actor);
        if let Actor::Thread(_) = actor {
            model.last_yielded = yielding;
        }
        if let (true, Actor::Thread(task)) = (yielding, actor) {
            let task = task as usize;
            if model.yielded.len() <= task {
                model.yielded.resize(task + 1, false);
            }
            model.yielded[task] = true;
        }
    }
}

impl ModelState {
    /// Reports the step `end_step` ended to `strategy` (once the next point's enabled threads
    /// are known: whether a thread stopping left others waiting after a yield is part of what
    /// the step did).
    fn report_step(&mut self, strategy: &mut dyn Strategy) {
        let Some(actor) = self.ended.take() else {
            return;
        };
        strategy.step(&Step {
            actor,
            footprint: &self.footprint,
            woken: &self.woken,
            natural_fires: &self.natural_fires,
        });
    }
}

/// Whether a step with this footprint changed what a thread that yielded may see: it wrote,
/// took or released something, or waited for a write. A step that only read (a spinner's look
/// at its flag) did not. A SeqCst load's write of the SeqCst order orders it among the SeqCst
/// operations but changes no value anybody reads.
fn changes_something(footprint: &Footprint) -> bool {
    footprint
        .accesses()
        .any(|(key, access)| key != Key::SEQ_CST && access != Access::READ)
}

/// The enabled threads among the runnable ones: not disabled (their announced operation could
/// go on) and not waiting after a yield. If that leaves none, the threads that yielded are
/// enabled again; if still none, every runnable thread is (each will fail its attempt and
/// wait, and the runtime sees the deadlock, or fires the timer that ends it). Returns whether
/// it let threads waiting after a yield go on that way.
fn enabled_threads(model: &mut ModelState) -> bool {
    let ModelState {
        runnable,
        enabled,
        yielded,
        disabled,
        ..
    } = model;
    enabled.clear();
    disabled.clear();
    let known = rt::with(|c| {
        let steps = c.steps.as_deref()?;
        disabled.extend(runnable.iter().map(|&task| {
            let thread = c.task_thread.get(task as usize).copied().flatten();
            thread.is_some_and(|thread| steps.model.disabled(thread))
        }));
        Some(())
    })
    .flatten();
    if known.is_none() {
        disabled.resize(runnable.len(), false);
    }
    let is_yielded = |task: u32| yielded.get(task as usize).copied().unwrap_or(false);
    let candidates = || runnable.iter().zip(disabled.iter());
    enabled.extend(
        candidates()
            .filter(|&(&t, &d)| !d && !is_yielded(t))
            .map(|(&t, _)| t),
    );
    let mut released = false;
    if enabled.is_empty() {
        for &task in runnable.iter() {
            if let Some(y) = yielded.get_mut(task as usize) {
                released |= std::mem::replace(y, false);
            }
        }
        enabled.extend(candidates().filter(|&(_, &d)| !d).map(|(&t, _)| t));
    }
    if enabled.is_empty() {
        enabled.extend_from_slice(runnable);
    }
    released
}

/// The most scheduling points a stopped execution runs for a thread to finish unwinding a
/// panic (its destructors could spin).
const UNWINDING_STEPS: usize = 100_000;

impl InterleaveScheduler {
    /// The execution has stopped. If a thread of it switched out while unwinding a panic (a
    /// destructor at a scheduling point) and another thread's panic stopped it meanwhile, that
    /// thread's stack is still half unwound, and std's count of panics, which every thread of
    /// the execution shares (one OS thread runs them all), one too high: ending the execution
    /// now would leave every later execution on this OS thread, of this check and of the next
    /// ones, running as if it were unwinding a panic, and take other paths. So the execution
    /// runs on, its events no longer recorded and nothing decided, until no thread unwinds:
    /// the runnable threads take turns, so that a thread that unwinds gets to run, and so do
    /// the threads it waits for (a thread unwinding through a runtime's drop joins its
    /// workers; one that panicked inside a task waits in a join the other's exit ends, and
    /// picking it every time would spin there until the bound).
    fn finish_unwinding(&mut self, runnable: &[&Task]) -> Option<TaskId> {
        if !std::thread::panicking()
            || self.panicking_at_start
            || self.unwinding_steps >= UNWINDING_STEPS
            || runnable.is_empty()
        {
            return None;
        }
        let task = runnable[self.unwinding_steps % runnable.len()].id();
        self.unwinding_steps += 1;
        // The thread that runs is the current one: what it does (its exit, which ends the
        // joins that wait for it) is its own.
        rt::with(|c| {
            if let Some(Some(thread)) = c.task_thread.get(usize::from(task)) {
                c.current = *thread;
            }
        });
        Some(task)
    }
}

impl Scheduler for InterleaveScheduler {
    fn new_execution(&mut self) -> Option<EngineSchedule> {
        // The check loop starts each execution itself; the engine's own schedule is unused.
        Some(EngineSchedule::new(0))
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        let (stopping, progress, digest) =
            rt::with(|c| (c.stop.is_some(), c.progressed, c.path.value())).unwrap_or((true, 0, 0));
        if stopping {
            if self.current_at_stop.is_none() {
                // The first decision since it stopped: what the stop cut off is known now.
                if self.model.is_some() {
                    self.cut_at_stop = Some(self.cut());
                }
                self.current_at_stop = rt::with(|c| c.current);
            }
            let next = self.finish_unwinding(runnable);
            if next.is_none() {
                // The execution ends: the thread whose step stopped it is the current one.
                if let Some(current) = self.current_at_stop {
                    rt::with(|c| c.current = current);
                }
            }
            return next;
        }
        if progress != self.progress {
            self.progress = progress;
            self.contested = 0;
        }
        // The bound counts contested steps without progress; ten times as many steps in all is
        // a hard cap, so that even a lone thread spinning through scheduling points ends.
        if self.contested >= self.max_steps
            || self.recorded.len() >= self.max_steps.saturating_mul(10)
        {
            let max_steps = self.max_steps as u64;
            rt::with(|c| {
                // The livelock is reported by a thread that is still alive.
                if c.thread(c.current).finished {
                    if let Some(alive) = c.threads.iter().position(|t| !t.finished) {
                        c.current = interleave_detector::ThreadId(alive as u32);
                    }
                }
                c.emit(EventKind::StepLimit { max_steps }, Site::unknown());
                c.stop = Some(Stop::Finding);
            });
            self.stopped_between_steps = true;
            return None;
        }
        // Nothing happened since `digest` was read (the step bound returned above).
        let digest = if self.checks_path {
            self.check_path()?
        } else {
            digest
        };
        self.runnable.clear();
        self.runnable
            .extend(runnable.iter().map(|t| usize::from(t.id()) as u32));
        let task = if self.model.is_some() {
            let planned = self.model.as_mut().and_then(|m| m.planned.take());
            let task = match planned {
                Some(task) => task,
                None => match self.decide(Some(runnable), false)? {
                    Actor::Thread(task) => task,
                    Actor::Clock => unreachable!("the clock is only offered where it can fire"),
                },
            };
            if !self.runnable.contains(&task) {
                rt::with(|c| {
                    c.stop.get_or_insert(Stop::Internal(format!(
                        "the exhaustive model chose thread {task}, which the engine cannot run"
                    )));
                });
                return None;
            }
            task
        } else {
            if runnable.len() > 1 {
                self.contested += 1;
            }
            let current = current.map(|t| usize::from(t) as u32);
            match self.strategy.choose(&self.runnable, current, is_yielding) {
                Ok(index) => {
                    self.coverage.branch(self.runnable.len(), index);
                    self.runnable[index]
                }
                Err(divergence) => {
                    self.diverged(divergence);
                    return None;
                }
            }
        };
        self.record(Decision::Run(task), digest);
        rt::with(|c| {
            if let Some(Some(thread)) = c.task_thread.get(task as usize) {
                c.current = *thread;
            }
        });
        Some(TaskId::from(task as usize))
    }

    fn next_u64(&mut self) -> u64 {
        let Some(digest) = self.check_path() else {
            return 0;
        };
        self.coverage.random();
        match self.strategy.random() {
            Ok(value) => {
                self.record(Decision::Random(value), digest);
                value
            }
            Err(divergence) => {
                self.diverged(divergence);
                0
            }
        }
    }
}
