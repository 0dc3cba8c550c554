//! One panic hook for the process: panics inside a check are recorded for the report and print
//! nothing; every other panic goes to the hook that was there before.
//!
//! Another test may replace the process's hook at any time (`panic::set_hook` is global). Where
//! panics happened would then be lost, and with it the sites and fingerprints of panic findings.
//! So:
//! - A check starts by installing interleave's hook in front of whatever is there, unless one
//!   of interleave's hooks is still alive (installed, or kept and called by a hook that
//!   replaced it). It never takes the hook out just to look at it: std cannot look without
//!   taking, and taking it out at every check start would leave, for that moment, no hook of
//!   ours for the panics of the other checks running at the time.
//! - A panic inside an execution that no hook of ours recorded (a hook that replaced ours keeps
//!   it without calling it) is counted (see [`unrecorded`]): a check whose panic finding lost
//!   its site that way puts interleave's hook back in front and runs again from its first
//!   execution, once, now with its panics' sites (see `check::run_plan`).

use std::io::Write as _;
use std::panic::{self, PanicHookInfo};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once, PoisonError};

use interleave_detector::Site;

type Hook = Box<dyn Fn(&PanicHookInfo<'_>) + Sync + Send + 'static>;

/// The address of interleave's hook installed last (0: none, or it was dropped). Compared with
/// the hook in place, never dereferenced.
static OURS: AtomicUsize = AtomicUsize::new(0);

/// How many of interleave's hooks are alive: installed, or kept by a hook that replaced them.
static LIVE: AtomicUsize = AtomicUsize::new(0);

/// How many panics inside executions no hook of interleave's recorded, in this process (see
/// [`unrecorded`]).
static UNRECORDED: AtomicUsize = AtomicUsize::new(0);

/// One caller at a time swaps the process's hook: two must not wrap each other.
static SWAP: Mutex<()> = Mutex::new(());

/// Lives as long as the hook that holds it: counted in [`LIVE`]; when dropped (replaced without
/// being kept), clears [`OURS`] if that was this hook, so that another hook allocated at the
/// same address is not mistaken for it.
#[derive(Debug)]
struct Installed {
    /// The hook's address, once it is made.
    address: Arc<AtomicUsize>,
}

impl Installed {
    fn new() -> Self {
        LIVE.fetch_add(1, Ordering::SeqCst);
        Installed {
            address: Arc::new(AtomicUsize::new(0)),
        }
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        let address = self.address.load(Ordering::SeqCst);
        let _ = OURS.compare_exchange(address, 0, Ordering::SeqCst, Ordering::SeqCst);
        LIVE.fetch_sub(1, Ordering::SeqCst);
    }
}

fn address(hook: &Hook) -> usize {
    std::ptr::from_ref(&**hook).cast::<()>() as usize
}

/// Makes sure a hook of interleave's sees the panics of checks. The first call also lets the
/// engine install (and so spend) its once-per-process hook, around a placeholder, so that it
/// is never installed later on top of ours.
pub(crate) fn install_panic_hook() {
    static ENGINE: Once = Once::new();
    ENGINE.call_once(|| {
        let original = panic::take_hook();
        panic::set_hook(Box::new(|_| {}));
        super::engine::run_empty_execution();
        drop(panic::take_hook());
        panic::set_hook(original);
    });
    if LIVE.load(Ordering::SeqCst) == 0 {
        put_in_front();
    }
}

/// Installs interleave's hook in front of the one in place, unless that is interleave's last:
/// at a check's start if none of interleave's is alive, and before a check whose panic lost its
/// site runs again (see [`unrecorded`]).
pub(crate) fn put_in_front() {
    if std::thread::panicking() {
        // std refuses to touch the hook from a panicking thread (a check in a destructor).
        return;
    }
    let _swap = SWAP.lock().unwrap_or_else(PoisonError::into_inner);
    let current = panic::take_hook();
    let ours = OURS.load(Ordering::SeqCst);
    if ours != 0 && address(&current) == ours {
        panic::set_hook(current);
        return;
    }
    let installed = Installed::new();
    let at = Arc::clone(&installed.address);
    let hook = wrap(current, installed);
    at.store(address(&hook), Ordering::SeqCst);
    OURS.store(address(&hook), Ordering::SeqCst);
    panic::set_hook(hook);
}

/// A panic inside an execution reached no hook of interleave's: its site is lost. Counted (see
/// [`unrecorded_count`]); the check whose finding lost its site puts interleave's hook back in
/// front before it runs again ([`put_in_front`]). Nothing here touches the hook: taking it out
/// inside an execution would leave the other checks running at the time without one for a
/// moment.
pub(crate) fn unrecorded() {
    UNRECORDED.fetch_add(1, Ordering::SeqCst);
}

/// How many panics inside executions no hook of interleave's recorded so far, in this process.
/// A check that sees the count move while it runs, and holds a panic finding without its site,
/// runs again (see `check::run_plan`).
pub(crate) fn unrecorded_count() -> usize {
    UNRECORDED.load(Ordering::SeqCst)
}

/// interleave's hook, in front of `previous`.
fn wrap(previous: Hook, installed: Installed) -> Hook {
    Box::new(move |info: &PanicHookInfo<'_>| {
        let _ = &installed;
        let site = location(info);
        let message = payload_message(info.payload());
        let recorded = super::with(|context| {
            if ABORTING.contains(&message.as_str()) {
                aborting(context, &message);
            }
            let current = context.current;
            let earlier = context
                .thread_mut(current)
                .last_panic
                .replace((message.clone(), site.clone()));
            EARLIER.with(|e| *e.borrow_mut() = earlier);
            context.thread_mut(current).last_backtrace = capture_backtrace();
        });
        if recorded.is_none() && !super::in_execution() {
            previous(info);
        }
    })
}

/// The messages of the panics Rust raises just before it aborts the process: a panic that
/// escaped a destructor while the thread was unwinding from another one, or unwinding out of a
/// function that cannot unwind.
const ABORTING: [&str; 2] = [
    "panic in a destructor during cleanup",
    "panic in a function that cannot unwind",
];

thread_local! {
    /// The panic recorded before the last one: the first of a double panic.
    static EARLIER: std::cell::RefCell<Option<(String, Site)>> =
        const { std::cell::RefCell::new(None) };
}

/// Rust is about to abort the process (see [`ABORTING`]). interleave's hook keeps panics inside
/// checks quiet, so say now what std would have printed: both panics and the thread. Written
/// straight to the process's standard error, since a test's captured output is lost with it.
fn aborting(context: &super::Context, why: &str) {
    let thread = context.current;
    let name = context
        .thread(thread)
        .name
        .clone()
        .unwrap_or_else(|| match thread.0 {
            0 => "main".to_owned(),
            n => format!("t{n}"),
        });
    let check = super::overflow::check_name().unwrap_or_else(|| "<unnamed>".to_owned());
    let describe = |panic: Option<&(String, Site)>| {
        panic.map_or_else(
            || "(not recorded)".to_owned(),
            |(message, site)| format!("at {site}: {message}"),
        )
    };
    let first = EARLIER.with(|e| describe(e.borrow().as_ref()));
    let then = describe(context.thread(thread).last_panic.as_ref());
    let _ = writeln!(
        std::io::stderr(),
        "\ninterleave: thread `{name}` of check `{check}` panicked while unwinding from another \
         panic ({why}); Rust aborts the process for that.\n  first panic {first}\n  then, \
         while unwinding, {then}"
    );
    crate::ledger::aborting(
        &check,
        &format!(
            "thread `{name}` panicked while unwinding from another panic ({why}); first panic \
             {first}; then, while unwinding, {then}"
        ),
    );
}

/// The panicking scenario thread's backtrace, if the process asks for backtraces
/// (`RUST_BACKTRACE`, as std's hook does): only the scenario's frames, between the panic
/// machinery and interleave's runtime.
fn capture_backtrace() -> Option<String> {
    let backtrace = std::backtrace::Backtrace::capture();
    (backtrace.status() == std::backtrace::BacktraceStatus::Captured)
        .then(|| scenario_frames(&backtrace.to_string()))
}

/// The frames of a backtrace's text (`   3: name` lines, each followed by its `at` lines)
/// after the panic machinery and before interleave's runtime and check, renumbered from 0:
/// the same frames whatever the number of OS threads running executions.
fn scenario_frames(text: &str) -> String {
    let mut frames: Vec<(String, Vec<&str>)> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        match trimmed.split_once(": ") {
            Some((number, name)) if number.bytes().all(|b| b.is_ascii_digit()) => {
                frames.push((name.to_owned(), Vec::new()));
            }
            _ => {
                if let Some(frame) = frames.last_mut() {
                    frame.1.push(trimmed);
                }
            }
        }
    }
    // The runtime's `catch_unwind` around the thread's body is below the scenario's frames;
    // above them are capturing the backtrace, this hook, and the panic's entry into std.
    let cut = frames
        .iter()
        .position(|(name, _)| name.contains("catch_unwind") || name.contains("AssertUnwindSafe"))
        .unwrap_or(frames.len());
    let entry = |name: &str| {
        name.contains("core::panicking::")
            || name.contains("begin_unwind")
            || name.contains("std::panicking::begin_panic")
            || name.contains("std::panic::panic_any")
    };
    let start = frames[..cut]
        .iter()
        .rposition(|(name, _)| entry(name))
        .map_or(0, |i| i + 1);
    // Below the scenario: the runtime, and the closures a check wraps the scenario's main
    // thread in (one more when executions run on several OS threads), then call glue.
    let harness = |name: &str| {
        name.starts_with("interleave::rt::") || name.starts_with("interleave::check::")
    };
    let glue = |name: &str| {
        name.starts_with("core::ops::function::")
            || name.starts_with("<alloc::boxed::Box<")
            || name.starts_with("<alloc::sync::Arc<")
    };
    let mut end = frames[start..cut]
        .iter()
        .position(|(name, _)| harness(name))
        .map_or(cut, |i| start + i);
    while end > start && glue(&frames[end - 1].0) {
        end -= 1;
    }
    let mut out = String::new();
    for (i, (name, at)) in frames[start..end].iter().enumerate() {
        out.push_str(&format!("{i:>3}: {name}\n"));
        for line in at {
            out.push_str(&format!("         {line}\n"));
        }
    }
    out
}

fn location(info: &PanicHookInfo<'_>) -> Site {
    info.location().map_or_else(Site::unknown, |l| Site {
        file: std::borrow::Cow::Owned(l.file().to_owned()),
        line: l.line(),
        column: l.column(),
    })
}

/// The message of a panic payload.
pub(crate) fn payload_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "Box<dyn Any>".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backtrace_keeps_the_scenario_s_frames_only() {
        let text = "   0: std::backtrace_rs::backtrace::trace
             at /rustc/library/std/src/backtrace.rs:1:1
   1: interleave::rt::hook::capture_backtrace
   2: std::panicking::panic_with_hook
   3: core::panicking::panic_fmt
             at /rustc/library/core/src/panicking.rs:80:14
   4: bank::withdraw
             at src/lib.rs:10:9
   5: bank::tests::two::{{closure}}
             at src/lib.rs:30:13
   6: std::panicking::catch_unwind
   7: interleave::rt::engine::run_thread
";
        assert_eq!(
            scenario_frames(text),
            "  0: bank::withdraw\n         at src/lib.rs:10:9\n  1: bank::tests::two::{{closure}}\n         at src/lib.rs:30:13\n"
        );
    }

    #[test]
    fn a_main_thread_s_backtrace_is_the_same_on_one_os_thread_and_on_several() {
        // The check's closures around the scenario's main thread, and the one more that
        // executions on several OS threads add, are not the scenario's.
        let one = "   0: core::panicking::panic_fmt
   1: bank::tests::lost::{{closure}}
             at tests/bank.rs:61:9
   2: interleave::check::runner::Runner::run::{{closure}}::{{closure}}::{{closure}}
             at harness/src/check/runner.rs:174:29
   3: interleave::rt::engine::run_thread
";
        let several = "   0: core::panicking::panic_fmt
   1: bank::tests::lost::{{closure}}
             at tests/bank.rs:61:9
   2: core::ops::function::Fn::call
   3: interleave::check::jobs::own_body::{{closure}}
             at harness/src/check/jobs.rs:462:22
   4: interleave::check::runner::Runner::run::{{closure}}::{{closure}}::{{closure}}
             at harness/src/check/runner.rs:174:29
   5: interleave::rt::engine::run_thread
";
        let expected = "  0: bank::tests::lost::{{closure}}\n         at tests/bank.rs:61:9\n";
        assert_eq!(scenario_frames(one), expected);
        assert_eq!(scenario_frames(several), expected);
    }
}
