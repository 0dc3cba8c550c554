//! The engine's `Scheduler`, implemented by asking a strategy and recording every decision.

use interleave_detector::{EventKind, Site};
use shuttle_engine::runtime::task::TaskId;
use shuttle_engine::scheduler::{Schedule as EngineSchedule, Scheduler, Task};

use super::coverage::Coverage;
use super::{digest, Decision, PathSoFar, Strategy};
use crate::rt::{self, Stop};

/// Asks the strategy at every scheduling point, records the decision, tells the runtime which
/// thread runs, and ends the execution when the runtime asks to stop or the step bound is hit.
#[derive(Debug)]
pub(crate) struct InterleaveScheduler {
    pub(crate) strategy: Box<dyn Strategy>,
    pub(crate) max_steps: usize,
    /// The decisions of the current execution.
    pub(crate) recorded: Vec<Decision>,
    /// The short path digest at each decision of `recorded` (see [`digest`]).
    pub(crate) digests: Vec<u16>,
    /// Decisions with more than one runnable thread since the last progress (see
    /// `rt::progress`): what the step bound counts (a single thread running a long loop is not
    /// livelocked, nor are threads that keep getting somewhere).
    contested: usize,
    /// The runtime's progress count when `contested` was last reset.
    progress: u64,
    runnable: Vec<u32>,
    /// The branching points of every execution so far: whether any schedule is left.
    pub(crate) coverage: Coverage,
}

impl InterleaveScheduler {
    pub(crate) fn new(strategy: Box<dyn Strategy>, max_steps: usize) -> Self {
        InterleaveScheduler {
            strategy,
            max_steps,
            recorded: Vec::new(),
            digests: Vec::new(),
            contested: 0,
            progress: 0,
            runnable: Vec::new(),
            coverage: Coverage::default(),
        }
    }

    /// Forgets the previous execution.
    pub(crate) fn begin_execution(&mut self) {
        self.recorded.clear();
        self.digests.clear();
        self.contested = 0;
        self.progress = 0;
        self.coverage.begin_execution();
    }

    /// Before a decision: lets the strategy check the path so far, and returns its digest (to
    /// record with the decision), or `None` when the execution stops here.
    fn check_path(&mut self) -> Option<u64> {
        let decision = self.recorded.len();
        let strategy = &mut self.strategy;
        rt::with(|c| {
            let digest = c.path.value();
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

    fn record(&mut self, decision: Decision, digest: u64) {
        self.recorded.push(decision);
        self.digests.push(digest::short(digest));
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
        let (stopping, progress) =
            rt::with(|c| (c.stop.is_some(), c.progressed)).unwrap_or((true, 0));
        if stopping {
            return None;
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
            return None;
        }
        let digest = self.check_path()?;
        if runnable.len() > 1 {
            self.contested += 1;
        }
        self.runnable.clear();
        self.runnable
            .extend(runnable.iter().map(|t| usize::from(t.id()) as u32));
        let current = current.map(|t| usize::from(t) as u32);
        match self.strategy.choose(&self.runnable, current, is_yielding) {
            Ok(index) => {
                self.coverage.branch(self.runnable.len(), index);
                let task = self.runnable[index];
                self.record(Decision::Run(task), digest);
                rt::with(|c| {
                    if let Some(Some(thread)) = c.task_thread.get(task as usize) {
                        c.current = *thread;
                    }
                    c.decisions += 1;
                });
                Some(TaskId::from(task as usize))
            }
            Err(divergence) => {
                self.diverged(divergence);
                None
            }
        }
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
