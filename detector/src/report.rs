//! The text report of a finding, in the style of ThreadSanitizer and lockdep: a headline, the
//! cycle or the waits, every edge or wait with its sites and thread, then the objects.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use crate::event::{LockMode, MemoryError, ObjectClass};
use crate::finding::{Detail, Finding, Hold, TimeoutCause, WaitTarget};
use crate::site::Site;
use crate::timing::format_ns;

/// `text` made safe to print on one line of a terminal: control characters (newlines and tabs
/// too) and the Unicode controls that reorder text are written as Rust escapes (`\u{1b}`,
/// `\n`), so that a name read from a file cannot move the cursor, clear the screen or start a
/// line of its own.
///
/// # Examples
///
/// ```
/// use interleave_detector::printable_line;
///
/// assert_eq!(printable_line("worker"), "worker");
/// assert_eq!(printable_line("\x1b[2Jok\r\n"), "\\u{1b}[2Jok\\r\\n");
/// ```
pub fn printable_line(text: &str) -> Cow<'_, str> {
    escape(text, is_unprintable)
}

/// [`printable_line`] that keeps newlines and tabs: for a report or a message of several lines.
///
/// # Examples
///
/// ```
/// use interleave_detector::printable_text;
///
/// assert_eq!(printable_text("a\n\tb\x1b[0m"), "a\n\tb\\u{1b}[0m");
/// ```
pub fn printable_text(text: &str) -> Cow<'_, str> {
    escape(text, |c| c != '\n' && c != '\t' && is_unprintable(c))
}

/// Control characters, and the bidirectional formatting characters that reorder what a
/// terminal shows ("Trojan Source").
fn is_unprintable(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn escape(text: &str, escaped: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(&escaped) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !escaped(c) {
            out.push(c);
        } else if c.is_control() {
            // `\n`, `\r`, `\t`, `\0`, else `\u{1b}`.
            out.extend(c.escape_debug());
        } else {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
    Cow::Owned(out)
}

/// A site, printable on one line.
fn at(site: &Site) -> String {
    printable_line(&site.to_string()).into_owned()
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&render(self))
    }
}

/// Renders a finding as its multi-line text report (what `Display` prints).
pub fn render(finding: &Finding) -> String {
    let mut out = String::new();
    let o = &mut out;
    let thread = |i: usize| format!("`{}`", printable_line(&finding.threads[i].name));
    let labels = crate::identity::labels(&finding.objects);
    let object = |i: usize| printable_line(&labels[i]).into_owned();
    let moded = |i: usize, mode: LockMode| moded_label(finding, &labels, i, mode);
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
                    at(&e.held_at)
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
                    at(&e.requested_at),
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
        Detail::AwaitHolding {
            thread: t,
            lock,
            held_at,
            awaited_at,
        } => {
            let _ = writeln!(
                o,
                "  {} holds {}, acquired at {}",
                thread(*t),
                object(*lock),
                at(held_at)
            );
            let _ = writeln!(
                o,
                "      and its future returned Pending at {}, the lock still held",
                at(awaited_at)
            );
            let _ = writeln!(
                o,
                "\n  Until the task is polled again, anyone who locks {} blocks: on a runtime with one \
                 worker, a task of the same runtime that does never lets it be polled (a deadlock). \
                 Drop the guard before the .await, or use an async mutex.",
                object(*lock)
            );
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
                "  {} holds {}, acquired at {}",
                thread(*t),
                moded(*lock, *held_mode),
                at(held_at)
            );
            let _ = writeln!(
                o,
                "      and requests {} at {}: it waits for itself forever",
                moded(*lock, *requested_mode),
                at(requested_at)
            );
        }
        Detail::Futurelock {
            thread: t,
            object: target,
            held_at,
            granted,
            waited_at,
            since_step,
            waits,
        } => {
            let what = match finding.objects[*target].class {
                ObjectClass::Semaphore => format!("a permit of {}", object(*target)),
                _ => object(*target),
            };
            let _ = writeln!(
                o,
                "  {} waits for {what} at {}  (step {since_step})",
                thread(*t),
                at(waited_at)
            );
            let how = if *granted {
                format!(
                    "queued for it at {}, and a release handed it over while the future was not polled",
                    at(held_at)
                )
            } else {
                format!("acquired it at {}", at(held_at))
            };
            let _ = writeln!(o, "      held by a future of {}, which {how}", thread(*t));
            let _ = writeln!(
                o,
                "\n  {} owns that future but no longer polls it (a `select!` arm kept by `&mut`, a \
                 future stored aside): the future cannot finish and let go, and the task cannot \
                 get past this wait. Drop the future, or poll it to completion, before waiting \
                 here.",
                thread(*t)
            );
            if !*granted {
                // The harness knows which task holds the guard, not which of its futures: the
                // code waiting now may have taken it itself.
                let _ = writeln!(
                    o,
                    "  (If no other future is involved, and the code now waiting took it at {} \
                     and still holds that guard or permit, the task waits for itself: release \
                     it before this wait.)",
                    at(held_at)
                );
            }
            if !waits.is_empty() {
                let _ = writeln!(o, "\n  also blocked:");
                write_waits(o, finding, waits, false);
            }
        }
        Detail::Deadlock {
            waits,
            running,
            predicted,
            ..
        } => {
            write_waits(o, finding, waits, false);
            if !running.is_empty() {
                let names: Vec<String> = running.iter().map(|&r| thread(r)).collect();
                let _ = writeln!(o, "  still running: {}", names.join(", "));
            }
            if let Some(predicted) = predicted {
                let _ = writeln!(
                    o,
                    "\n  predicted before it happened, as the lock-order cycle {} (potential \
                     deadlock {}):",
                    printable_line(&predicted.cycle),
                    predicted.fingerprint
                );
                for edge in &predicted.edges {
                    let _ = writeln!(o, "    {}", printable_line(edge));
                }
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
                        "  the timed wait on {} at {} began at {} and timed out at {}",
                        object(*condvar),
                        at(site),
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
                        "  the block declared at {} was entered at {} with a deadline of {}; it is now {}",
                        at(site),
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
                at(&first.site),
                first.step
            );
            let _ = writeln!(
                o,
                "  {} by {} at {}  (step {})",
                access(second.write),
                thread(second.thread),
                at(&second.site),
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
                    at(&r.last_site)
                );
            }
        }
        Detail::MemoryError {
            error,
            site,
            freed_at,
            ..
        } => {
            let what = match error {
                MemoryError::UseAfterFree => "used",
                MemoryError::DoubleFree => "freed again",
                MemoryError::Leak => "allocated",
            };
            if let Some(freed) = freed_at {
                let _ = writeln!(o, "  freed at {}", at(freed));
            }
            let _ = writeln!(o, "  {what} at {}", at(site));
        }
        Detail::Panic {
            site, backtrace, ..
        } => {
            let _ = writeln!(o, "  at {}", at(site));
            if let Some(backtrace) = backtrace {
                let _ = writeln!(o, "\n  backtrace of the panicking thread:");
                for line in backtrace.lines() {
                    let _ = writeln!(o, "    {}", printable_line(line));
                }
            }
        }
    }
    if !finding.objects.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(o, "  objects:");
        let width = labels
            .iter()
            .map(|ob| printable_line(ob).chars().count())
            .max()
            .unwrap_or(0)
            // A longer label runs past the column rather than widening every line.
            .min(100);
        for (ob, label) in finding.objects.iter().zip(&labels) {
            let _ = writeln!(
                o,
                "    {:width$}  {} created at {} by `{}`",
                printable_line(label),
                ob.class.name(),
                at(&ob.created_at),
                printable_line(&ob.created_by)
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
    // The headline, notes and fingerprint come from the finding as well.
    printable_text(&out).into_owned()
}

/// The waits of a deadlock or missed timeout: who waits for what, since where, who holds it.
fn write_waits(o: &mut String, finding: &Finding, waits: &[crate::finding::Wait], show_time: bool) {
    let thread = |i: usize| format!("`{}`", printable_line(&finding.threads[i].name));
    let labels = crate::identity::labels(&finding.objects);
    let object = |i: usize| printable_line(&labels[i]).into_owned();
    let moded = |i: usize, mode: LockMode| moded_label(finding, &labels, i, mode);
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
            WaitTarget::Async { object: o } => match finding.objects[*o].class {
                ObjectClass::Runtime => format!("a worker of {}", object(*o)),
                ObjectClass::Semaphore => format!("a permit of {}", object(*o)),
                ObjectClass::Notify => format!("a notification on {}", object(*o)),
                _ => format!("a wake from {}", object(*o)),
            },
            WaitTarget::LostWaker => "a wake that cannot come (lost waker)".to_owned(),
        };
        if show_time {
            let _ = writeln!(
                o,
                "  {} waits for {what}, since {} (step {}, {})",
                thread(w.thread),
                at(&w.site),
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
                at(&w.site),
                w.since_step
            );
        }
        for h in &w.held_by {
            let _ = writeln!(
                o,
                "      held by {}, acquired at {}",
                thread(h.thread),
                at(&h.acquired_at)
            );
        }
        let holding: Vec<String> = w
            .holding
            .iter()
            .map(|h: &Hold| {
                format!(
                    "{} (acquired at {})",
                    moded(h.lock, h.mode),
                    at(&h.acquired_at)
                )
            })
            .collect();
        if !holding.is_empty() {
            let _ = writeln!(o, "      while holding {}", holding.join(", "));
        }
        if let Some(note) = &w.note {
            let _ = writeln!(o, "      note: {note}");
        }
    }
}

/// Object `i`'s label, with the mode for an RwLock (a mutex is always exclusive).
fn moded_label(finding: &Finding, labels: &[String], i: usize, mode: LockMode) -> String {
    let label = printable_line(&labels[i]).into_owned();
    match (finding.objects[i].class, mode) {
        (ObjectClass::RwLock, LockMode::Shared) => format!("{label} (read)"),
        (ObjectClass::RwLock, LockMode::Exclusive) => format!("{label} (write)"),
        _ => label,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::TraceBuilder;

    #[test]
    fn names_and_sites_from_a_file_print_escaped() {
        let mut trace = TraceBuilder::new();
        let main = trace.main();
        let m = trace.mutex(main);
        let t = trace.spawn_named(main, "evil\u{1b}[2J\r\nthread");
        trace.lock(t, m).lock(t, m);
        let mut findings = trace.into_trace().analyze(Default::default()).unwrap();
        findings[0].objects[0].created_at.file = "a\u{202e}.rs".into();
        let report = render(&findings[0]);
        assert!(
            report.contains("`evil\\u{1b}[2J\\r\\nthread` holds"),
            "{report}"
        );
        assert!(report.contains("a\\u{202e}.rs"), "{report}");
        assert!(
            !report.chars().any(|c| c.is_control() && c != '\n'),
            "{report}"
        );
    }
}
