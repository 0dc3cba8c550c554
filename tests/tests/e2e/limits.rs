//! What a scenario cannot do to the harness: overflow a stack silently, hang it from outside
//! interleave's control, start a check inside a check, pass settings that mean nothing, abort
//! without a word, or lose its panic sites to another test's panic hook.

use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

use interleave::sync::{Arc, Mutex};
use interleave::{thread, Config, Error, Kind};

use crate::child;

/// Recurses `depth` times through frames of about 1 KiB.
fn recurse(depth: usize) -> usize {
    let frame = std::hint::black_box([0u8; 1024]);
    if depth == 0 {
        return usize::from(frame[0]);
    }
    recurse(depth - 1) + usize::from(std::hint::black_box(frame)[1])
}

/// Fails unless `docs/guide.md` shows `text` as it is, up to `line:column` numbers and steps:
/// the guide's examples are real output.
pub(crate) fn assert_documented(text: &str) {
    fn redact(text: &str) -> String {
        let mut out = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if c.is_ascii_digit() && (out.ends_with(':') || out.ends_with("(step ")) {
                while chars.peek().is_some_and(char::is_ascii_digit) {
                    chars.next();
                }
                out.push('N');
            } else {
                out.push(c);
            }
        }
        out
    }
    let guide = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/guide.md"))
        .expect("docs/guide.md");
    assert!(
        redact(&guide).contains(&redact(text)),
        "docs/guide.md does not show this output:\n{text}"
    );
}

fn config() -> Config {
    Config::random(3).seed(1).write_artifact(false)
}

// ---------------------------------------------------------------------------------------------
// Stack size (item 4)

#[test]
fn the_default_stack_holds_deep_recursion_in_every_thread() {
    // 500 frames of 1 KiB or more. Before: every scenario thread had 256 KiB, and this killed
    // the test binary.
    let report = config().explore(|| {
        let t = thread::spawn(|| recurse(500));
        recurse(500);
        t.join().unwrap();
    });
    assert!(report.is_clean(), "{report}");
}

#[test]
fn a_thread_builder_stack_size_is_honoured() {
    // At least 4 MiB of recursion (frames of 1 KiB or more): more than the default 2 MiB,
    // within the 32 MiB the builder asks for.
    let report = config().explore(|| {
        let t = thread::Builder::new()
            .name("deep".to_owned())
            .stack_size(32 << 20)
            .spawn(|| recurse(4_000))
            .unwrap();
        t.join().unwrap();
        // The larger stack is not handed on to later threads of the check.
        let small = thread::spawn(|| recurse(100));
        small.join().unwrap();
    });
    assert!(report.is_clean(), "{report}");
}

#[test]
#[ignore = "run by other tests in a child process"]
fn child_stack_overflow() {
    if !child::in_child() {
        return;
    }
    Config::random(1).name("deep_recursion").check(|| {
        let t = thread::Builder::new()
            .name("recurser".to_owned())
            .spawn(|| recurse(usize::MAX))
            .unwrap();
        t.join().unwrap();
    });
}

#[test]
fn a_stack_overflow_names_the_check_and_the_thread_before_the_process_ends() {
    // Before: the process died of SIGSEGV without a word about which check or thread.
    for (env, size) in [(None, "2048 KiB"), (Some("262144"), "256 KiB")] {
        let vars: Vec<(&str, &str)> = env
            .map(|v| ("INTERLEAVE_STACK_SIZE", v))
            .into_iter()
            .collect();
        let run = child::run("limits::child_stack_overflow", &vars);
        assert_eq!(run.status.signal(), Some(11), "{run:?}");
        let expected = format!(
            "interleave: thread `recurser` of check `deep_recursion` overflowed its stack of \
             {size}. Give scenario threads more with `Config::stack_size(bytes)` or \
             INTERLEAVE_STACK_SIZE=<bytes>, or this thread with `thread::Builder::stack_size`; \
             the process ends now."
        );
        assert!(run.stderr.contains(&expected), "{run:?}");
        if env.is_none() {
            assert_documented(&expected);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The watchdog (item 5)

#[test]
fn a_std_lock_taken_by_two_scenario_threads_is_a_stall_not_a_hang() {
    // Scenario threads share one OS thread: a std lock held by one blocks all of them.
    let result = config()
        .name("std_lock")
        .watchdog(Some(Duration::from_millis(500)))
        .try_explore(|| {
            let std_lock = std::sync::Arc::new(std::sync::Mutex::new(()));
            let held = std_lock.lock().unwrap();
            let other = std::sync::Arc::clone(&std_lock);
            let t = thread::spawn(move || drop(other.lock().unwrap()));
            t.join().unwrap();
            drop(held);
        });
    let Err(Error::Stalled {
        check,
        limit,
        thread,
        execution,
        cause,
        ..
    }) = result
    else {
        panic!("expected a stall, got {result:?}");
    };
    assert_eq!(
        (check.as_str(), limit, thread.as_str(), execution),
        ("std_lock", Duration::from_millis(500), "t1", 1)
    );
    assert!(
        cause.starts_with("it is blocked outside interleave"),
        "{cause}"
    );
}

#[test]
fn a_tokio_runtime_blocking_inside_a_check_is_a_stall_not_a_hang() {
    // tokio's `block_on` parks the OS thread that every scenario thread shares, so the sender
    // never runs. Before: the test hung forever.
    let result = config()
        .name("tokio_inside")
        .watchdog(Some(Duration::from_millis(500)))
        .try_explore(|| {
            let (sender, receiver) = tokio::sync::oneshot::channel();
            let t = thread::spawn(move || sender.send(1).unwrap());
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            assert_eq!(runtime.block_on(receiver), Ok(1));
            t.join().unwrap();
        });
    let Err(Error::Stalled { thread, cause, .. }) = result else {
        panic!("expected a stall, got {result:?}");
    };
    assert_eq!(thread, "main");
    assert!(
        cause.starts_with("it is blocked outside interleave"),
        "{cause}"
    );
    assert!(cause.contains("another runtime (tokio)"), "{cause}");
}

#[test]
#[ignore = "run by other tests in a child process"]
fn child_spin_outside_interleave() {
    if !child::in_child() {
        return;
    }
    Config::random(1).name("spin").check(|| {
        let flag = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let setter = Arc::clone(&flag);
        let t = thread::spawn(move || setter.store(true, std::sync::atomic::Ordering::SeqCst));
        // A spin on a std atomic never lets `t` run: its store is never made.
        while !flag.load(std::sync::atomic::Ordering::SeqCst) {
            std::hint::spin_loop();
        }
        t.join().unwrap();
    });
}

#[test]
#[ignore = "run by other tests in a child process"]
fn child_spin_outside_interleave_on_two_threads() {
    if !child::in_child() {
        return;
    }
    // Both executions spin, each on a thread of its own.
    Config::random(2).jobs(2).name("spin2").check(|| {
        let flag = std::sync::atomic::AtomicBool::new(false);
        while !flag.load(std::sync::atomic::Ordering::SeqCst) {
            std::hint::spin_loop();
        }
    });
}

/// Runs the child test `test` with a watchdog of 0.5 s; returns the stall line it failed with.
fn stall_line(test: &str) -> String {
    let run = child::run(test, &[("INTERLEAVE_WATCHDOG", "0.5")]);
    assert!(!run.success, "{run:?}");
    let output = format!("{}{}", run.stdout, run.stderr);
    output
        .lines()
        .find(|l| l.contains("reached no scheduling point"))
        .unwrap_or_else(|| panic!("{output}"))
        .to_owned()
}

#[test]
fn a_spin_in_a_check_on_two_threads_is_a_stall_naming_a_spinning_thread() {
    // Each thread of a parallel check records its progress on its own; the watchdog sums them
    // and reports one that runs.
    let line = stall_line("limits::child_spin_outside_interleave_on_two_threads");
    // Both spin before any interleave call: whichever is named, it has none to show.
    let start = "interleave: check `spin2` reached no scheduling point for 500ms: thread `main` of execution ";
    assert!(line.starts_with(start), "{line}");
    assert!(
        line.contains(" ran last, before its first interleave call (step 0); it is running without reaching interleave"),
        "{line}"
    );
}

#[test]
fn a_spin_on_a_std_atomic_is_a_stall_naming_the_thread_and_its_last_call() {
    // In a child process: the spinning thread is left behind, spinning, until the process ends.
    let line = stall_line("limits::child_spin_outside_interleave");
    assert_documented(&line);
    // The spawn was main's last interleave call.
    let expected_start = "interleave: check `spin` reached no scheduling point for 500ms: thread `main` of execution 1 ran last, last seen at tests/tests/e2e/limits.rs:";
    assert!(line.starts_with(expected_start), "{line}");
    assert!(
        line.ends_with(
            "it is running without reaching interleave: a loop with no interleave call, or a \
             spin on a std atomic? Raise the limit with `Config::watchdog` or \
             INTERLEAVE_WATCHDOG=<seconds> (`off` turns it off)"
        ),
        "{line}"
    );
}

// ---------------------------------------------------------------------------------------------
// Nested checks (item 6)

#[test]
fn a_check_inside_a_scenario_is_an_error_naming_the_misuse() {
    let inner = Arc::new(std::sync::Mutex::new(None));
    let seen = Arc::clone(&inner);
    let result = config().try_explore(move || {
        let nested = Config::random(1).try_explore(|| {});
        *seen.lock().unwrap() = Some(nested.map(|_| ()).map_err(|e| e.to_string()));
    });
    let Err(Error::Nested { site }) = &result else {
        panic!("expected a nested-check error, got {result:?}");
    };
    assert_eq!(site.file, "tests/tests/e2e/limits.rs");
    let message = result.unwrap_err().to_string();
    assert!(
        message.starts_with(
            "run a check inside the scenario of another check: `check`, `explore` and `replay` \
             cannot run inside an execution (called at tests/tests/e2e/limits.rs:"
        ),
        "{message}"
    );
    assert_documented(&format!("interleave: {message}"));
    // The inner call got the same error, as a value.
    assert_eq!(inner.lock().unwrap().clone(), Some(Err(message)));

    // `check` inside `check`: the outer one fails with that error, not with a panic finding.
    let panic = std::panic::catch_unwind(|| {
        config().check(|| interleave::check(|| {}));
    })
    .unwrap_err();
    let text = panic.downcast_ref::<String>().unwrap();
    assert!(
        text.starts_with("interleave: run a check inside the scenario of another check"),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------------
// Configuration errors (item 7)

#[test]
fn settings_that_mean_nothing_are_configuration_errors_not_findings() {
    let cases: [(Config, &str); 10] = [
        (
            Config::random(0),
            "configure the check: 0 executions: expected a number of executions, at least 1",
        ),
        (
            Config::pct(10, 3).executions(0),
            "configure the check: 0 executions: expected a number of executions, at least 1",
        ),
        (
            Config::pct(10, 0),
            "configure the check: PCT depth 0: expected a depth of at least 1",
        ),
        (
            Config::random(10).strategy(interleave::Strategy::Pct { depth: 0 }),
            "configure the check: PCT depth 0: expected a depth of at least 1",
        ),
        (
            Config::random(10).strategy(interleave::Strategy::Mix { depth: 0 }),
            "configure the check: mix depth 0: expected a depth of at least 1",
        ),
        (
            Config::random(10).early_timers(f64::NAN),
            "configure the check: early_timers(NaN): expected a probability from 0 to 1",
        ),
        (
            Config::random(10).early_timers(1.5),
            "configure the check: early_timers(1.5): expected a probability from 0 to 1",
        ),
        (
            Config::random(10).max_steps(0),
            "configure the check: max_steps(0): expected a step bound of at least 1",
        ),
        (
            Config::random(10).stack_size(4096),
            "configure the check: stack_size(4096): expected at least 65536 bytes (64 KiB)",
        ),
        (
            Config::random(10).watchdog(Some(Duration::ZERO)),
            "configure the check: watchdog(0 s): expected a positive limit, or `None`",
        ),
    ];
    for (config, message) in cases {
        let error = config
            .write_artifact(false)
            .try_explore(|| panic!("never runs"))
            .unwrap_err();
        assert!(matches!(error, Error::Config { .. }), "{error:?}");
        assert_eq!(error.to_string(), message);
    }
}

#[test]
#[ignore = "run by other tests in a child process"]
fn child_clean_check() {
    Config::random(2).check(|| {});
}

#[test]
fn variables_that_are_not_utf8_or_mean_nothing_are_errors_naming_them() {
    use std::os::unix::ffi::OsStrExt;
    let not_utf8 = std::ffi::OsStr::from_bytes(b"1\xff");
    let run = child::run(
        "limits::child_clean_check",
        &[("INTERLEAVE_SEED", not_utf8)],
    );
    assert!(!run.success, "{run:?}");
    assert!(
        run.stderr.contains(
            "interleave: read environment variable INTERLEAVE_SEED=\"1\u{fffd}\": expected a \
             UTF-8 value"
        ),
        "{run:?}"
    );
    for (variable, value, expected) in [
        (
            "INTERLEAVE_WATCHDOG",
            "10s",
            "expected a number of seconds (`10`, `2.5`), or `off`",
        ),
        (
            "INTERLEAVE_STACK_SIZE",
            "1024",
            "expected a number of bytes, at least 65536",
        ),
        (
            "INTERLEAVE_JOBS",
            "0",
            "expected a number of threads from 1 to 1024",
        ),
        (
            "INTERLEAVE_JOBS",
            "two",
            "expected a number of threads from 1 to 1024",
        ),
    ] {
        let run = child::run("limits::child_clean_check", &[(variable, value)]);
        assert!(!run.success, "{run:?}");
        let message = format!("read environment variable {variable}=\"{value}\": {expected}");
        assert!(run.stderr.contains(&message), "{run:?}");
    }
    let run = child::run(
        "limits::child_clean_check",
        &[
            ("INTERLEAVE_WATCHDOG", "off"),
            ("INTERLEAVE_STACK_SIZE", "1048576"),
            ("INTERLEAVE_JOBS", "3"),
        ],
    );
    assert!(run.success, "{run:?}");
}

#[test]
fn a_check_name_too_long_for_a_file_name_still_gets_an_artifact_that_replays() {
    let dir = child::temp_dir("long-name");
    let name = format!("tests::{}::too_long", "very_long_module_name_".repeat(20));
    let scenario = || {
        let m = Arc::new(Mutex::new(0));
        let g = m.lock().unwrap();
        let _again = m.lock().unwrap();
        drop(g);
    };
    let report = Config::random(1)
        .name(name.clone())
        .artifact_dir(&dir)
        .explore(scenario);
    assert_eq!(
        report.findings.iter().map(|f| f.kind()).collect::<Vec<_>>(),
        [Kind::Deadlock]
    );
    let artifact = report.artifact.expect("an artifact was written");
    let file_name = artifact.file_name().unwrap().to_str().unwrap();
    assert!(file_name.len() < 160, "{file_name}");
    // The package and the test target first: two crates sharing a target directory never mix.
    assert!(
        file_name.starts_with("interleave-tests_e2e_tests__very_long_module_name_"),
        "{file_name}"
    );
    let replayed = interleave::replay(&artifact, scenario).unwrap();
    assert_eq!(
        replayed.findings[0].fingerprint,
        report.findings[0].fingerprint
    );
    assert_eq!(replayed.name, name);
}

// ---------------------------------------------------------------------------------------------
// Double panics (item 8)

struct PanicOnDrop;

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("the second panic, in a destructor");
    }
}

#[test]
#[ignore = "run by other tests in a child process"]
fn child_double_panic() {
    if !child::in_child() {
        return;
    }
    Config::random(1).name("double_panic").check(|| {
        let t = thread::Builder::new()
            .name("dropper".to_owned())
            .spawn(|| {
                let _d = PanicOnDrop;
                panic!("the first panic");
            })
            .unwrap();
        let _ = t.join();
    });
}

#[test]
fn a_panic_while_unwinding_shows_both_panics_and_the_thread_before_rust_aborts() {
    // Before: interleave's hook kept both panics quiet and the process aborted without a word.
    let dir = child::temp_dir("double-panic");
    let run = child::run(
        "limits::child_double_panic",
        &[("INTERLEAVE_ARTIFACT_DIR", dir.to_str().unwrap())],
    );
    assert_eq!(run.status.signal(), Some(6), "{run:?}");
    let report = run
        .stderr
        .lines()
        .skip_while(|l| !l.starts_with("interleave: thread"))
        .take(3)
        .collect::<Vec<_>>();
    assert_eq!(report.len(), 3, "{run:?}");
    assert_eq!(
        report[0],
        "interleave: thread `dropper` of check `double_panic` panicked while unwinding from \
         another panic (panic in a destructor during cleanup); Rust aborts the process for that."
    );
    assert!(
        report[1].starts_with("  first panic at tests/tests/e2e/limits.rs:")
            && report[1].ends_with(": the first panic"),
        "{}",
        report[1]
    );
    assert!(
        report[2].starts_with("  then, while unwinding, at tests/tests/e2e/limits.rs:")
            && report[2].ends_with(": the second panic, in a destructor"),
        "{}",
        report[2]
    );
    assert_documented(&report.join("\n"));
    // The check's ledger record says so (before, there was none: `interleave ci` took the
    // test binary's abort for a build error).
    let records = interleave::LedgerRecord::read_dir(&dir).unwrap();
    assert_eq!(records.len(), 1, "{records:#?}");
    let record = &records[0];
    assert_eq!(
        (record.check.as_str(), record.result, record.aborted()),
        ("double_panic", interleave::CheckResult::Error, true)
    );
    let message = record.message.as_deref().unwrap();
    let first = report[1].trim_start().strip_prefix("first panic ").unwrap();
    let then = report[2]
        .trim_start()
        .strip_prefix("then, while unwinding, ")
        .unwrap();
    assert_eq!(
        message,
        format!(
            "Rust aborted the test process in this check: thread `dropper` panicked while \
             unwinding from another panic (panic in a destructor during cleanup); first panic \
             {first}; then, while unwinding, {then}"
        )
    );
}

// ---------------------------------------------------------------------------------------------
// Another test's panic hook (item 9)

fn panicking_scenario() {
    let t = thread::spawn(|| panic!("boom"));
    let _ = t.join();
}

fn panic_site(config: Config) -> String {
    panic_site_of(config, panicking_scenario)
}

/// The fingerprint of the one finding of `scenario`, a panic, and its report.
fn panic_site_of(config: Config, scenario: fn()) -> String {
    let report = config.explore(scenario);
    assert_eq!(report.findings.len(), 1, "{report}");
    let finding = &report.findings[0];
    assert_eq!(finding.kind(), Kind::Panic);
    format!("{} {}", finding.fingerprint, report)
}

#[test]
#[ignore = "run by other tests in a child process"]
fn child_hook_replaced() {
    if !child::in_child() {
        return;
    }
    let before = panic_site(config().name("hooked"));
    // Another test replaces the process's hook, without keeping interleave's.
    std::panic::set_hook(Box::new(|_| {}));
    let after = panic_site(config().name("hooked"));
    assert_eq!(before, after);
    assert!(!after.contains("<unknown>"), "{after}");
    // And one that keeps the hook it replaced.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| previous(info)));
    assert_eq!(panic_site(config().name("hooked")), before);
    println!("hook check: same findings");
}

/// A hook that replaced interleave's and keeps it without calling it, installed once per
/// process by the first execution of [`held_by_the_first_execution`]: what a test silencing
/// panics for a while does, here while a check runs.
static HELD: std::sync::Mutex<Option<Hook>> = std::sync::Mutex::new(None);

/// A panic hook, as `std::panic::take_hook` gives it.
type Hook = Box<dyn Fn(&std::panic::PanicHookInfo<'_>) + Sync + Send>;

fn held_by_the_first_execution() {
    let mut held = HELD.lock().unwrap();
    if held.is_none() {
        *held = Some(std::panic::take_hook());
        std::panic::set_hook(Box::new(|_| {}));
    }
    drop(held);
    panicking_scenario();
}

#[test]
#[ignore = "run by other tests in a child process"]
fn child_hook_held() {
    if !child::in_child() {
        return;
    }
    let before = panic_site(config().name("hooked"));
    // The hook is replaced during the check's first execution, and its panic reaches no hook
    // of interleave's: the check runs again, with interleave's hook in front.
    let during = panic_site_of(config().name("hooked"), held_by_the_first_execution);
    assert_eq!(during, before);
    assert!(!during.contains("<unknown>"), "{during}");
    // The hook that held interleave's is put back, as a test that silenced panics does.
    std::panic::set_hook(HELD.lock().unwrap().take().unwrap());
    assert_eq!(panic_site(config().name("hooked")), before);
    println!("hook check: same findings");
}

#[test]
fn a_panic_hook_that_replaced_interleave_s_while_a_check_ran_does_not_change_findings() {
    let run = child::run("limits::child_hook_held", &[] as &[(&str, &str)]);
    assert!(run.success, "{run:?}");
    assert!(run.stdout.contains("hook check: same findings"), "{run:?}");
}

/// How many executions [`main_panic`]'s scenario ran.
static MAIN_PANICS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The fingerprint of the panic of a one-thread scenario, after one execution.
fn main_panic() -> String {
    let report = Config::random(1).write_artifact(false).explore(|| {
        MAIN_PANICS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        panic!("boom")
    });
    assert_eq!(report.findings.len(), 1, "{report}");
    report.findings[0].fingerprint.clone()
}

/// How many panicking checks [`child_checks_starting_while_others_panic`] runs.
const PANICKING_CHECKS: usize = 10_000;

#[test]
#[ignore = "run by other tests in a child process"]
fn child_checks_starting_while_others_panic() {
    if !child::in_child() {
        return;
    }
    let before = main_panic();
    let done = std::sync::atomic::AtomicBool::new(false);
    let lost = std::thread::scope(|scope| {
        // Checks start one after the other on another OS thread, all the time.
        scope.spawn(|| {
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let report = Config::random(1).write_artifact(false).explore(|| {});
                assert!(report.is_clean());
            }
        });
        let lost = (0..PANICKING_CHECKS)
            .filter(|_| main_panic() != before)
            .count();
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        lost
    });
    // A check whose panic lost its site runs again: none did.
    let runs = MAIN_PANICS.load(std::sync::atomic::Ordering::Relaxed) - 1;
    println!("hook check: {lost} of {PANICKING_CHECKS} panics lost their site, {runs} runs");
}

#[test]
fn checks_starting_never_hide_the_panics_of_checks_running_at_the_time() {
    // Each check panics in its first execution while other checks keep starting on another OS
    // thread: every panic keeps its site, and no check had to run again to get it back. (Before
    // interleave stopped taking the hook out at every check start, a few of them had none.)
    let run = child::run(
        "limits::child_checks_starting_while_others_panic",
        &[] as &[(&str, &str)],
    );
    assert!(run.success, "{run:?}");
    assert!(
        run.stdout.contains(&format!(
            "hook check: 0 of {PANICKING_CHECKS} panics lost their site, {PANICKING_CHECKS} runs"
        )),
        "{run:?}"
    );
}

#[test]
fn a_panic_hook_replaced_by_another_test_does_not_change_findings() {
    // In a child process: the hook is the whole process's.
    let run = child::run("limits::child_hook_replaced", &[] as &[(&str, &str)]);
    assert!(run.success, "{run:?}");
    assert!(run.stdout.contains("hook check: same findings"), "{run:?}");
}

/// Yields when dropped: a scheduling point inside a thread's unwinding.
struct YieldOnDrop;

impl Drop for YieldOnDrop {
    fn drop(&mut self) {
        thread::yield_now();
    }
}

#[test]
fn a_panic_caught_by_another_thread_while_one_unwinds_does_not_take_its_site() {
    // Main panics; while it unwinds, a destructor yields and `t1` (in the first execution of
    // seed 1) runs, panics and catches its own panic. Main's finding is main's panic, where it
    // happened: each thread's panic is recorded for that thread (it was the last one recorded,
    // here `t1`'s).
    let report = Config::random(20)
        .seed(1)
        .write_artifact(false)
        .explore(|| {
            let _t = thread::spawn(|| {
                let _ = std::panic::catch_unwind(|| panic!("caught in t1"));
            });
            let _yields = YieldOnDrop;
            panic!("main's panic");
        });
    assert_eq!(report.findings.len(), 1, "{report}");
    let finding = &report.findings[0];
    assert_eq!(finding.kind(), Kind::Panic);
    assert!(
        finding.headline.contains("main's panic") && !finding.headline.contains("t1"),
        "{report}"
    );
}
