//! The text report of a finding, in the style of ThreadSanitizer and lockdep: a headline, the
//! cycle or the waits, every edge or wait with its sites and thread, then the objects.

use std::fmt::{self, Write as _};

use crate::event::{LockMode, ObjectClass};
use crate::finding::{Detail, Finding, Hold, TimeoutCause, WaitTarget};
use crate::timing::format_ns;

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&render(self))
    }
}

/// Renders a finding as its multi-line text report (what `Display` prints).
pub fn render(finding: &Finding) -> String {
    let mut out = String::new();
    let o = &mut out;
    let thread = |i: usize| format!("`{}`", finding.threads[i].name);
    let object = |i: usize| finding.objects[i].label();
    // Modes only matter for RwLocks; a mutex is always exclusive.
    let moded = |i: usize, mode: LockMode| {
        let label = object(i);
        match (finding.objects[i].class, mode) {
            (ObjectClass::RwLock, LockMode::Shared) => format!("{label} (read)"),
            (ObjectClass::RwLock, LockMode::Exclusive) => format!("{label} (write)"),
            _ => label,
        }
    };
    let _ = writeln!(o, "{}", finding.headline);
    let _ = writeln!(o);
    match &finding.detail {
        Detail::LockCycle { edges } => {
            let mut cycle: Vec<String> = edges.iter().map(|e| object(e.held)).collect();
            if let Some(first) = edges.first() {
                cycle.push(object(first.held));
            }
            let _ = writeln!(o, "  cycle: {}", cycle.join(" → "));
            let _ = writeln!(o);
            for e in edges {
                let _ = writeln!(
                    o,
                    "  {} holds {}, acquired at {}",
                    thread(e.thread),
                    moded(e.held, e.held_mode),
                    e.held_at
                );
                let when = if e.execution == 0 {
                    "on real threads".to_owned()
                } else {
                    format!("execution {}, step {}", e.execution, e.step)
                };
                let _ = writeln!(
                    o,
                    "      and requests {} at {}  ({when})",
                    moded(e.requested, e.requested_mode),
                    e.requested_at,
                );
            }
            let _ = writeln!(o);
            if let [only] = edges.as_slice() {
                let _ = writeln!(
                    o,
                    "  If another thread queues to write {lock} while {t} holds it for reading, the \
                     second read waits behind the writer, and the writer waits for the first read.",
                    lock = object(only.held),
                    t = thread(only.thread)
                );
            } else {
                let _ = writeln!(
                    o,
                    "  No execution had to deadlock for this report: each edge was seen on its own. \
                     If each thread above holds its first lock at once, none gets its second."
                );
            }
        }
        Detail::SelfDeadlock {
            thread: t,
            lock,
            held_mode,
            held_at,
            requested_mode,
            requested_at,
        } => {
            let _ = writeln!(
                o,
                "  {} holds {}, acquired at {held_at}",
                thread(*t),
                moded(*lock, *held_mode)
            );
            let _ = writeln!(
                o,
                "      and requests {} at {requested_at}: it waits for itself forever",
                moded(*lock, *requested_mode)
            );
        }
        Detail::Deadlock { waits, running, .. } => {
            write_waits(o, finding, waits, false);
            if !running.is_empty() {
                let names: Vec<String> = running.iter().map(|&r| thread(r)).collect();
                let _ = writeln!(o, "  still running: {}", names.join(", "));
            }
        }
        Detail::MissedTimeout {
            cause,
            now_ns,
            waits,
            ..
        } => {
            match cause {
                TimeoutCause::CannotReturn {
                    condvar,
                    site,
                    waited_since_ns,
                    timed_out_at_ns,
                } => {
                    let _ = writeln!(
                        o,
                        "  the timed wait on {} at {site} began at {} and timed out at {}",
                        object(*condvar),
                        format_ns(*waited_since_ns),
                        format_ns(*timed_out_at_ns)
                    );
                    let _ = writeln!(
                        o,
                        "  to return it must get its mutex back, and whoever holds it never lets go:"
                    );
                }
                TimeoutCause::Deadline {
                    deadline_ns,
                    entered_ns,
                    site,
                } => {
                    let _ = writeln!(
                        o,
                        "  the block declared at {site} was entered at {} with a deadline of {}; it is now {}",
                        format_ns(*entered_ns),
                        format_ns(*deadline_ns),
                        format_ns(*now_ns)
                    );
                    let _ = writeln!(o, "  where the threads are:");
                }
                TimeoutCause::BlockedTooLong {
                    since_ns,
                    max_block_ns,
                } => {
                    let _ = writeln!(
                        o,
                        "  blocked since {}, now {}: longer than max_block ({})",
                        format_ns(*since_ns),
                        format_ns(*now_ns),
                        format_ns(*max_block_ns)
                    );
                }
            }
            write_waits(o, finding, waits, true);
        }
        Detail::DataRace {
            cell,
            first,
            second,
        } => {
            let access = |write: bool| if write { "write" } else { "read" };
            let _ = writeln!(
                o,
                "  {} by {} at {}  (step {})",
                access(first.write),
                thread(first.thread),
                first.site,
                first.step
            );
            let _ = writeln!(
                o,
                "  {} by {} at {}  (step {})",
                access(second.write),
                thread(second.thread),
                second.site,
                second.step
            );
            let _ = writeln!(
                o,
                "  No lock, channel, join or Release/Acquire pair orders these accesses to {}.",
                object(*cell)
            );
        }
        Detail::Livelock { running, .. } => {
            for r in running {
                let _ = writeln!(
                    o,
                    "  {} ran {} events, last at {}",
                    thread(r.thread),
                    r.events,
                    r.last_site
                );
            }
        }
        Detail::Panic { site, .. } => {
            let _ = writeln!(o, "  at {site}");
        }
    }
    if !finding.objects.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(o, "  objects:");
        let width = finding
            .objects
            .iter()
            .map(|ob| ob.label().chars().count())
            .max()
            .unwrap_or(0);
        for ob in &finding.objects {
            let _ = writeln!(
                o,
                "    {:width$}  {} created at {} by `{}`",
                ob.label(),
                ob.class.name(),
                ob.created_at,
                ob.created_by
            );
        }
    }
    let _ = writeln!(o);
    let steps = &finding.steps;
    if steps.execution == 0 {
        let _ = writeln!(o, "  on real threads; fingerprint {}", finding.fingerprint);
    } else {
        let _ = writeln!(
            o,
            "  execution {}, steps {}..={}; fingerprint {}",
            steps.execution, steps.first, steps.last, finding.fingerprint
        );
    }
    out
}

/// The waits of a deadlock or missed timeout: who waits for what, since where, who holds it.
fn write_waits(o: &mut String, finding: &Finding, waits: &[crate::finding::Wait], show_time: bool) {
    let thread = |i: usize| format!("`{}`", finding.threads[i].name);
    let object = |i: usize| finding.objects[i].label();
    let moded = |i: usize, mode: LockMode| moded_label(finding, i, mode);
    for w in waits {
        let what = match &w.target {
            WaitTarget::Lock { lock, mode } => moded(*lock, *mode),
            WaitTarget::Join { thread: j } => format!("{} to finish", thread(*j)),
            WaitTarget::Condvar { condvar } => {
                format!("a notification on {}", object(*condvar))
            }
            WaitTarget::Recv { channel } => format!("a message on {}", object(*channel)),
            WaitTarget::Send { channel } => format!("room on {}", object(*channel)),
            WaitTarget::Barrier { barrier } => {
                format!("the other parties of {}", object(*barrier))
            }
            WaitTarget::Once { once } => format!("the initialiser of {}", object(*once)),
            WaitTarget::Timer { until_ns } => format!("its timer, due at {}", format_ns(*until_ns)),
            WaitTarget::Park => "an unpark".to_owned(),
        };
        if show_time {
            let _ = writeln!(
                o,
                "  {} waits for {what}, since {} (step {}, {})",
                thread(w.thread),
                w.site,
                w.since_step,
                format_ns(w.since_ns)
            );
        } else if finding.steps.execution == 0 {
            let _ = writeln!(
                o,
                "  {} waits for {what}, since {}",
                thread(w.thread),
                w.site
            );
        } else {
            let _ = writeln!(
                o,
                "  {} waits for {what}, since {} (step {})",
                thread(w.thread),
                w.site,
                w.since_step
            );
        }
        for h in &w.held_by {
            let _ = writeln!(
                o,
                "      held by {}, acquired at {}",
                thread(h.thread),
                h.acquired_at
            );
        }
        let holding: Vec<String> = w
            .holding
            .iter()
            .map(|h: &Hold| format!("{} (acquired at {})", moded(h.lock, h.mode), h.acquired_at))
            .collect();
        if !holding.is_empty() {
            let _ = writeln!(o, "      while holding {}", holding.join(", "));
        }
        if let Some(note) = &w.note {
            let _ = writeln!(o, "      note: {note}");
        }
    }
}

fn moded_label(finding: &Finding, i: usize, mode: LockMode) -> String {
    let label = finding.objects[i].label();
    match (finding.objects[i].class, mode) {
        (ObjectClass::RwLock, LockMode::Shared) => format!("{label} (read)"),
        (ObjectClass::RwLock, LockMode::Exclusive) => format!("{label} (write)"),
        _ => label,
    }
}
