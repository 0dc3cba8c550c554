//! Realized deadlocks (wait-for), livelocks and panics: what ends an execution badly.
//!
//! A thread waiting for a lock is blocked by the holders whose mode conflicts with its request
//! and, for a read request, by queued writers (a writer-preferring RwLock lets no new reader in
//! while a writer waits). A thread joining another is blocked by it. If these "blocked by"
//! edges close a cycle among untimed waits, no thread in it can ever proceed: a deadlock, found
//! the moment the last request of the cycle is announced (a join, when the events record blocks,
//! the moment its thread blocks: see `DetectorConfig::blocks_recorded`), even while other
//! threads still run (a *partial* deadlock, which shuttle would only see once everything else
//! had finished).

use crate::detector::Detector;
use crate::event::{Attempt, Event, LockMode, MemoryError};
use crate::finding::{Detail, Hold, Kind, Running, StepRange, Wait, WaitTarget};
use crate::fingerprint::FindingBuilder;
use crate::site::Site;
use crate::state::PendingOp;

/// The threads a wait depends on: a join's or a `Once`'s one thread (or none) needs no
/// allocation.
enum Blockers {
    One(Option<usize>),
    Many(Vec<usize>),
}

impl Blockers {
    fn as_slice(&self) -> &[usize] {
        match self {
            Blockers::One(one) => one.as_slice(),
            Blockers::Many(many) => many,
        }
    }
}

impl Detector {
    /// The threads that `t`'s pending wait definitely depends on. Waits that can end on their
    /// own (timed, try) or that no particular thread ends (condvar, channel, …) have none.
    fn blockers(&self, t: usize) -> Blockers {
        let Some(pending) = &self.threads[t].pending else {
            return Blockers::One(None);
        };
        if self.threads[t].timer.is_some() {
            // A task whose future also waits for a timer (a `select!` or `timeout` around
            // the wait): the timer may end it.
            return Blockers::One(None);
        }
        match pending.op {
            PendingOp::Lock {
                lock,
                mode,
                attempt: Attempt::Blocking,
            } => {
                let Some(object) = self.objects[lock.index()].as_ref() else {
                    return Blockers::One(None);
                };
                let mut blockers: Vec<usize> = object
                    .holders
                    .iter()
                    .filter(|&&(h, m)| h.index() != t && m.conflicts_with(mode))
                    .map(|&(h, _)| h.index())
                    .collect();
                if mode == LockMode::Shared {
                    let queued_writers = self.threads.iter().enumerate().filter(|(w, thread)| {
                        *w != t
                            && thread.alive
                            && matches!(thread.pending.as_ref().map(|p| p.op), Some(PendingOp::Lock { lock: l, mode: LockMode::Exclusive, attempt: Attempt::Blocking }) if l == lock)
                    });
                    blockers.extend(queued_writers.map(|(w, _)| w));
                }
                Blockers::Many(blockers)
            }
            // A join not yet blocked on may still be ended in the same poll (a timer armed by
            // another arm of its `select!`): definite once its thread blocks.
            PendingOp::Join { child }
                if self.threads[child.index()].alive
                    && (!self.config.blocks_recorded
                        || self.threads[t].blocked_since.is_some()) =>
            {
                Blockers::One(Some(child.index()))
            }
            PendingOp::Once { once } => Blockers::One(
                self.objects[once.index()]
                    .as_ref()
                    .and_then(|o| o.runner)
                    .filter(|r| r.index() != t && self.threads[r.index()].alive)
                    .map(|r| r.index()),
            ),
            _ => Blockers::One(None),
        }
    }

    /// After `event` announced a wait: does it close a cycle of definite waits?
    pub(crate) fn check_wait_cycle(&mut self, event: &Event) {
        if self.deadlock_reported {
            return;
        }
        let start = event.thread.index();
        // Common case first: no blocker is itself waiting, so there is no cycle.
        let blockers = self.blockers(start);
        if blockers
            .as_slice()
            .iter()
            .all(|&b| self.threads[b].pending.is_none())
        {
            return;
        }
        let mut path = vec![start];
        let mut visited = vec![false; self.threads.len()];
        if let Some(cycle) = self.find_cycle(start, &mut path, &mut visited) {
            if self.report_cannot_return(event, &cycle) {
                return;
            }
            // The cycle closed with the latest of its waits' announcements (a join judged when
            // its thread blocked was announced before).
            let last = cycle
                .iter()
                .filter_map(|&t| self.threads[t].pending.as_ref().map(|p| p.step))
                .max()
                .unwrap_or(event.step)
                .min(event.step);
            let anchor = Event {
                step: last,
                ..event.clone()
            };
            let finding = self.deadlock_finding(&anchor, &cycle, true);
            self.deadlock_reported = true;
            self.findings.push(finding);
        }
    }

    fn find_cycle(
        &self,
        start: usize,
        path: &mut Vec<usize>,
        visited: &mut [bool],
    ) -> Option<Vec<usize>> {
        let current = *path.last().expect("path starts non-empty");
        visited[current] = true;
        for &next in self.blockers(current).as_slice() {
            if next == start {
                return Some(path.clone());
            }
            if !visited[next] {
                path.push(next);
                if let Some(cycle) = self.find_cycle(start, path, visited) {
                    return Some(cycle);
                }
                path.pop();
            }
        }
        None
    }

    /// A deadlock finding for the waits of `threads` (a cycle, or every blocked thread).
    fn deadlock_finding(&self, event: &Event, threads: &[usize], cycle: bool) -> crate::Finding {
        let mut builder = FindingBuilder::new();
        let mut first = event.step;
        let waits = self.describe_waits(&mut builder, threads, &mut first);
        self.finish_deadlock(event, builder, waits, first, threads, cycle)
    }

    /// What each of `threads` waits for (threads with no pending wait are skipped); lowers
    /// `first` to the earliest step a wait began.
    pub(crate) fn describe_waits(
        &self,
        builder: &mut FindingBuilder,
        threads: &[usize],
        first: &mut u64,
    ) -> Vec<Wait> {
        let mut waits = Vec::new();
        for &t in threads {
            let state = &self.threads[t];
            let Some(pending) = &state.pending else {
                // No pending operation, but an armed timer: the thread sleeps.
                if let Some(timer) = &state.timer {
                    waits.push(Wait {
                        thread: builder.thread(&self.check.identities, state.stable),
                        target: WaitTarget::Timer {
                            until_ns: timer.deadline_ns,
                        },
                        site: timer.site.clone(),
                        since_step: timer.step,
                        since_ns: timer.armed_ns,
                        holding: self.holds_of(builder, t),
                        held_by: Vec::new(),
                        note: None,
                    });
                }
                continue;
            };
            *first = (*first).min(pending.step);
            let thread = builder.thread(&self.check.identities, state.stable);
            let mut note = None;
            let mut held_by = Vec::new();
            let target = match pending.op {
                PendingOp::Lock { lock, mode, .. } => {
                    let object = self.objects[lock.index()]
                        .as_ref()
                        .expect("pending on a known lock");
                    for &(holder, held_mode) in &object.holders {
                        let holder_state = &self.threads[holder.index()];
                        if let Some(held) = holder_state.holds(lock) {
                            held_by.push(Hold {
                                thread: builder.thread(&self.check.identities, holder_state.stable),
                                lock: builder.object(&self.check.identities, object.stable),
                                mode: held_mode,
                                acquired_at: held.site.clone(),
                            });
                        }
                    }
                    if held_by.is_empty() && mode == LockMode::Shared {
                        note = Some("a queued writer is ahead of this read request".to_owned());
                    }
                    WaitTarget::Lock {
                        lock: builder.object(&self.check.identities, object.stable),
                        mode,
                    }
                }
                PendingOp::Join { child } => WaitTarget::Join {
                    thread: builder
                        .thread(&self.check.identities, self.threads[child.index()].stable),
                },
                PendingOp::Condvar { condvar, .. } => {
                    let object = self.objects[condvar.index()]
                        .as_ref()
                        .expect("known condvar");
                    if let Some(site) = &object.unheard_notify {
                        note = Some(format!("notified at {site} before anyone waited"));
                    } else if let Some((site, step, woken)) = &object.last_woke {
                        // The last notification went to another thread.
                        let me = self.threads[t].stable;
                        if *woken != me {
                            let (woken, me) = (
                                &self.check.identities.thread(*woken).name,
                                &self.check.identities.thread(me).name,
                            );
                            note = Some(if *step < pending.step {
                                format!("notified at {site}, which woke `{woken}`, before `{me}` waited")
                            } else {
                                format!(
                                    "notified at {site}, which woke `{woken}`; `{me}` was waiting \
                                     too, and no notification came for it"
                                )
                            });
                        }
                    }
                    WaitTarget::Condvar {
                        condvar: builder.object(&self.check.identities, object.stable),
                    }
                }
                PendingOp::Recv { channel, .. } => WaitTarget::Recv {
                    channel: builder.object(&self.check.identities, self.stable_object(channel)),
                },
                PendingOp::Send { channel } => WaitTarget::Send {
                    channel: builder.object(&self.check.identities, self.stable_object(channel)),
                },
                PendingOp::Barrier { barrier } => WaitTarget::Barrier {
                    barrier: builder.object(&self.check.identities, self.stable_object(barrier)),
                },
                PendingOp::Once { once } => {
                    let object = self.objects[once.index()].as_ref().expect("known once");
                    if let Some(runner) = object.runner {
                        let runner = &self.threads[runner.index()];
                        note = Some(format!(
                            "its initialiser is running in `{}`",
                            self.check.identities.thread(runner.stable).name
                        ));
                    }
                    WaitTarget::Once {
                        once: builder.object(&self.check.identities, object.stable),
                    }
                }
                PendingOp::Park { .. } => WaitTarget::Park,
                PendingOp::Async { object } => WaitTarget::Async {
                    object: builder.object(&self.check.identities, self.stable_object(object)),
                },
                PendingOp::LostWaker => {
                    note = Some(
                        "its future returned Pending, and no clone of its waker remains: nothing can poll it again"
                            .to_owned(),
                    );
                    WaitTarget::LostWaker
                }
            };
            let holding = self.holds_of(builder, t);
            waits.push(Wait {
                thread,
                target,
                site: pending.site.clone(),
                since_step: pending.step,
                since_ns: pending.since_ns,
                holding,
                held_by,
                note,
            });
        }
        waits
    }

    fn finish_deadlock(
        &self,
        event: &Event,
        mut builder: FindingBuilder,
        waits: Vec<Wait>,
        first: u64,
        threads: &[usize],
        cycle: bool,
    ) -> crate::Finding {
        let running: Vec<usize> = if cycle {
            self.threads
                .iter()
                .enumerate()
                .filter(|(t, s)| s.alive && !threads.contains(t))
                .map(|(_, s)| s.stable)
                .collect::<Vec<_>>()
                .into_iter()
                .map(|stable| builder.thread(&self.check.identities, stable))
                .collect()
        } else {
            Vec::new()
        };
        let partial = !running.is_empty();
        let lost_waker = threads.len() == 1
            && matches!(
                self.threads[threads[0]].pending.as_ref().map(|p| p.op),
                Some(PendingOp::LostWaker)
            );
        let headline = match (cycle, partial, threads.len()) {
            _ if lost_waker => format!(
                "deadlock: lost waker: `{}` can never be polled again",
                self.check
                    .identities
                    .thread(self.threads[threads[0]].stable)
                    .name
            ),
            (true, _, 1) => "deadlock: a thread waits for itself".to_owned(),
            (true, false, n) => format!("deadlock: {n} threads wait for each other"),
            (true, true, n) => {
                format!("deadlock: {n} threads wait for each other while other threads still run")
            }
            (false, _, 1) => "deadlock: the only live thread is blocked".to_owned(),
            (false, _, n) => format!("deadlock: all {n} live threads are blocked"),
        };
        builder.finish(
            Kind::Deadlock,
            headline,
            StepRange {
                execution: self.execution,
                first,
                last: event.step,
            },
            Detail::Deadlock {
                waits,
                partial,
                running,
                predicted: None,
            },
        )
    }

    /// What thread `t` waits for, in a few words (`mutex@lib.rs:3`, `a message on …`).
    pub(crate) fn pending_description(&self, t: usize) -> String {
        let label = |object: crate::ObjectId| {
            self.check
                .identities
                .object(self.stable_object(object))
                .label()
        };
        match self.threads[t].pending.as_ref().map(|p| p.op) {
            Some(PendingOp::Lock { lock, .. }) => label(lock),
            Some(PendingOp::Join { child }) => format!(
                "`{}` to finish",
                self.check
                    .identities
                    .thread(self.threads[child.index()].stable)
                    .name
            ),
            Some(PendingOp::Condvar { condvar, .. }) => {
                format!("a notification on {}", label(condvar))
            }
            Some(PendingOp::Recv { channel, .. }) => format!("a message on {}", label(channel)),
            Some(PendingOp::Send { channel }) => format!("room on {}", label(channel)),
            Some(PendingOp::Barrier { barrier }) => {
                format!("the other parties of {}", label(barrier))
            }
            Some(PendingOp::Once { once }) => format!("the initialiser of {}", label(once)),
            Some(PendingOp::Park { .. }) => "an unpark".to_owned(),
            Some(PendingOp::Async { object }) => format!("a wake from {}", label(object)),
            Some(PendingOp::LostWaker) => "a wake that cannot come".to_owned(),
            None => "nothing".to_owned(),
        }
    }

    /// The locks thread `t` holds, as `Hold`s of a finding.
    fn holds_of(&self, builder: &mut FindingBuilder, t: usize) -> Vec<Hold> {
        let state = &self.threads[t];
        let thread = builder.thread(&self.check.identities, state.stable);
        state
            .held
            .iter()
            .map(|h| Hold {
                thread,
                lock: builder.object(&self.check.identities, h.stable),
                mode: h.mode,
                acquired_at: h.site.clone(),
            })
            .collect()
    }

    fn stable_object(&self, object: crate::ObjectId) -> u32 {
        self.objects[object.index()]
            .as_ref()
            .expect("pending on a known object")
            .stable
    }

    /// A task's future waits on a semaphore, notify or runtime.
    pub(crate) fn async_wait(
        &mut self,
        event: &Event,
        object: crate::event::ObjectId,
    ) -> Result<(), crate::error::EventError> {
        self.async_object(event.step, object)?;
        if self.objects[object.index()]
            .as_ref()
            .is_some_and(|o| o.class == crate::event::ObjectClass::Runtime)
        {
            let thread = &mut self.threads[event.thread.index()];
            thread.before_worker = thread.pending.take();
        }
        self.set_pending(event, PendingOp::Async { object });
        Ok(())
    }

    /// The wait of `async_wait` ended.
    pub(crate) fn async_ready(
        &mut self,
        event: &Event,
        object: crate::event::ObjectId,
    ) -> Result<(), crate::error::EventError> {
        self.async_object(event.step, object)?;
        self.end_future_hold(event.thread.index(), object);
        let thread = &mut self.threads[event.thread.index()];
        // A worker got: the task polls, and is in the wait it was woken from until the poll
        // ends it (an acquisition, a receipt, a new wait).
        thread.pending = thread.before_worker.take();
        Ok(())
    }

    fn async_object(
        &self,
        step: u64,
        object: crate::event::ObjectId,
    ) -> Result<(), crate::error::EventError> {
        use crate::event::ObjectClass as C;
        let class = self
            .objects
            .get(object.index())
            .and_then(Option::as_ref)
            .map(|o| o.class);
        match class {
            Some(C::Semaphore | C::Notify | C::Runtime) => Ok(()),
            Some(found) => Err(crate::error::EventError::WrongClass {
                step,
                object,
                expected: "semaphore, notify or runtime",
                found,
            }),
            None => Err(crate::error::EventError::UnknownObject { step, object }),
        }
    }

    /// A task's future returned `Pending` holding the sync lock `lock`: reported once per lock
    /// and site (a potential deadlock; the execution goes on).
    pub(crate) fn await_holding(
        &mut self,
        event: &Event,
        lock: crate::event::ObjectId,
    ) -> Result<(), crate::error::EventError> {
        self.object(event.step, lock, crate::event::ObjectClass::Mutex)?;
        let t = &self.threads[event.thread.index()];
        let Some(held) = t.held.iter().rev().find(|h| h.lock == lock) else {
            return Ok(());
        };
        let mut builder = FindingBuilder::new();
        let thread = builder.thread(&self.check.identities, t.stable);
        let object = builder.object(&self.check.identities, held.stable);
        let headline = format!(
            "await while holding a lock: `{}` waits at an .await holding {}",
            self.check.identities.thread(t.stable).name,
            self.check.identities.object(held.stable).label()
        );
        let finding = builder.finish(
            crate::finding::Kind::PotentialDeadlock,
            headline,
            StepRange {
                execution: self.execution,
                first: event.step,
                last: event.step,
            },
            Detail::AwaitHolding {
                thread,
                lock: object,
                held_at: held.site.clone(),
                awaited_at: event.site.clone(),
            },
        );
        self.findings.push(finding);
        Ok(())
    }

    /// A task can never be polled again: a deadlock of that task alone, reported at once.
    pub(crate) fn lost_waker(&mut self, event: &Event) {
        self.set_pending(event, PendingOp::LostWaker);
        if self.deadlock_reported {
            return;
        }
        let finding = self.deadlock_finding(event, &[event.thread.index()], true);
        self.deadlock_reported = true;
        self.findings.push(finding);
    }

    /// The engine found no runnable thread.
    pub(crate) fn stuck(&mut self, event: &Event) {
        if self.deadlock_reported {
            return;
        }
        // The thread that found no other to run blocks too: its join is judged now (see
        // `DetectorConfig::blocks_recorded`), and a cycle is reported as one.
        let t = event.thread.index();
        if self.config.blocks_recorded && self.threads[t].pending.is_some() {
            let since = self.threads[t].blocked_since.replace(self.now_ns);
            self.check_wait_cycle(event);
            self.threads[t].blocked_since = since;
            if self.deadlock_reported {
                return;
            }
        }
        let blocked: Vec<usize> = self
            .threads
            .iter()
            .enumerate()
            .filter(|(_, t)| t.alive && t.pending.is_some())
            .map(|(i, _)| i)
            .collect();
        if self.report_cannot_return(event, &blocked) || self.report_futurelock(event, &blocked) {
            return;
        }
        let finding = self.deadlock_finding(event, &blocked, false);
        self.deadlock_reported = true;
        self.findings.push(finding);
    }

    /// The execution hit its step bound. The threads that kept it going are those alive, not
    /// blocked, and not waiting for something only another thread can give (a join, a condvar,
    /// a message, a barrier, an unpark): a thread between a lock request and its acquisition is
    /// spinning through that lock as far as anyone can tell.
    pub(crate) fn step_limit(&mut self, event: &Event, max_steps: u64) {
        let mut builder = FindingBuilder::new();
        let recent = event.step.saturating_sub((event.step / 4).max(20)).max(1);
        let spinning: Vec<&crate::state::ThreadState> = self
            .threads
            .iter()
            .filter(|t| {
                let waiting = matches!(
                    t.pending.as_ref().map(|p| p.op),
                    Some(
                        PendingOp::Join { .. }
                            | PendingOp::Condvar { .. }
                            | PendingOp::Recv { .. }
                            | PendingOp::Send { .. }
                            | PendingOp::Barrier { .. }
                            | PendingOp::Once { .. }
                            | PendingOp::Park { .. }
                            | PendingOp::Async { .. }
                            | PendingOp::LostWaker
                    )
                );
                t.alive && !waiting && t.blocked_since.is_none()
            })
            .map(|t| &**t)
            .collect();
        let running: Vec<Running> = spinning
            .iter()
            .map(|t| Running {
                thread: builder.thread(&self.check.identities, t.stable),
                events: t.events,
                last_site: t.last_site.clone(),
            })
            .collect();
        let names: Vec<String> = spinning
            .iter()
            .map(|t| format!("`{}`", self.check.identities.thread(t.stable).name))
            .collect();
        let finding = builder.finish(
            Kind::Livelock,
            format!(
                "livelock: {} kept running for {max_steps} scheduling decisions without progress",
                names.join(", ")
            ),
            StepRange {
                execution: self.execution,
                first: recent,
                last: event.step,
            },
            Detail::Livelock { max_steps, running },
        );
        self.findings.push(finding);
    }

    /// A thread of the scenario panicked.
    pub(crate) fn panic(&mut self, event: &Event, message: &str, backtrace: Option<&str>) {
        let mut builder = FindingBuilder::new();
        let stable = self.threads[event.thread.index()].stable;
        let thread = builder.thread(&self.check.identities, stable);
        let finding = builder.finish(
            Kind::Panic,
            format!(
                "panic in thread `{}`: {message}",
                self.check.identities.thread(stable).name
            ),
            StepRange {
                execution: self.execution,
                first: event.step,
                last: event.step,
            },
            Detail::Panic {
                thread,
                message: message.to_owned(),
                site: event.site.clone(),
                backtrace: backtrace.map(str::to_owned),
            },
        );
        self.findings.push(finding);
    }

    /// A memory error on a block from interleave's `alloc`.
    pub(crate) fn memory_error(
        &mut self,
        event: &Event,
        error: MemoryError,
        size: u64,
        freed_at: Option<&Site>,
    ) {
        let mut builder = FindingBuilder::new();
        let stable = self.threads[event.thread.index()].stable;
        let thread = builder.thread(&self.check.identities, stable);
        let name = &self.check.identities.thread(stable).name;
        let headline = match (error, freed_at) {
            (MemoryError::Leak, _) | (_, None) => format!(
                "{}: {size} bytes allocated at {} were never freed",
                error.name(),
                event.site
            ),
            (_, Some(freed)) => format!(
                "{} in thread `{name}`: a block of {size} bytes freed at {freed}",
                error.name()
            ),
        };
        let finding = builder.finish(
            Kind::MemoryError,
            headline,
            StepRange {
                execution: self.execution,
                first: event.step,
                last: event.step,
            },
            Detail::MemoryError {
                thread,
                error,
                size,
                site: event.site.clone(),
                freed_at: freed_at.cloned(),
            },
        );
        self.findings.push(finding);
    }
}

#[cfg(test)]
mod tests {
    use crate::event::{EventKind, ObjectClass};
    use crate::{Detector, DetectorConfig, Kind, TraceBuilder};

    /// Two threads join each other: `a` announces its join of `b`, then (with `timer`) arms a
    /// timer in the same poll, then blocks; `b` announces its join of `a` and blocks.
    fn join_cycle(timer: bool) -> TraceBuilder {
        let mut trace = TraceBuilder::new();
        let main = trace.main();
        let a = trace.spawn(main);
        let b = trace.spawn(main);
        let clock = trace.object(a, ObjectClass::Timer);
        trace.event(a, EventKind::JoinRequest { child: b });
        // `b` runs between `a`'s two arms: its join closes the cycle while `a` has no timer.
        trace.event(b, EventKind::JoinRequest { child: a });
        trace.event(b, EventKind::Block);
        if timer {
            trace.event(
                a,
                EventKind::TimerArm {
                    timer: clock,
                    deadline_ns: 1_000_000,
                },
            );
        }
        trace.event(a, EventKind::Block);
        trace
    }

    fn findings(trace: &TraceBuilder, blocks_recorded: bool) -> Vec<(Kind, u64)> {
        let mut detector = Detector::new(DetectorConfig {
            blocks_recorded,
            ..DetectorConfig::default()
        });
        detector.begin_execution(1);
        let mut found = Vec::new();
        for event in trace.events() {
            detector.observe(&event).unwrap();
            found.extend(
                detector
                    .take_findings()
                    .iter()
                    .map(|f| (f.kind(), event.step)),
            );
        }
        found
    }

    #[test]
    fn a_join_is_judged_when_its_thread_blocks_if_the_events_record_blocks() {
        // Steps: 1–2 spawns, 3 the timer's creation, 4 `a`'s join, 5 `b`'s join, 6 `b` blocks,
        // then (7 the timer,) `a` blocks.
        // Blocks recorded: the timer armed in `a`'s poll ends its wait, so no deadlock; without
        // the timer, the cycle is reported when `a` blocks (step 7).
        assert_eq!(findings(&join_cycle(true), true), []);
        assert_eq!(findings(&join_cycle(false), true), [(Kind::Deadlock, 7)]);
        // A trace without blocks (written by hand): judged when announced, at `b`'s join.
        assert_eq!(findings(&join_cycle(true), false), [(Kind::Deadlock, 5)]);
        assert_eq!(findings(&join_cycle(false), false), [(Kind::Deadlock, 5)]);
    }

    #[test]
    fn a_join_cycle_judged_late_still_ends_at_its_last_announcement() {
        let mut detector = Detector::new(DetectorConfig {
            blocks_recorded: true,
            ..DetectorConfig::default()
        });
        detector.begin_execution(1);
        for event in join_cycle(false).events() {
            detector.observe(&event).unwrap();
        }
        let finding = &detector.findings()[0];
        // From `a`'s join (step 4) to `b`'s (step 5), the later announcement, as when it was
        // judged at once.
        assert_eq!((finding.steps.first, finding.steps.last), (4, 5));
    }
}
