//! Virtual time: declared deadlines, waits longer than `max_block`, and timed waits that timed
//! out but cannot return.
//!
//! Time advances only when the harness fires a timer (`clock_advance`), so every check here is
//! made at an advance: a deadline is missed when time passes it with its block unfinished, and
//! a wait is too long when time passes its start plus the bound while the thread is still
//! blocked. Only time the program waited for counts: an advance caused by a timer fired early
//! models a scheduling delay (threads could have run and did not), so it moves every deadline
//! and wait in progress by as much — otherwise any deadline could be "missed" by a slow enough
//! scheduler, and a deadline that spans one would stop counting at all. A timed condvar wait whose timer fired but whose mutex is held by a thread that is
//! stuck for good is found where deadlocks are (a stuck execution or a wait-for cycle), and
//! reported as the missed timeout it is.

use crate::detector::Detector;
use crate::event::{Attempt, Event};
use crate::finding::{Detail, Kind, StepRange, TimeoutCause};
use crate::fingerprint::FindingBuilder;
use crate::state::{Deadline, PendingOp};

/// `1.5ms`, `10ms`, `2s`: virtual times in reports.
pub(crate) fn format_ns(ns: u64) -> String {
    let (value, unit) = if ns >= 1_000_000_000 {
        (ns as f64 / 1e9, "s")
    } else if ns >= 1_000_000 {
        (ns as f64 / 1e6, "ms")
    } else if ns >= 1_000 {
        (ns as f64 / 1e3, "µs")
    } else {
        return format!("{ns}ns");
    };
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}{unit}")
}

impl Detector {
    pub(crate) fn block(&mut self, event: &Event) {
        let now = self.now_ns;
        let t = event.thread.index();
        self.threads[t].blocked_since = Some(now);
        // A join is judged now that its thread blocks (see `DetectorConfig::blocks_recorded`).
        if self.config.blocks_recorded
            && matches!(
                self.threads[t].pending.as_ref().map(|p| p.op),
                Some(crate::state::PendingOp::Join { .. })
            )
        {
            self.check_wait_cycle(event);
        }
    }

    pub(crate) fn deadline_enter(&mut self, event: &Event, deadline_ns: u64) {
        let now = self.now_ns;
        self.threads[event.thread.index()].deadlines.push(Deadline {
            declared_ns: deadline_ns,
            deadline_ns,
            entered_ns: now,
            site: event.site.clone(),
            step: event.step,
            reported: false,
        });
    }

    pub(crate) fn deadline_exit(&mut self, event: &Event) {
        self.threads[event.thread.index()].deadlines.pop();
    }

    pub(crate) fn clock_advance(&mut self, event: &Event, now_ns: u64, early: bool) {
        let delay = now_ns.saturating_sub(self.now_ns);
        self.now_ns = self.now_ns.max(now_ns);
        let now = self.now_ns;
        if early {
            // A scheduling delay: it does not count against deadlines or waits in progress.
            for thread in &mut self.threads {
                for deadline in &mut thread.deadlines {
                    deadline.deadline_ns = deadline.deadline_ns.saturating_add(delay);
                }
                if let Some(since) = &mut thread.blocked_since {
                    *since = since.saturating_add(delay);
                }
            }
            return;
        }
        // Declared deadlines that time has passed.
        let mut missed = Vec::new();
        // Deadlines of threads that have exited still count: `Config::deadline` is entered by
        // main and covers the threads that outlive it.
        for (t, thread) in self.threads.iter_mut().enumerate() {
            for deadline in &mut thread.deadlines {
                if !deadline.reported && now > deadline.deadline_ns {
                    deadline.reported = true;
                    missed.push((t, deadline.clone()));
                }
            }
        }
        for (t, deadline) in missed {
            let cause = |_: &mut FindingBuilder, _: &_| TimeoutCause::Deadline {
                deadline_ns: deadline.declared_ns,
                entered_ns: deadline.entered_ns,
                site: deadline.site.clone(),
            };
            let headline = format!(
                "missed timeout: `{}` passed its deadline of {} (declared at {}) at {}",
                self.thread_name(t),
                format_ns(deadline.declared_ns),
                deadline.site,
                format_ns(now)
            );
            self.missed_timeout(event, t, deadline.step, headline, cause, None);
        }
        // Waits without a timeout that have lasted too long.
        let Some(max_block_ns) = self.config.max_block_ns else {
            return;
        };
        let mut too_long = Vec::new();
        for (t, thread) in self.threads.iter_mut().enumerate() {
            let Some(since) = thread.blocked_since else {
                continue;
            };
            let untimed = match thread.pending.as_ref().map(|p| p.op) {
                Some(PendingOp::Lock { attempt, .. }) => attempt == Attempt::Blocking,
                Some(PendingOp::Condvar { timed, .. }) => !timed,
                Some(PendingOp::Recv { bounded, .. }) => !bounded,
                Some(PendingOp::Park { timed }) => !timed,
                Some(_) => true,
                None => false,
            };
            if thread.alive && untimed && !thread.max_block_reported && now - since > max_block_ns {
                thread.max_block_reported = true;
                too_long.push((t, since));
            }
        }
        for (t, since) in too_long {
            let step = self.threads[t]
                .pending
                .as_ref()
                .map_or(event.step, |p| p.step);
            let what = self.pending_description(t);
            let headline = format!(
                "missed timeout: `{}` waited for {what} for {} without a timeout (max_block {})",
                self.thread_name(t),
                format_ns(now - since),
                format_ns(max_block_ns)
            );
            let cause = |_: &mut FindingBuilder, _: &_| TimeoutCause::BlockedTooLong {
                since_ns: since,
                max_block_ns,
            };
            self.missed_timeout(event, t, step, headline, cause, None);
        }
    }

    fn thread_name(&self, t: usize) -> String {
        self.check
            .identities
            .thread(self.threads[t].stable)
            .name
            .clone()
    }

    /// A missed-timeout finding for thread `t`, with where every blocked thread is.
    fn missed_timeout(
        &mut self,
        event: &Event,
        t: usize,
        first: u64,
        headline: String,
        cause: impl FnOnce(&mut FindingBuilder, &crate::identity::Identities) -> TimeoutCause,
        others: Option<&[usize]>,
    ) {
        let mut builder = FindingBuilder::new();
        let thread = builder.thread(&self.check.identities, self.threads[t].stable);
        let cause = cause(&mut builder, &self.check.identities);
        let mut involved: Vec<usize> = vec![t];
        match others {
            Some(others) => involved.extend(others.iter().copied().filter(|&o| o != t)),
            None => involved.extend((0..self.threads.len()).filter(|&o| {
                let other = &self.threads[o];
                o != t && other.alive && (other.pending.is_some() || other.timer.is_some())
            })),
        }
        let mut first = first;
        let waits = self.describe_waits(&mut builder, &involved, &mut first);
        let finding = builder.finish(
            Kind::MissedTimeout,
            headline,
            StepRange {
                execution: self.execution,
                first,
                last: event.step,
            },
            Detail::MissedTimeout {
                thread,
                cause,
                now_ns: self.now_ns,
                waits,
            },
        );
        self.findings.push(finding);
    }

    /// For a stuck execution or a wait-for cycle among `threads`: a thread whose timed wait
    /// timed out but cannot get its mutex back makes it a missed timeout rather than a plain
    /// deadlock. Returns whether it reported one.
    pub(crate) fn report_cannot_return(&mut self, event: &Event, threads: &[usize]) -> bool {
        let Some(&t) = threads.iter().find(|&&t| {
            self.threads[t].timed_out.is_some()
                && matches!(
                    self.threads[t].pending.as_ref().map(|p| p.op),
                    Some(PendingOp::Lock { .. })
                )
        }) else {
            return false;
        };
        let timed_out = self.threads[t].timed_out.clone().expect("checked above");
        let condvar_stable = self.objects[timed_out.condvar.index()]
            .as_ref()
            .expect("a known condvar")
            .stable;
        let headline = format!(
            "missed timeout: `{}`'s timed wait timed out at {} but cannot return: its mutex is never released",
            self.thread_name(t),
            format_ns(timed_out.at_ns)
        );
        let first = self.threads[t]
            .pending
            .as_ref()
            .map_or(event.step, |p| p.step);
        let cause = |builder: &mut FindingBuilder, identities: &_| TimeoutCause::CannotReturn {
            condvar: builder.object(identities, condvar_stable),
            site: timed_out.site.clone(),
            waited_since_ns: timed_out.waited_since_ns,
            timed_out_at_ns: timed_out.at_ns,
        };
        self.missed_timeout(event, t, first, headline, cause, Some(threads));
        self.deadlock_reported = true;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::format_ns;

    #[test]
    fn virtual_times_read_naturally() {
        assert_eq!(format_ns(0), "0ns");
        assert_eq!(format_ns(1_500), "1.5µs");
        assert_eq!(format_ns(10_000_000), "10ms");
        assert_eq!(format_ns(1_250_000), "1.25ms");
        assert_eq!(format_ns(2_000_000_000), "2s");
    }
}
