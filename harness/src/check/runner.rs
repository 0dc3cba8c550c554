//! One OS thread's executions: an engine, a scheduler and its strategy, running one execution
//! at a time and handing back what it left.

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe, Location};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use interleave_detector::{Detector, Event, EventKind};
use shuttle_engine::runtime::execution::Execution;
use shuttle_engine::scheduler::{Schedule as EngineSchedule, Scheduler};

use super::{engine_config, Plan, PlanError};
use crate::rt::{self, Context, ExecutionOutcome, Stop};
use crate::schedule::coverage::{Coverage, CoverageLog};
use crate::schedule::recorded::Recorded;
use crate::schedule::{InterleaveScheduler, PathSoFar, Strategy};

/// Numbers executions across the whole process, so that an object created in one execution
/// is never mistaken for one of another (only ever compared for equality).
static GENERATION: AtomicU64 = AtomicU64::new(1);

/// How many generations an OS thread takes from [`GENERATION`] at once: threads running a
/// check's executions side by side would otherwise write its cache line at every execution.
const GENERATIONS: u64 = 1 << 16;

thread_local! {
    /// The generations this OS thread took and has not used: the next, and the end.
    static TAKEN: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

/// A generation no other execution in the process has.
fn next_generation() -> u64 {
    TAKEN.with(|taken| {
        let (next, end) = match taken.get() {
            (next, end) if next < end => (next, end),
            _ => {
                let start = GENERATION.fetch_add(GENERATIONS, Ordering::Relaxed);
                (start, start + GENERATIONS)
            }
        };
        taken.set((next + 1, end));
        next
    })
}

/// What one execution left.
#[derive(Debug)]
pub(crate) struct Ran {
    pub(crate) execution: u64,
    /// The detector the execution ran with, its events, findings and why it stopped.
    pub(crate) outcome: ExecutionOutcome,
    pub(crate) decisions: Recorded,
    /// The short path digest at each decision.
    pub(crate) digests: Vec<u16>,
    /// Its branching points, when the coverage only logs them (a parallel check).
    pub(crate) coverage: CoverageLog,
    /// Its contested steps (what PCT learns the length of executions from).
    pub(crate) steps: usize,
    /// Its detector keeps more across executions than before it (see `Detector::kept_size`).
    pub(crate) learned: bool,
    /// Its detector may serve the thread's next executions (see `jobs`).
    pub(crate) reusable: bool,
}

/// The executions of one OS thread.
pub(crate) struct Runner {
    scheduler: Rc<RefCell<InterleaveScheduler>>,
    engine_scheduler: Rc<RefCell<dyn Scheduler>>,
    config: shuttle_engine::Config,
    /// The event buffer, reused from one execution to the next.
    events: Vec<Event>,
}

impl Runner {
    /// `events_cap`: at most this many events of an execution are kept (see
    /// `Context::events_cap`).
    pub(crate) fn new(
        plan: &Plan,
        strategy: Box<dyn Strategy>,
        coverage: Coverage,
        events_cap: usize,
    ) -> Self {
        let mut scheduler = InterleaveScheduler::new(strategy, plan.max_steps);
        scheduler.events_cap = events_cap;
        scheduler.keep_going = plan.keep_going && !plan.findings_cut;
        scheduler.races_go_on = plan.findings_cut;
        scheduler.accepted = Arc::new(plan.accepted.clone());
        scheduler.coverage = coverage;
        let scheduler = Rc::new(RefCell::new(scheduler));
        let engine_scheduler: Rc<RefCell<dyn Scheduler>> = scheduler.clone();
        Runner {
            scheduler,
            engine_scheduler,
            config: engine_config(),
            events: Vec::new(),
        }
    }

    pub(crate) fn scheduler(&self) -> std::cell::RefMut<'_, InterleaveScheduler> {
        self.scheduler.borrow_mut()
    }

    /// Gives the event buffer back once its events are no longer needed.
    pub(crate) fn recycle(&mut self, mut events: Vec<Event>) {
        events.clear();
        self.events = events;
    }

    /// Takes back what an execution left once the check is done with it: its buffers are
    /// reused by the next execution on this thread (allocated and freed by one thread, they
    /// never cost a lock of another thread's allocator arena). Returns its detector, unless it
    /// was taken before. Taken in place: a `Ran` is large, and this runs every execution.
    pub(crate) fn reuse(&mut self, ran: &mut Ran) -> Option<Box<Detector>> {
        if ran.outcome.events.capacity() > self.events.capacity() {
            self.recycle(std::mem::take(&mut ran.outcome.events));
        }
        let mut scheduler = self.scheduler.borrow_mut();
        let mut decisions = std::mem::take(&mut ran.decisions);
        let mut digests = std::mem::take(&mut ran.digests);
        decisions.clear();
        digests.clear();
        scheduler.recorded = decisions;
        scheduler.digests = digests;
        scheduler.coverage.give_back_log(&mut ran.coverage);
        ran.outcome.detector.take()
    }

    /// Runs execution number `execution` (`steps`: what PCT learnt of the executions before
    /// it) with `detector`; `None` when the strategy has no schedule left.
    pub(crate) fn run(
        &mut self,
        plan: &Plan,
        execution: u64,
        steps: usize,
        detector: Box<Detector>,
        f: &Arc<dyn Fn() + Send + Sync>,
    ) -> Result<Option<Ran>, PlanError> {
        {
            let mut scheduler = self.scheduler.borrow_mut();
            scheduler.strategy.seek(execution, steps);
            if !scheduler.strategy.next_execution() {
                return Ok(None);
            }
            scheduler.begin_execution();
        }
        let mut detector = detector;
        let kept = detector.kept_size();
        detector.begin_execution(execution);
        rt::begin_execution(execution);
        let generation = next_generation();
        Context::install(detector, generation, std::mem::take(&mut self.events));
        InterleaveScheduler::attach(&self.scheduler);
        if plan.memory_model == crate::MemoryModel::Weak {
            rt::with(|c| c.memory = Some(Box::default()));
        }
        let body = Arc::clone(f);
        let deadline = plan.deadline.clone();
        let engine_scheduler = Rc::clone(&self.engine_scheduler);
        let config = &self.config;
        let result = panic::catch_unwind(AssertUnwindSafe(|| {
            Execution::new(engine_scheduler, EngineSchedule::new(0)).run(
                config,
                move || {
                    rt::run_thread(
                        || {
                            if let Some((deadline_ns, site)) = deadline {
                                rt::emit(EventKind::DeadlineEnter { deadline_ns }, site);
                            }
                            body();
                        },
                        drop,
                    );
                },
                Location::caller(),
            );
        }));
        if let Err(payload) = result {
            // The engine failed the execution by itself: a gap in interleave's handling,
            // reported as an internal error rather than lost or blamed on the scenario.
            let message = rt::payload_message(payload.as_ref());
            rt::with(|c| {
                c.stop.get_or_insert(Stop::Internal(format!(
                    "the engine failed the execution: {message}"
                )));
            });
        }
        self.scheduler.borrow_mut().end_execution();
        let outcome = Context::uninstall();
        crate::alloc::release();
        match &outcome.stop {
            Some(Stop::Diverged(message)) => return Err(PlanError::Diverged(message.clone())),
            Some(Stop::Nondeterministic(message)) => {
                return Err(PlanError::Nondeterministic(message.clone()))
            }
            Some(Stop::Internal(message)) => return Err(PlanError::Internal(message.clone())),
            Some(Stop::Nested(site)) => return Err(PlanError::Nested(site.clone())),
            _ => {}
        }
        let mut scheduler = self.scheduler.borrow_mut();
        let decisions = scheduler.recorded.len();
        scheduler
            .strategy
            .end_execution(
                decisions,
                &PathSoFar {
                    digest: outcome.digest,
                    events: &outcome.events,
                },
            )
            .map_err(PlanError::Diverged)?;
        Ok(Some(Ran {
            execution,
            decisions: std::mem::take(&mut scheduler.recorded),
            digests: std::mem::take(&mut scheduler.digests),
            coverage: scheduler.coverage.take_log(),
            steps: scheduler.strategy.contested_steps(),
            learned: outcome.detector().kept_size() != kept,
            reusable: true,
            outcome,
        }))
    }
}
