//! Virtual time: timers of timed waits, and when they fire.
//!
//! Time advances only by firing timers. A timer fires **naturally** when no thread can run:
//! the earliest one (ties in arming order), with time jumping to its deadline, as tokio's
//! paused clock does. A strategy may also fire the earliest timer **early**, at any scheduling
//! point where one is armed, as a recorded decision: that is how a timeout racing with the
//! notification it waits for is explored. Replays reproduce both kinds.

use std::time::Duration;

use interleave_detector::{EventKind, ObjectClass, ObjectId, Site, ThreadId};
use shuttle_engine::runtime::execution::ExecutionState;
use shuttle_engine::runtime::task::TaskId;

use super::context::{with, Context};

/// A timed wait's timer.
#[derive(Debug)]
pub(crate) struct Timer {
    pub(crate) thread: ThreadId,
    pub(crate) deadline_ns: u64,
    pub(crate) object: ObjectId,
    /// Where the timed wait is: the fire is reported there, as the owner's event.
    pub(crate) site: Site,
    /// A future's timer (`arm_timer_until`): one of several its thread may have, known by its
    /// object, which only `cancel_timer` removes and whose fire wakes the thread only while
    /// it waits between polls.
    pub(crate) of_future: bool,
}

/// `now + duration` in nanoseconds, saturating (a wait of `Duration::MAX` never times out in
/// practice, and must not overflow).
pub(crate) fn deadline_after(now_ns: u64, duration: Duration) -> u64 {
    now_ns.saturating_add(u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX))
}

impl Context {
    /// Arms a timer for the current thread, `duration` from now.
    pub(crate) fn arm_timer(&mut self, duration: Duration, site: &Site) {
        let deadline_ns = deadline_after(self.now_ns, duration);
        self.arm(deadline_ns, site, false);
    }

    fn arm(&mut self, deadline_ns: u64, site: &Site, of_future: bool) -> ObjectId {
        let object = self.next_object();
        self.emit(
            EventKind::Create {
                object,
                class: ObjectClass::Timer,
                name: None,
            },
            site.clone(),
        );
        self.emit(
            EventKind::TimerArm {
                timer: object,
                deadline_ns,
            },
            site.clone(),
        );
        let thread = self.current;
        if !of_future {
            self.thread_mut(thread).timer_fired = false;
        }
        self.timers.push(Timer {
            thread,
            deadline_ns,
            object,
            site: site.clone(),
            of_future,
        });
        object
    }

    /// The index of the timer that fires next: earliest deadline, then earliest armed.
    pub(crate) fn next_timer(&self) -> Option<usize> {
        (0..self.timers.len()).min_by_key(|&i| self.timers[i].deadline_ns)
    }

    /// Fires the next timer: time jumps to its deadline, its thread is told and becomes
    /// runnable. Returns that thread and, if it was blocked, its engine task to wake.
    pub(crate) fn fire_next_timer(&mut self, early: bool) -> Option<(ThreadId, Option<usize>)> {
        let index = self.next_timer()?;
        let timer = self.timers.remove(index);
        if let (false, Some(steps)) = (early, self.steps.as_deref_mut()) {
            let advances = timer.deadline_ns > self.now_ns;
            let fire = steps.model.fire_footprint(timer.thread, advances);
            steps.natural_fires.push(fire);
            steps.in_natural_fire = true;
        }
        // The advance and the fire are the timer owner's events, at its wait.
        let running = std::mem::replace(&mut self.current, timer.thread);
        if timer.deadline_ns > self.now_ns {
            self.now_ns = timer.deadline_ns;
            self.clock_moves = self.clock_moves.wrapping_add(1);
            self.emit(
                EventKind::ClockAdvance {
                    now_ns: self.now_ns,
                    early,
                },
                timer.site.clone(),
            );
        }
        self.emit(
            EventKind::TimerFire {
                timer: timer.object,
            },
            timer.site,
        );
        if let Some(steps) = self.steps.as_deref_mut() {
            steps.in_natural_fire = false;
        }
        self.current = running;
        let slot = self.thread_mut(timer.thread);
        if timer.of_future {
            // A future's timer: it wakes its task waiting between polls, and only that wait.
            slot.future_timer_fired = true;
            if !slot.idle {
                return Some((timer.thread, None));
            }
        } else {
            slot.timer_fired = true;
        }
        let task = std::mem::replace(&mut slot.blocked, false).then_some(slot.task);
        Some((timer.thread, task))
    }
}

/// Arms a timer for the current thread (inside an execution).
pub(crate) fn arm_timer(duration: Duration, site: &Site) {
    with(|c| c.arm_timer(duration, site));
}

/// Arms a timer of a future for the current thread (a task), due at `deadline_ns`; returns its
/// object, by which [`timer_armed`] and [`cancel_timer`] know it. A thread may have any number
/// of these beside the timer of its timed wait.
pub(crate) fn arm_timer_until(deadline_ns: u64, site: &Site) -> Option<ObjectId> {
    with(|c| c.arm(deadline_ns, site, true))
}

/// Whether the timer `object` is still armed (it has neither fired nor been cancelled).
pub(crate) fn timer_armed(object: ObjectId) -> bool {
    with(|c| {
        if let Some(steps) = c.steps.as_deref_mut() {
            steps.footprint.read(super::Key::TIMERS);
        }
        c.timers.iter().any(|t| t.object == object)
    })
    .unwrap_or(false)
}

/// Removes the timer `object` if it is still armed (a future dropped before its deadline).
pub(crate) fn cancel_timer(object: ObjectId) {
    with(|c| {
        if let Some(i) = c.timers.iter().position(|t| t.object == object) {
            c.timers.remove(i);
            c.emit(EventKind::TimerCancel { timer: object }, Site::unknown());
        }
    });
}

/// Whether a timer of the current thread's futures fired since it last looked (and forgets it).
pub(crate) fn take_future_timer_fired() -> bool {
    with(|c| {
        let current = c.current;
        std::mem::replace(&mut c.thread_mut(current).future_timer_fired, false)
    })
    .unwrap_or(false)
}

/// Removes the current thread's timer: its wait ended another way.
pub(crate) fn disarm_timer() {
    with(|c| {
        let current = c.current;
        let mine = |t: &Timer| t.thread == current && !t.of_future;
        let cancelled: Vec<ObjectId> = c
            .timers
            .iter()
            .filter(|t| mine(t))
            .map(|t| t.object)
            .collect();
        c.timers.retain(|t| !mine(t));
        c.thread_mut(current).timer_fired = false;
        for timer in cancelled {
            c.emit(EventKind::TimerCancel { timer }, Site::unknown());
        }
    });
}

/// Whether the current thread's timer has fired (and forgets it).
pub(crate) fn take_timeout() -> bool {
    with(|c| {
        let current = c.current;
        std::mem::replace(&mut c.thread_mut(current).timer_fired, false)
    })
    .unwrap_or(false)
}

/// The current virtual time (0 outside an execution).
pub(crate) fn now_ns() -> u64 {
    with(|c| {
        if let Some(steps) = c.steps.as_deref_mut() {
            steps.footprint.read(super::Key::CLOCK);
        }
        c.now_ns
    })
    .unwrap_or(0)
}

/// Wakes an engine task made runnable by a timer.
pub(crate) fn wake_task(task: Option<usize>) {
    if let Some(task) = task {
        ExecutionState::with(|s| s.get_mut(TaskId::from(task)).unblock());
    }
}

/// At a scheduling point: asks the strategy whether to fire the next timer now, ahead of the
/// threads that could still run. The decision is recorded in the schedule.
#[inline]
pub(crate) fn maybe_fire_early() {
    // No timer armed (most scheduling points): nothing to ask.
    if with(|c| c.timers.is_empty()).unwrap_or(true) {
        return;
    }
    fire_early_while_asked(true);
}

/// At the scheduling point after the current thread blocked or exited: the same question, for
/// the strategies that ask it at every scheduling point (exhaustive ones, and replay); others
/// only ask where a thread switches, as they always have.
pub(crate) fn maybe_fire_early_elsewhere() {
    if with(|c| c.fire_everywhere).unwrap_or(false) {
        fire_early_while_asked(false);
    }
}

/// Asks, fires if told to; a strategy that asks everywhere is asked again after a fire (the
/// next timer may fire too, before any thread runs). `current_runs`: the current thread can
/// still run.
fn fire_early_while_asked(current_runs: bool) {
    loop {
        let asked = with(|c| {
            if c.stop.is_some() {
                return None;
            }
            // "Early" means ahead of a thread that could still run: one other than the timer's
            // owner. With no such thread, the timer fires naturally when its owner blocks, and
            // there is nothing to decide.
            let owner = c.next_timer().map(|i| c.timers[i].thread)?;
            let someone_else_runs = c.threads.iter().enumerate().any(|(i, t)| {
                let thread = ThreadId(i as u32);
                thread != owner
                    && !t.finished
                    && (!t.blocked || (current_runs && thread == c.current))
            });
            if someone_else_runs {
                c.scheduler.clone().map(|s| (s, c.fire_everywhere))
            } else {
                None
            }
        })
        .flatten();
        let Some((scheduler, again)) = asked else {
            return;
        };
        let fire = scheduler.borrow_mut().fire_early();
        if !fire {
            return;
        }
        let woken = with(|c| c.fire_next_timer(true)).flatten();
        if let Some((_, task)) = woken {
            wake_task(task);
        }
        if !again {
            return;
        }
    }
}
