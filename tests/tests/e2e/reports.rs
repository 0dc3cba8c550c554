//! What reports show a person: a panic's backtrace when backtraces are asked for.

use interleave::{thread, Config};

use crate::child;

#[inline(never)]
fn withdraw(balance: u32, amount: u32) -> u32 {
    assert!(amount <= balance, "overdrawn: {amount} > {balance}");
    balance - amount
}

#[test]
#[ignore = "run by other tests in a child process"]
fn child_panicking_check() {
    if !child::in_child() {
        return;
    }
    Config::random(1).name("overdraft").check(|| {
        let t = thread::spawn(|| withdraw(5, 10));
        let _ = t.join();
    });
}

#[test]
fn a_panic_report_carries_the_scenario_thread_s_backtrace_when_asked_for() {
    let run = child::run("reports::child_panicking_check", &[("RUST_BACKTRACE", "1")]);
    assert!(!run.success, "{run:?}");
    let output = format!("{}{}", run.stdout, run.stderr);
    let report: Vec<&str> = output
        .lines()
        .skip_while(|l| !l.starts_with("  backtrace of the panicking thread:"))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    // The scenario's frames, innermost first, and none of the panic machinery's or interleave's.
    let frames: Vec<&str> = report
        .iter()
        .map(|l| l.trim_start())
        .filter(|l| !l.starts_with("at "))
        .collect();
    assert_eq!(
        frames,
        [
            "0: e2e::reports::withdraw",
            "1: e2e::reports::child_panicking_check::{{closure}}::{{closure}}"
        ],
        "{output}"
    );
    assert!(
        report
            .iter()
            .all(|l| !l.contains("interleave::rt::") && !l.contains("begin_unwind")),
        "{output}"
    );
    // Without RUST_BACKTRACE, the report has none.
    let run = child::run("reports::child_panicking_check", &[("RUST_BACKTRACE", "0")]);
    assert!(!run.success, "{run:?}");
    // The panic message's first line says what went wrong (it is what test summaries show).
    let first = run
        .stderr
        .lines()
        .find(|l| l.starts_with("interleave: `overdraft`"))
        .unwrap_or_else(|| panic!("{run:?}"));
    assert!(
        first.starts_with("interleave: `overdraft` found 1 problem in execution 1 (random, seed ")
            && first.ends_with("): panic in thread `t1`: overdrawn: 10 > 5"),
        "{first}"
    );
    assert!(
        !run.stderr.contains("backtrace of the panicking thread"),
        "{run:?}"
    );
}

#[test]
#[ignore = "run by other tests in a child process"]
fn child_main_thread_panics() {
    if !child::in_child() {
        return;
    }
    let dir = std::env::var("E2E_ARTIFACT_DIR").expect("set by the parent");
    let report = Config::random(20)
        .seed(5)
        .name("main-panics")
        .artifact_dir(dir)
        .explore(|| {
            let t = thread::spawn(|| {});
            t.join().unwrap();
            let balance = withdraw(5, 10);
            assert_eq!(balance, 0);
        });
    println!("findings {}", report.findings.len());
}

#[test]
fn a_main_thread_s_backtrace_and_artifact_are_the_same_with_any_number_of_jobs() {
    // Executions on several OS threads call the scenario through one closure more; the
    // backtrace keeps the scenario's frames only, so the artifacts are byte for byte the same.
    let mut artifacts = Vec::new();
    for jobs in ["1", "2"] {
        let dir = child::temp_dir(&format!("backtrace-jobs-{jobs}"));
        let run = child::run(
            "reports::child_main_thread_panics",
            &[
                ("RUST_BACKTRACE", "1"),
                ("INTERLEAVE_JOBS", jobs),
                ("E2E_ARTIFACT_DIR", dir.to_str().expect("a UTF-8 path")),
            ],
        );
        assert!(run.stdout.contains("findings 1"), "{run:?}");
        let files: Vec<_> = std::fs::read_dir(&dir)
            .expect("the artifact directory")
            .map(|entry| entry.expect("an entry").path())
            .filter(|path| path.extension().is_some_and(|e| e == "json"))
            .collect();
        assert_eq!(files.len(), 1, "{files:?}");
        let text = std::fs::read_to_string(&files[0]).expect("the artifact");
        assert!(
            text.contains("e2e::reports::withdraw")
                && !text.contains("interleave::check::")
                && !text.contains("interleave::rt::"),
            "{text}"
        );
        artifacts.push(text);
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert_eq!(artifacts[0], artifacts[1]);
}

/// Waits once on the condvar, with no predicate: a notification that came before is lost.
fn wait_once(pair: &(interleave::sync::Mutex<()>, interleave::sync::Condvar)) {
    let (lock, cvar) = pair;
    let guard = lock.lock().unwrap();
    drop(cvar.wait(guard).unwrap());
}

/// The note of the first deadlock found with `seed`.
fn lost_wakeup_note(seed: u64) -> String {
    use interleave::sync::{Arc, Condvar, Mutex};
    let report = Config::random(1_000)
        .seed(seed)
        .write_artifact(false)
        .explore(|| {
            let pair = Arc::new((Mutex::new(()), Condvar::new()));
            let (p1, p2, p3) = (Arc::clone(&pair), Arc::clone(&pair), Arc::clone(&pair));
            let first = thread::Builder::new()
                .name("first".to_owned())
                .spawn(move || wait_once(&p1))
                .unwrap();
            let notifier = thread::spawn(move || {
                let (lock, cvar) = &*p2;
                let _guard = lock.lock().unwrap();
                cvar.notify_one();
            });
            let second = thread::Builder::new()
                .name("second".to_owned())
                .spawn(move || wait_once(&p3))
                .unwrap();
            first.join().unwrap();
            notifier.join().unwrap();
            second.join().unwrap();
        });
    let finding = report
        .findings
        .iter()
        .find(|f| f.kind() == interleave::Kind::Deadlock)
        .expect("a deadlock");
    let text = finding.to_string();
    text.lines()
        .find(|l| l.contains("notified at"))
        .unwrap_or_else(|| panic!("{text}"))
        .trim()
        .to_owned()
}

#[test]
fn a_lost_wakeup_names_the_notification_and_the_thread_it_woke_instead() {
    // One notification, two one-shot waiters: one of them waits for good. Seeds 0 to 19 find
    // both ways it happens, and the note says which.
    let notes: Vec<String> = (0..20).map(lost_wakeup_note).collect();
    let site = "note: notified at tests/tests/e2e/reports.rs:";
    let before = notes
        .iter()
        .find(|n| {
            n.ends_with(", which woke `first`, before `second` waited")
                || n.ends_with(", which woke `second`, before `first` waited")
        })
        .expect("a notification that came before the other waiter waited");
    assert!(before.starts_with(site), "{before}");
    let too = notes
        .iter()
        .find(|n| n.contains("was waiting too, and no notification came for it"))
        .expect("a notification that woke one of two waiters");
    assert!(too.starts_with(site), "{too}");
}

/// The guide's example: a transfer and an audit take two named mutexes in opposite orders.
fn transfer_and_audit() {
    use interleave::sync::{Arc, Mutex};
    let accounts = Arc::new(Mutex::named("accounts", 100));
    let ledger = Arc::new(Mutex::named("ledger", Vec::<i32>::new()));
    let (a, l) = (Arc::clone(&accounts), Arc::clone(&ledger));
    let audit = thread::Builder::new()
        .name("audit".to_owned())
        .spawn(move || {
            let entries = l.lock().unwrap();
            let balance = a.lock().unwrap();
            assert!(*balance >= entries.len() as i32);
        })
        .unwrap();
    {
        let mut balance = accounts.lock().unwrap();
        let mut entries = ledger.lock().unwrap();
        *balance -= 10;
        entries.push(-10);
    }
    audit.join().unwrap();
}

#[test]
fn named_objects_show_by_name_and_the_guide_s_sample_report_is_real() {
    let report = Config::pct(100, 3)
        .name("bank::tests::transfer")
        .write_artifact(false)
        .explore(transfer_and_audit);
    let text = report.to_string();
    assert!(
        text.contains("  cycle: ledger → accounts → ledger\n"),
        "{text}"
    );
    assert!(
        text.contains("    accounts  mutex created at tests/tests/e2e/reports.rs:"),
        "{text}"
    );
    // The guide shows this report, as it is but for line numbers.
    crate::limits::assert_documented(text.trim_end());
}

#[test]
fn channels_and_onces_show_by_name_too() {
    use interleave::sync::{mpsc, OnceLock};
    let report = Config::random(1).write_artifact(false).explore(|| {
        let config = OnceLock::named("config");
        assert_eq!(*config.get_or_init(|| 1), 1);
        let (_requests, inbox) = mpsc::named_channel::<u32>("requests");
        // Nobody sends: main waits for good.
        let _ = inbox.recv();
    });
    let text = report.findings[0].to_string();
    assert!(
        text.contains("`main` waits for a message on requests"),
        "{text}"
    );
    assert!(
        text.contains("    requests  channel created at tests/tests/e2e/reports.rs:"),
        "{text}"
    );
}
